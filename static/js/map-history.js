/* Feature history: every version with who and when, the changed attributes,
 * old and new geometry drawn on the map, and "restore this version" (saved
 * as a new version).  Admins also list and restore deleted features.
 * All values are shown with textContent. */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var map = SM.map;
  var el = SM.el;
  var t = SM.t;
  var drawings = L.featureGroup().addTo(map);
  var OLD_STYLE = { color: "#c00000", weight: 3, dashArray: "6 4", fillOpacity: 0.05 };
  var NEW_STYLE = { color: "#0050ff", weight: 3, fillOpacity: 0.15 };

  function draw(geometry, style) {
    if (!geometry) { return; }
    drawings.addLayer(L.geoJSON(geometry, { style: style, interactive: false,
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, Object.assign({ radius: 9 }, style)); } }));
  }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function labelsOf(cfg) {
    var labels = {};
    cfg.popup_fields.forEach(function (f) { labels[f.name] = f.label; });
    return labels;
  }

  /* Return [{name, before, after}] of the attributes that differ between two versions. */
  function changes(prev, cur) {
    var names = Object.keys(cur.properties || {});
    Object.keys((prev && prev.properties) || {}).forEach(function (n) { if (names.indexOf(n) < 0) { names.push(n); } });
    return names.filter(function (n) {
      return !prev || JSON.stringify(prev.properties[n]) !== JSON.stringify(cur.properties[n]);
    }).map(function (n) { return { name: n, before: prev ? prev.properties[n] : null, after: cur.properties[n] }; });
  }

  function versionItem(cfg, fid, versions, i, labels, refresh) {
    var v = versions[i], prev = i > 0 ? versions[i - 1] : null;
    var diff = changes(prev, v);
    var list = el("ul", { class: "diff" });
    diff.forEach(function (c) {
      list.appendChild(el("li", { dataset: { field: c.name } }, [
        el("span", { class: "diff-field", text: (labels[c.name] || c.name) + "：" }),
        el("del", { text: prev ? SM.displayValue(cfg, c.name, c.before) : "" }),
        prev ? " → " : "",
        el("ins", { text: SM.displayValue(cfg, c.name, c.after) })]));
    });
    if (!diff.length) { list.appendChild(el("li", { class: "muted", text: t("no_changes") })); }
    var geometryChanged = prev && JSON.stringify(prev.geometry) !== JSON.stringify(v.geometry);
    if (geometryChanged) { list.appendChild(el("li", { class: "geometry-changed", text: t("geometry_modified") })); }
    var item = el("li", { class: "version", dataset: { version: String(v.version) }, tabindex: "0" }, [
      el("div", { class: "version-head" }, [
        el("strong", { text: "v" + v.version }), " · ", t("action_" + v.action), " · ",
        el("span", { class: "who", text: v.username || "—" }), " · ", el("time", { datetime: v.at, text: when(v.at) })]),
      list]);
    item.addEventListener("click", function () {
      drawings.clearLayers();
      Array.prototype.forEach.call(item.parentNode.children, function (li) { li.classList.remove("selected"); });
      item.classList.add("selected");
      if (prev && geometryChanged) { draw(prev.geometry, OLD_STYLE); }
      draw(v.geometry, NEW_STYLE);
      if (drawings.getLayers().length) { map.fitBounds(drawings.getBounds(), { maxZoom: 17, padding: [40, 40] }); }
    });
    var latest = i === versions.length - 1;
    if (cfg.can_edit && !latest && v.action !== "delete") {
      item.appendChild(el("button", { type: "button", class: "restore-version", dataset: { action: "restore-version" },
        text: t("restore_version"), onclick: function (e) { e.stopPropagation(); restoreVersion(cfg, fid, v.version, refresh); } }));
    }
    return item;
  }

  function restoreVersion(cfg, fid, version, refresh) {
    SM.openDialog({ title: t("restore_version"), body: el("p", { text: t("restore_confirm", { n: version }) }),
      buttons: [
        { label: t("restore"), className: "primary", action: "confirm-restore", onClick: function (d) {
          d.setBusy(true);
          SM.fetchItemEtag(cfg, fid).then(function (etag) {
            var url = SM.urlFor(SM.config.urls.history, { collection: cfg.id, fid: fid }) + "/" + version + "/restore";
            return SM.request("POST", url, null, etag);
          }).then(function (resp) {
            d.setBusy(false);
            if (!resp.ok) { d.setMessage((resp.body && resp.body.message) || String(resp.status), true); return; }
            d.close();
            SM.addFeature(cfg, resp.body);
            SM.status(t("restored"));
            if (SM.afterSave) { SM.afterSave(cfg, resp.body); }  // flags of the restored version
            refresh();
          });
        } },
        { label: t("cancel"), onClick: function (d) { d.close(); } }
      ] });
  }

  SM.fetchItemEtag = function (cfg, fid) {
    return SM.request("GET", cfg.items_url + "/" + encodeURIComponent(fid)).then(function (resp) { return resp.etag; });
  };

  /* Show the history panel of one feature. */
  SM.showHistory = function (cfg, fid) {
    var body = SM.openPanel("history-panel", t("history_of") + " · " + cfg.title + " #" + fid,
                            function () { drawings.clearLayers(); });
    var labels = labelsOf(cfg);
    function refresh() {
      SM.request("GET", SM.urlFor(SM.config.urls.history, { collection: cfg.id, fid: fid })).then(function (resp) {
        body.textContent = "";
        if (!resp.ok) { body.appendChild(el("p", { class: "error", text: (resp.body && resp.body.message) || String(resp.status) })); return; }
        var versions = resp.body.versions;
        var list = el("ol", { class: "versions", reversed: true });
        for (var i = versions.length - 1; i >= 0; i--) { list.appendChild(versionItem(cfg, fid, versions, i, labels, refresh)); }
        body.appendChild(versions.length ? list : el("p", { class: "muted", text: t("no_history") }));
        document.body.dataset.historyReady = String(versions.length);
      });
    }
    refresh();
  };

  /* Show the deleted features of a layer with a restore button each (admins). */
  SM.showDeleted = function (cfg) {
    var body = SM.openPanel("deleted-panel", t("deleted_features") + " · " + cfg.title, function () { drawings.clearLayers(); });
    SM.request("GET", SM.urlFor(SM.config.urls.deleted, { collection: cfg.id })).then(function (resp) {
      if (!resp.ok) { body.appendChild(el("p", { class: "error", text: (resp.body && resp.body.message) || String(resp.status) })); return; }
      if (!resp.body.features.length) { body.appendChild(el("p", { class: "muted", text: t("none_deleted") })); return; }
      var list = el("ul", { class: "deleted-list" });
      resp.body.features.forEach(function (f) {
        var label = (cfg.label_field && f.properties[cfg.label_field]) || ("#" + f.id);
        var item = el("li", { dataset: { fid: String(f.id) } }, [
          el("strong", { text: String(label) }),
          el("div", { class: "muted", text: t("deleted_by") + " " + (f.deleted_by || "—") + " · " + when(f.deleted_at) }),
          el("button", { type: "button", text: t("show_on_map"), onclick: function () {
            drawings.clearLayers(); draw(f.geometry, OLD_STYLE);
            map.fitBounds(drawings.getBounds(), { maxZoom: 17, padding: [40, 40] });
          } }),
          el("button", { type: "button", class: "primary", dataset: { action: "undelete" }, text: t("restore"), onclick: function (e) {
            e.target.disabled = true;
            var url = SM.urlFor(SM.config.urls.history, { collection: cfg.id, fid: f.id }).replace(/\/versions$/, "/restore");
            SM.request("POST", url).then(function (r) {
              if (!r.ok) { e.target.disabled = false; SM.status((r.body && r.body.message) || String(r.status), true); return; }
              SM.addFeature(cfg, r.body);
              if (SM.afterSave) { SM.afterSave(cfg, r.body); }
              item.remove();
              SM.status(t("restored"));
            });
          } })]);
        list.appendChild(item);
      });
      body.appendChild(list);
    });
  };

  SM.popupExtras.push(function (box, cfg, feature) {
    box.appendChild(el("button", { type: "button", class: "history-action", dataset: { action: "history" }, text: t("history"),
      onclick: function () { map.closePopup(); SM.showHistory(cfg, feature.id); } }));
  });
})();
