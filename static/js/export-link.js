/* The map page's 导出 button: open the export page with the current map extent and visible layers.
 * Reads window.districtMap (the Leaflet map) and window.mapLayers set by map.js; never edits them. */
(function () {
  "use strict";

  var button = document.getElementById("export-link");
  if (!button) { return; }

  function currentUrl() {
    var params = new URLSearchParams();
    var map = window.districtMap;
    if (map) {
      var b = map.getBounds();
      params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (v) { return v.toFixed(6); }).join(","));
      var visible = Object.keys(window.mapLayers || {}).filter(function (id) {
        return map.hasLayer(window.mapLayers[id]);
      });
      if (visible.length) { params.set("layers", visible.join(",")); }
    }
    return button.getAttribute("data-base") + "?" + params.toString();
  }

  function refresh() { button.href = currentUrl(); }
  button.addEventListener("mouseenter", refresh);
  button.addEventListener("focus", refresh);
  button.addEventListener("click", function (event) {
    event.preventDefault();
    window.location.href = currentUrl();
  });
})();
