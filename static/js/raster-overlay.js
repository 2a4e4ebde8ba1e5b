/* Raster overlays on the district map: choose a stored raster (DEM colour ramp or classified land
 * cover), set its opacity with a slider, see its legend.  Reads /api/rasters; draws the rendered
 * overlay image (Web Mercator) with L.imageOverlay.  Independent of map.js: it only uses
 * window.districtMap.  All text goes in with textContent. */
(function () {
  "use strict";

  var map = window.districtMap;
  if (!map || !window.L) { return; }
  var zh = document.documentElement.lang !== "en";
  var T = zh ? { title: "栅格叠加", none: "（无）", opacity: "透明度" }
             : { title: "Raster overlay", none: "(none)", opacity: "Opacity" };
  var current = null;

  var Control = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: function () {
      var box = L.DomUtil.create("div", "raster-control leaflet-bar");
      box.id = "raster-control";
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var heading = document.createElement("strong");
      heading.textContent = T.title;
      box.appendChild(heading);
      var select = document.createElement("select");
      select.id = "raster-select";
      select.setAttribute("aria-label", T.title);
      var none = document.createElement("option");
      none.value = "";
      none.textContent = T.none;
      select.appendChild(none);
      box.appendChild(select);
      var label = document.createElement("label");
      label.textContent = T.opacity + " ";
      var slider = document.createElement("input");
      slider.type = "range";
      slider.min = "0";
      slider.max = "100";
      slider.value = "70";
      slider.id = "raster-opacity";
      label.appendChild(slider);
      box.appendChild(label);
      var legend = document.createElement("div");
      legend.id = "raster-legend";
      box.appendChild(legend);
      this.parts = { select: select, slider: slider, legend: legend };
      return box;
    }
  });
  var control = new Control();
  control.addTo(map);
  var parts = control.parts;

  function showLegend(raster) {
    while (parts.legend.firstChild) { parts.legend.removeChild(parts.legend.firstChild); }
    if (!raster) { return; }
    raster.legend.forEach(function (entry) {
      var item = document.createElement("div");
      item.className = "legend-item";
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = entry.colour;
      var text = document.createElement("span");
      text.textContent = entry.label ? (zh ? entry.label : entry.label_en) : (entry.value + " m");
      item.appendChild(swatch);
      item.appendChild(text);
      parts.legend.appendChild(item);
    });
  }

  fetch("/api/rasters", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (resp) { if (!resp.ok) { throw new Error(resp.status); } return resp.json(); })
    .then(function (data) {
      var byName = {};
      data.rasters.forEach(function (raster) {
        byName[raster.name] = raster;
        var option = document.createElement("option");
        option.value = raster.name;
        option.textContent = raster.title;
        parts.select.appendChild(option);
      });
      parts.select.addEventListener("change", function () {
        if (current) { map.removeLayer(current); current = null; }
        var raster = byName[parts.select.value];
        showLegend(raster);
        if (!raster) { return; }
        current = L.imageOverlay("/api/rasters/" + encodeURIComponent(raster.name) + "/overlay.png",
          raster.overlay_bounds, { opacity: parts.slider.value / 100, interactive: false }).addTo(map);
        current.getElement().id = "raster-image";
      });
      parts.slider.addEventListener("input", function () {
        if (current) { current.setOpacity(parts.slider.value / 100); }
      });
      document.body.dataset.rastersReady = "1";
    })
    .catch(function () { document.body.dataset.rastersReady = "error"; });
}());
