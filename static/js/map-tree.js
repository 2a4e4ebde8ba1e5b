/* The layer tree (it replaces the flat layer list and the legend): groups 规划片区, 保护区, 水体, 建设项目,
 * 搬迁企业, 冲突范围, 用户图层, 栅格, each collapsible; each layer with a checkbox, zoom-to-layer, an opacity
 * slider and its legend (the catalogue's style colours and categories).  The whole tree collapses.
 * The tree has no state of its own: a checkbox adds or removes window.mapLayers[id], and the tree
 * follows the map's layeradd / layerremove, whoever shows or hides a layer.
 * Titles are text (textContent): a layer titled "<img src=x onerror=…>" shows as those characters. */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var map = SM.map;
  var config = SM.config;
  var el = SM.el;
  var t = SM.t;
  var GROUPS = ["zones", "protected", "water", "projects", "enterprises", "encroachments", "user", "other", "raster"];
  var GROUP_OF = { zones: "zones", protected_areas: "protected", water_bodies: "water", projects: "projects",
                   enterprises: "enterprises", encroachments: "encroachments" };
  var entries = [];   // {id, layer, checkbox, section}

  /* The tree's open/closed state is kept per browser (sessionStorage), like QGIS keeps its layer panel. */
  function remember(key, value) {
    try { if (value) { window.sessionStorage.setItem("map-tree:" + key, value); } else { window.sessionStorage.removeItem("map-tree:" + key); } } catch (e) { /* storage off */ }
  }
  function recall(key) {
    try { return window.sessionStorage.getItem("map-tree:" + key); } catch (e) { return null; }
  }

  SM.groupOf = function (cfg) { return GROUP_OF[cfg.id] || (cfg.user_layer ? "user" : "other"); };

  /* Set a layer's opacity (0..1): its GeoJSON shapes and its vector tiles. */
  SM.setLayerOpacity = function (id, value) {
    var cfg = SM.layerCfg(id);
    if (!cfg) { return; }
    cfg._opacity = value;
    var style = SM.styleFor(cfg);
    window.mapLayers[id].eachLayer(function (layer) { if (layer.setStyle && layer.feature) { layer.setStyle(style(layer.feature)); } });
    if (cfg._tiles && cfg._tiles.setOpacity) { cfg._tiles.setOpacity(value); }
  };

  function swatchKind(cfg) {
    return /Point/.test(cfg.geometry_type) ? "swatch dot" : /LineString/.test(cfg.geometry_type) ? "swatch line" : "swatch";
  }

  function legendItems(cfg) {
    var box = el("div", { class: "legend-items" });
    var kind = swatchKind(cfg);
    cfg.legend.forEach(function (entry) {
      var swatch = el("span", { class: kind });
      swatch.style.background = kind === "swatch line" ? entry.stroke || entry.colour : entry.colour;
      if (entry.stroke) { swatch.style.borderColor = entry.stroke; }
      box.appendChild(el("div", { class: "legend-item" }, [swatch, el("span", { text: entry.label })]));
    });
    return box;
  }

  function zoomTo(cfg) {
    var group = window.mapLayers[cfg.id];
    if (!map.hasLayer(group)) { map.addLayer(group); }
    SM.request("GET", cfg.collection_url).then(function (resp) {
      var box = resp.ok && resp.body && resp.body.extent && resp.body.extent.spatial && resp.body.extent.spatial.bbox[0];
      if (!box) { SM.status(t("layer_empty"), true); return; }
      if (box[0] === box[2] && box[1] === box[3]) { map.setView([box[1], box[0]], 17); return; }
      map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { padding: [30, 30], maxZoom: 18 });
    });
  }

  function layerSection(id, title, layer, cfg) {
    var checkbox = el("input", { type: "checkbox", class: "layer-toggle", dataset: { layer: id }, "aria-label": title,
      onchange: function () { if (checkbox.checked) { map.addLayer(layer); } else { map.removeLayer(layer); } } });
    var label = el("label", { class: "tree-label" }, [checkbox, el("span", { class: "tree-title", text: title })]);
    var row = el("div", { class: "tree-row" }, [label]);
    var section = el("section", { class: "tree-layer", dataset: { layer: id } }, [row]);
    if (cfg) {
      var slider = el("input", { type: "range", class: "opacity", min: "0", max: "100", step: "5", value: "100",
        title: t("opacity"), "aria-label": t("opacity") + " · " + title,
        oninput: function () { SM.setLayerOpacity(id, Number(slider.value) / 100); } });
      row.appendChild(slider);
      row.appendChild(el("button", { type: "button", class: "zoom-layer", dataset: { action: "zoom-layer" },
        title: t("zoom_to_layer"), "aria-label": t("zoom_to_layer") + " · " + title, text: "⤢",
        onclick: function () { zoomTo(cfg); } }));
      var items = legendItems(cfg);
      if (cfg.legend.length === 1) {  // one style: its swatch beside the title
        var swatch = items.querySelector(".swatch");
        label.insertBefore(swatch, label.lastChild);
      } else {
        section.appendChild(items);
      }
      section.appendChild(el("div", { class: "legend-note muted", text: cfg._note || "" }));
    }
    entries.push({ id: id, layer: layer, checkbox: checkbox, section: section });
    return section;
  }

  function sync() {
    entries.forEach(function (e) {
      var on = map.hasLayer(e.layer);
      e.checkbox.checked = on;
      e.section.classList.toggle("off", !on);
    });
  }

  function build() {
    var legend = document.getElementById("legend");
    legend.textContent = "";
    legend.classList.add("layer-tree");
    var body = el("div", { class: "tree-body", id: "layer-tree-body" });
    var toggle = el("button", { type: "button", class: "tree-collapse", dataset: { action: "collapse-tree" },
      "aria-expanded": "true", "aria-controls": "layer-tree-body", title: t("collapse"), text: "−",
      onclick: function () { setCollapsed(!legend.classList.contains("collapsed")); } });
    function setCollapsed(collapsed) {
      legend.classList.toggle("collapsed", collapsed);
      toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
      toggle.textContent = collapsed ? "+" : "−";
      toggle.title = t(collapsed ? "expand" : "collapse");
      remember("collapsed", collapsed ? "1" : "");
    }
    legend.appendChild(el("header", { class: "tree-header" }, [el("h2", { text: t("layers") }), toggle]));
    legend.appendChild(body);
    var groups = {};
    GROUPS.forEach(function (g) {
      var details = el("details", { class: "tree-group", dataset: { group: g }, open: recall("closed-" + g) !== "1" },
        [el("summary", { text: t("group_" + g) })]);
      details.addEventListener("toggle", function () { remember("closed-" + g, details.open ? "" : "1"); });
      groups[g] = details;
    });
    if (SM.districtOutline) {
      groups.zones.appendChild(layerSection("district", config.district_label, SM.districtOutline, null));
    }
    config.layers.forEach(function (cfg) {
      groups[SM.groupOf(cfg)].appendChild(layerSection(cfg.id, cfg.title, window.mapLayers[cfg.id], cfg));
    });
    GROUPS.forEach(function (g) {
      if (g === "raster" || groups[g].querySelector(".tree-layer")) { body.appendChild(groups[g]); }
    });
    if (recall("collapsed") === "1") { setCollapsed(true); }
    sync();
    return groups;
  }

  var groups = build();
  map.on("layeradd layerremove", function (e) {  // fired for every feature too: only layers matter
    if (entries.some(function (x) { return x.layer === e.layer; })) { sync(); }
  });

  /* The raster overlay chooser (raster-overlay.js, loaded last) lives in the 栅格 group. */
  function adoptRasters() {
    var control = document.getElementById("raster-control");
    if (control && control.parentNode !== groups.raster) {
      control.classList.remove("leaflet-bar", "leaflet-control");
      groups.raster.appendChild(control);
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", adoptRasters); } else { adoptRasters(); }
})();
