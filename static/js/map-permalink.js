/* Permalinks: the address of the map page says what it shows, and opening it shows that again.
 *
 *   /map?center=<lat>,<lon>&zoom=<int>&layers=<id>,<id>&select=<collection>:<feature id>&fit=<collection>
 *
 * The server (gis_tracker/web/map.py) validates the parameters, sets each layer's visibility from ``layers``
 * (exactly those overlays) and gives config.view: the centre and zoom, the box of the selected feature or of the
 * ``fit`` layer, and a notice when the selected feature is gone.  This script restores the view, then keeps the
 * address up to date with history.replaceState as the user pans, zooms, shows or hides layers and opens or closes
 * a feature's popup.  "复制链接" copies the address (navigator.clipboard where the page is a secure context, else
 * a field with the address selected, for Ctrl+C: intranets are often plain http).
 *
 * Opening a feature is map-identify.js's SM.openFeature (loaded before this file). */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var map = SM.map;
  var config = SM.config;
  var el = SM.el;
  var view = config.view || {};
  var t = SM.t;

  /* The Leaflet layer that is on the map iff the layer is shown. */
  function holder(cfg) { return cfg._holder || window.mapLayers[cfg.id]; }
  SM.layerShown = function (id) {
    var cfg = SM.layerCfg(id);
    return !!(cfg && holder(cfg) && map.hasLayer(holder(cfg)));
  };
  SM.showLayer = function (id) {
    var cfg = SM.layerCfg(id);
    if (cfg && holder(cfg) && !map.hasLayer(holder(cfg))) { map.addLayer(holder(cfg)); }
  };

  /* ---------- the address ---------- */
  var base = view.url || "/map";
  var syncing = false;

  function selectedFeature() {
    var box = document.querySelector(".leaflet-popup-content .popup[data-layer][data-fid]");
    if (!box || !SM.layerCfg(box.dataset.layer)) { return null; }
    return { collection: box.dataset.layer, id: box.dataset.fid };
  }

  SM.permalink = function () {
    var c = map.getCenter();
    var parts = ["center=" + c.lat.toFixed(6) + "," + c.lng.toFixed(6), "zoom=" + Math.round(map.getZoom())];
    var shown = config.layers.filter(function (cfg) { return SM.layerShown(cfg.id); });
    // Each layer as it is by default (shown unless hidden): no ``layers`` at all, so a reload after a layer was
    // created (the layer manager reloads the page) shows the new layer too.  Otherwise exactly the shown ones.
    var asDefault = config.layers.every(function (cfg) { return SM.layerShown(cfg.id) === !cfg.hidden_by_default; });
    if (!asDefault) {
      parts.push("layers=" + shown.map(function (cfg) { return encodeURIComponent(cfg.id); }).join(","));
    }
    var selected = selectedFeature();
    if (selected) { parts.push("select=" + encodeURIComponent(selected.collection) + ":" + encodeURIComponent(selected.id)); }
    var lang = new URLSearchParams(window.location.search).get("lang");
    if (lang) { parts.push("lang=" + encodeURIComponent(lang)); }
    return base + "?" + parts.join("&");
  };

  var timer = null;
  function update() {
    if (!syncing) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = SM.permalink();
      if (window.location.pathname + window.location.search !== url) { history.replaceState(history.state, "", url); }
      var field = document.getElementById("permalink-field");
      if (field) { field.value = window.location.href; }
    }, 120);
  }
  SM.updatePermalink = update;

  function isOverlay(layer) {
    return config.layers.some(function (cfg) { return holder(cfg) === layer; });
  }
  map.on("moveend popupopen popupclose", update);
  map.on("layeradd layerremove", function (e) { if (isOverlay(e.layer)) { update(); } });
  // Choosing another feature inside one popup (the identify list) changes the selection without a new popup.
  map.getContainer().addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest(".leaflet-popup")) { setTimeout(update, 0); }
  });

  /* ---------- the notice (a selected feature that is gone) ---------- */
  function notice(text) {
    var box = el("div", { id: "map-notice", class: "map-notice", role: "alert" }, [
      el("span", { text: text }),
      el("button", { type: "button", class: "map-notice-close", "aria-label": t("notice_close"), text: "×",
                     onclick: function () { box.remove(); } })
    ]);
    SM.toolbar().appendChild(box);
  }

  /* ---------- the toolbar at the top of the map (search box, measuring, copy link) ---------- */
  SM.toolbar = SM.toolbar || function () {
    var bar = document.getElementById("map-toolbar");
    if (!bar) {
      bar = el("div", { id: "map-toolbar", class: "map-toolbar" }, [el("div", { class: "map-toolbar-tools" })]);
      document.querySelector(".mapmain").appendChild(bar);
      L.DomEvent.disableClickPropagation(bar);
      L.DomEvent.disableScrollPropagation(bar);
    }
    return bar;
  };

  /* A popup is never left under the toolbar: when one is (after it opened, or the map moved), the map is panned
   * down just enough to show it whole below the toolbar.  Not while a permalink is being restored (its view wins). */
  function keepPopupClear() {
    var popup = map._popup;
    var bar = document.getElementById("map-toolbar");
    if (!syncing || !popup || !map.hasLayer(popup) || !bar) { return; }
    var wrapper = popup.getElement() && popup.getElement().querySelector(".leaflet-popup-content-wrapper");
    if (!wrapper) { return; }
    var a = wrapper.getBoundingClientRect(), b = bar.getBoundingClientRect();
    var overlaps = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    if (overlaps) { map.panBy([0, a.top - b.bottom - 8], { animate: false }); }
  }
  map.on("popupopen moveend", function () { setTimeout(keepPopupClear, 0); });

  /* ---------- copy the link ---------- */
  (function () {
    var bar = SM.toolbar();
    var message = el("div", { id: "permalink-message", class: "permalink-message", role: "status" });
    var field = el("input", { id: "permalink-field", class: "permalink-field", type: "text", readonly: true,
                              "aria-label": t("copy_link"), hidden: true });
    var button = el("button", { type: "button", id: "copy-link", class: "map-tool-button copy-link", text: t("copy_link"),
                                title: t("copy_link") });
    function fallback() {
      field.value = window.location.href;
      field.hidden = false;
      field.focus();
      field.select();
      var copied = false;
      try { copied = !!(document.execCommand && document.execCommand("copy")); } catch (e) { copied = false; }
      message.textContent = copied ? t("link_copied") : t("copy_manually");
    }
    button.addEventListener("click", function () {
      clearTimeout(timer);
      history.replaceState(history.state, "", SM.permalink());
      var url = window.location.href;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(url).then(function () {
          message.textContent = t("link_copied");
          field.hidden = true;
        }, fallback);
      } else {
        fallback();
      }
    });
    bar.querySelector(".map-toolbar-tools").appendChild(button);
    bar.appendChild(el("div", { class: "permalink-box" }, [message, field]));
  })();

  /* ---------- restore ---------- */
  function toBounds(box) { return L.latLngBounds([box[1], box[0]], [box[3], box[2]]); }

  function applyCentre() {
    if (view.center) {
      map.setView(view.center, view.zoom === null || view.zoom === undefined ? map.getZoom() : view.zoom, { animate: false });
      return true;
    }
    if (view.zoom !== null && view.zoom !== undefined) { map.setZoom(view.zoom, { animate: false }); return true; }
    return false;
  }

  var explicit = applyCentre();
  if (!explicit && view.fit && view.fit.bbox) {
    map.fitBounds(toBounds(view.fit.bbox), { padding: [20, 20], maxZoom: 17, animate: false });
  } else if (!explicit && view.select && view.select.bbox) {
    map.fitBounds(toBounds(view.select.bbox), { padding: [60, 60], maxZoom: 17, animate: false });
  }
  if (view.notice) { notice(view.notice); }

  // The selected feature's popup opens when the link is opened, not when the page is reloaded (F5 after an edit
  // keeps the view and the layers, without a popup jumping up) nor once the user has clicked the map meanwhile.
  var navigation = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
  var reloaded = !!(navigation && navigation.type === "reload");
  var interacted = false;
  map.getContainer().addEventListener("mousedown", function () { interacted = true; }, true);
  var restored = Promise.resolve(SM.ready).catch(function () { return null; }).then(function () {
    if (!view.select || !view.select.found || reloaded || interacted) { return null; }
    return SM.openFeature(view.select.collection, view.select.id).then(function () {
      if (explicit) { applyCentre(); }  // the link's own centre and zoom win over the zoom to the feature
    }, function (err) { notice(String(err.message || err)); });
  });
  restored.then(function () {
    syncing = true;
    document.body.dataset.permalinkReady = "1";
    update();
  });
})();
