/* District map: draws the planning layers from the OGC API with Leaflet.
 * All user text is inserted with textContent (never innerHTML), so a feature
 * named "<img src=x onerror=alert(1)>" shows as text. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var statusBox = document.getElementById("map-status");
  var renderer = L.canvas({ padding: 0.5 });
  var map = L.map("map", { preferCanvas: true, renderer: renderer, zoomControl: true })
    .setView(config.center, config.zoom);
  window.districtMap = map;
  window.mapLayers = {};
  window.mapLayerCounts = {};

  if (config.basemap) {
    L.tileLayer(config.basemap.url, { attribution: config.basemap.attribution, maxZoom: 19 }).addTo(map);
  }

  var overlays = {};
  if (config.district) {
    var outline = L.geoJSON(config.district, {
      renderer: renderer, interactive: false,
      style: { color: "#444", weight: 2.5, dashArray: "8 4", fill: false }
    }).addTo(map);
    overlays[config.district_label] = outline;
    map.fitBounds(outline.getBounds(), { padding: [10, 10] });
  }

  function colourFor(layerCfg, props) {
    if (!layerCfg.style_by) { return null; }
    var value = props[layerCfg.style_by];
    if (value === null || value === undefined) { value = ""; }
    return layerCfg.colours[value] || layerCfg.colours[""] || "#888888";
  }

  function styleFor(layerCfg) {
    return function (feature) {
      var style = Object.assign({ renderer: renderer }, layerCfg.style);
      var colour = colourFor(layerCfg, feature.properties);
      if (colour) { style.color = style.color && layerCfg.geometry_type === "Point" ? style.color : colour; style.fillColor = colour; }
      return style;
    };
  }

  function displayValue(layerCfg, name, value) {
    if (value === null || value === undefined || value === "") { return "—"; }
    var choices = layerCfg.choices[name];
    if (choices && Object.prototype.hasOwnProperty.call(choices, value)) { return choices[value]; }
    if (value === true) { return config.i18n.yes; }
    if (value === false) { return config.i18n.no; }
    if (typeof value === "number") { return value.toLocaleString(); }
    return String(value);
  }

  function popupFor(layerCfg, feature) {
    var box = document.createElement("div");
    box.className = "popup";
    var title = document.createElement("h3");
    title.textContent = layerCfg.title;
    box.appendChild(title);
    var table = document.createElement("table");
    layerCfg.popup_fields.forEach(function (f) {
      var row = table.insertRow();
      var th = document.createElement("th");
      th.textContent = f.label;
      row.appendChild(th);
      var td = row.insertCell();
      td.textContent = displayValue(layerCfg, f.name, feature.properties[f.name]);
    });
    box.appendChild(table);
    return box;
  }

  function addLegend() {
    var legend = document.getElementById("legend");
    var heading = document.createElement("h2");
    heading.textContent = config.i18n.legend;
    legend.appendChild(heading);
    config.layers.forEach(function (layerCfg) {
      var section = document.createElement("section");
      section.dataset.layer = layerCfg.id;
      var h = document.createElement("h3");
      h.textContent = layerCfg.title;
      section.appendChild(h);
      layerCfg.legend.forEach(function (entry) {
        var item = document.createElement("div");
        item.className = "legend-item";
        var swatch = document.createElement("span");
        swatch.className = layerCfg.geometry_type === "Point" ? "swatch dot" : "swatch";
        swatch.style.background = entry.colour;
        var label = document.createElement("span");
        label.textContent = entry.label;
        item.appendChild(swatch);
        item.appendChild(label);
        section.appendChild(item);
      });
      legend.appendChild(section);
    });
  }

  function loadLayer(layerCfg) {
    var group = L.geoJSON(null, {
      style: styleFor(layerCfg),
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, styleFor(layerCfg)(feature));
      },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(function () { return popupFor(layerCfg, feature); });
        if (feature.properties.name) {
          var tip = document.createElement("span");
          tip.textContent = feature.properties.name;
          layer.bindTooltip(tip, { sticky: true });
        }
      }
    });
    overlays[layerCfg.title] = group;
    window.mapLayers[layerCfg.id] = group;
    if (layerCfg.visible) { group.addTo(map); }
    return fetch(layerCfg.items_url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(resp.status); }
        return resp.json();
      })
      .then(function (data) {
        group.addData(data);
        window.mapLayerCounts[layerCfg.id] = data.features.length;
      });
  }

  addLegend();
  statusBox.textContent = config.i18n.loading;
  Promise.all(config.layers.map(function (layerCfg) {
    return loadLayer(layerCfg).catch(function (err) {
      statusBox.textContent = config.i18n.load_failed + "：" + layerCfg.title + " (" + err.message + ")";
      statusBox.classList.add("error");
      throw err;
    });
  })).then(function () {
    statusBox.textContent = "";
    // Points on top of polygons regardless of load order.
    config.layers.forEach(function (layerCfg) {
      if (layerCfg.geometry_type === "Point" && map.hasLayer(window.mapLayers[layerCfg.id])) {
        window.mapLayers[layerCfg.id].bringToFront();
      }
    });
    document.body.dataset.mapReady = "1";
  }, function () { document.body.dataset.mapReady = "error"; });

  L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
})();
