/* An enterprise's relocation page: a small map of its site, and the transition form.
 * The form posts multipart data (with attachments) to the API with If-Match
 * (the enterprise's ETag) and the CSRF header; messages use textContent only. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  if (cfg.point) {
    var renderer = L.canvas({ padding: 0.5 });
    var latlng = [cfg.point.coordinates[1], cfg.point.coordinates[0]];
    // The view is set before any layer is added: the canvas renderer needs map bounds.
    var map = L.map("detail-map", { renderer: renderer, zoomControl: true }).setView(latlng, 15);
    var bounds = L.latLngBounds([latlng, latlng]);
    if (cfg.parcel) {
      var parcel = L.geoJSON(cfg.parcel, { renderer: renderer, style: { color: "#333", weight: 1.5, fillColor: cfg.colour, fillOpacity: 0.35 } }).addTo(map);
      bounds.extend(parcel.getBounds());
    }
    window.detailMarker = L.circleMarker(latlng, { renderer: renderer, radius: 8, color: "#333", weight: 1.5, fillColor: cfg.colour, fillOpacity: 0.95 }).addTo(map);
    map.fitBounds(bounds.pad(0.5), { maxZoom: 16 });
    L.control.scale({ metric: true, imperial: false }).addTo(map);
    if (window.ShifengZones && cfg.zones_url) { window.ShifengZones.addTo(map, cfg.zones_url); }
    window.detailMap = map;
  }

  var form = document.getElementById("transition-form");
  if (!form) { return; }
  var message = document.getElementById("transition-message");

  function show(text, isError) {
    message.textContent = text;
    message.className = "form-message" + (isError ? " error" : " ok");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    show("…", false);
    fetch(cfg.transitions_url, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "If-Match": cfg.etag, "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) { return { resp: resp, body: body }; });
    }).then(function (r) {
      if (r.resp.status === 201) {
        cfg.etag = r.resp.headers.get("ETag") || r.body.etag;
        show(cfg.i18n.saved, false);
        window.location.reload();
        return;
      }
      var text = r.body.message || (cfg.i18n.failed + " (" + r.resp.status + ")");
      if (r.resp.status === 412) { text = cfg.i18n.stale; }
      show(text, true);
      button.disabled = false;
    }).catch(function (err) {
      show(cfg.i18n.failed + "：" + err.message, true);
      button.disabled = false;
    });
  });
})();
