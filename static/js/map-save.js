/* Saving edits through OGC API – Features Part 4: one request per save, with
 * If-Match and the CSRF header.  412 opens the conflict dialog (their version
 * beside mine: keep mine / take theirs / reload); 422 names the failing field
 * in the form, or for geometry shows the reason, marks the place on the map
 * and offers a repair the user confirms after seeing it drawn. */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var el = SM.el;
  var map = SM.map;
  var GEOMETRY_CODES = ["invalid_geometry", "wrong_geometry_type", "outside_district", "non_finite_coordinate",
                        "too_many_vertices", "bad_geometry", "empty_geometry", "missing_geometry"];
  SM.editRenderer = SM.editRenderer || L.svg({ padding: 0.5 });  // drafts and overlays: SVG, so Geoman can drag them
  SM.overlay = L.featureGroup().addTo(map);   // conflict / repair / problem drawings

  SM.clearOverlay = function () {
    SM.overlay.clearLayers();
    window.mapProblemLocation = null;
  };

  SM.itemUrl = function (layerCfg, fid) {
    return layerCfg.items_url + (fid === null || fid === undefined ? "" : "/" + encodeURIComponent(fid));
  };

  /* Fetch one feature with its ETag: resolves {feature, etag} or rejects with a message. */
  SM.fetchFeature = function (layerCfg, fid) {
    return SM.request("GET", SM.itemUrl(layerCfg, fid)).then(function (resp) {
      if (!resp.ok) { throw new Error(resp.body && resp.body.message || String(resp.status)); }
      return { feature: resp.body, etag: resp.etag };
    });
  };

  function drawShape(geometry, style) {
    if (!geometry) { return null; }
    var shape = L.geoJSON(geometry, {
      style: style, interactive: false, renderer: SM.editRenderer,
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, Object.assign({ radius: 9 }, style)); }
    });
    SM.overlay.addLayer(shape);
    return shape;
  }

  function report(op, message) {
    if (op.dialog && !op.dialog.closed) { op.dialog.setMessage(message, true); }
    else { SM.openDialog({ title: SM.t("save_failed"), body: el("p", { text: message }),
                           buttons: [{ label: SM.t("close"), onClick: function (d) { d.close(); } }] }); }
    SM.status(SM.t("save_failed") + "：" + message, true);
  }

  /* Run one save; op = {layerCfg, method, fid, etag, body, baseProps, baseGeometry, form, dialog,
   * onSaved(feature, etag), onTakeTheirs(feature, etag), onRepaired(geometry)}. */
  SM.save = function (op) {
    var url = op.url || (op.method === "POST" ? SM.itemUrl(op.layerCfg) : SM.itemUrl(op.layerCfg, op.fid));
    if (op.dialog) { op.dialog.setBusy(true); }
    return SM.request(op.method, url, op.method === "DELETE" ? null : op.body, op.etag).then(function (resp) {
      if (op.dialog) { op.dialog.setBusy(false); }
      if (resp.ok) {
        SM.clearOverlay();
        if (op.dialog) { op.dialog.saved = true; op.dialog.close(); }
        SM.status(SM.t("saved"));
        op.onSaved(resp.body, resp.etag);
        SM.afterSave(op.layerCfg, resp.body);
        return;
      }
      var body = resp.body || {};
      if (resp.status === 412 && body.code === "stale_version") { showConflict(op, body); return; }
      if (body.field === "geometry" || GEOMETRY_CODES.indexOf(body.code) >= 0) { showGeometryProblem(op, body); return; }
      if (body.field && op.form && op.form.markError(body.field, body.message)) {
        op.dialog.setMessage(SM.t("field_error"), true);
        return;
      }
      report(op, body.message || String(resp.status));
    });
  };

  /* ---------- after a save: the flags the server returned, fresh overlays and tiles ---------- */
  var WATCHED = ["projects", "protected_areas", "water_bodies"];
  var MU_PER_M2 = 15 / 10000;
  function num(value, digits) {
    return value === null || value === undefined ? "—" : Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
  }
  function severityLabel(code) {
    var enc = SM.layerCfg("encroachments");
    var labels = (enc && enc.choices && enc.choices.severity) || {};
    return labels[code] || code;
  }
  function flagLine(item, projectName) {
    var m2 = item.overlap_m2 || 0;
    var mu = item.overlap_mu !== undefined && item.overlap_mu !== null ? item.overlap_mu : m2 * MU_PER_M2;
    var parts = [el("span", { class: "severity severity-" + item.severity, text: severityLabel(item.severity) }),
                 el("strong", { text: item.rule_name || item.rule || "" })];
    if (projectName) { parts.push(el("span", { class: "flag-project", text: projectName })); }
    var figures = m2 > 0
      ? SM.t("overlap_figures", { m2: num(m2, 1), mu: num(mu, 2), pct: num(item.overlap_pct, 1) })
      : item.min_distance_m !== null && item.min_distance_m !== undefined ? SM.t("distance_figure", { m: num(item.min_distance_m, 1) }) : "";
    if (figures) { parts.push(el("span", { class: "flag-figures", text: figures })); }
    return el("li", { class: "flag-line", dataset: { severity: item.severity, flag: String(item.flag_id || item.id || "") } }, parts);
  }

  /* Show the notice of a save's flags: {flags: [...]} of a project, or the change report of a re-check. */
  SM.showFlagNotice = function (layerCfg, results) {
    var old = document.getElementById("save-notice");
    if (old) { old.remove(); }
    var byProject = {};   // project id -> {name, items}
    var cleared = 0;
    function add(pid, name, item) {
      var entry = byProject[pid] = byProject[pid] || { name: name, items: [] };
      if (name && !entry.name) { entry.name = name; }
      entry.items.push(item);
    }
    results.forEach(function (r) {
      if (!r) { return; }
      var changes = r.encroachment_changes || {};
      cleared += (changes.cleared || []).length;
      if (r.flags) {
        var name = r.properties ? r.properties.name : "";
        if (r.flags.length) { r.flags.forEach(function (f) { add(f.project_id, name, f); }); }
        return;
      }
      (changes.raised || []).concat(changes.changed || []).forEach(function (f) { add(f.project_id, f.project, f); });
    });
    var pids = Object.keys(byProject);
    if (!pids.length && !cleared) { return null; }
    var worst = "warning";
    pids.forEach(function (pid) { byProject[pid].items.forEach(function (f) {
      if (f.severity === "violation") { worst = "violation"; } else if (f.severity === "review" && worst !== "violation") { worst = "review"; }
    }); });
    var notice = el("div", { id: "save-notice", class: "save-notice" + (pids.length ? " severity-" + worst : " cleared"), role: "alert" });
    var close = el("button", { type: "button", class: "panel-close", "aria-label": SM.t("close"), text: "×",
                               onclick: function () { notice.remove(); } });
    var count = 0;
    pids.forEach(function (pid) { count += byProject[pid].items.length; });
    notice.appendChild(el("header", {}, [el("strong", { text: pids.length ? SM.t("flags_after_save", { n: count }) : SM.t("flags_cleared", { n: cleared }) }), close]));
    pids.forEach(function (pid) {
      var entry = byProject[pid];
      var list = el("ul", { class: "flag-lines" });
      entry.items.forEach(function (f) { list.appendChild(flagLine(f)); });
      notice.appendChild(el("section", { class: "flag-project-block", dataset: { project: String(pid) } }, [
        entry.name ? el("div", { class: "flag-project-name", text: entry.name }) : null,
        list,
        el("a", { class: "review-link", href: SM.urlFor(SM.config.urls.review, { id: pid }), text: SM.t("open_review") })]));
    });
    if (pids.length && cleared) { notice.appendChild(el("p", { class: "muted", text: SM.t("flags_cleared", { n: cleared }) })); }
    document.querySelector(".mapmain").appendChild(notice);
    return notice;
  };

  /* Refresh what a save may have changed elsewhere: the 冲突范围 overlay and every tiled layer. */
  SM.afterSave = function (layerCfg, body) {
    var results = body && body.type === "FeatureCollection" ? (body.features || []) : [body];
    var rechecked = results.some(function (r) { return r && (r.flags || r.encroachment_changes); });
    if (rechecked) { SM.showFlagNotice(layerCfg, results); }
    var enc = SM.layerCfg("encroachments");
    if (enc && window.mapLayers[enc.id] && (rechecked || WATCHED.indexOf(layerCfg.id) >= 0)) {
      SM.reloadLayer(enc).catch(function () {});
    }
    SM.config.layers.forEach(function (cfg) { if (cfg.tiled && cfg._tiles) { cfg._tiles.redraw(); } });
  };

  /* Geometries equal by value (type and every coordinate within 1e-9°), not by their JSON text: the
   * 412 answer and the GET of the same geometry may order keys differently. */
  SM.sameGeometry = SM.sameGeometry || function (a, b) {
    function coords(x, y) {
      if (typeof x === "number" || typeof y === "number") {
        return typeof x === "number" && typeof y === "number" && Math.abs(x - y) <= 1e-9;
      }
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) { return false; }
      return x.every(function (v, i) { return coords(v, y[i]); });
    }
    if (!a || !b) { return !a && !b; }
    if (a.type !== b.type) { return false; }
    if (a.type === "GeometryCollection") {
      return (a.geometries || []).length === (b.geometries || []).length &&
        a.geometries.every(function (g, i) { return SM.sameGeometry(g, b.geometries[i]); });
    }
    return coords(a.coordinates, b.coordinates);
  };

  function valueCell(layerCfg, name, value) {
    return el("td", { text: SM.displayValue(layerCfg, name, value) });
  }

  function showConflict(op, body) {
    var theirs = body.current || { properties: {}, geometry: null };
    var mineProps = Object.assign({}, op.baseProps || {}, (op.body && op.body.properties) || {});
    var mineGeometry = op.mineGeometry || (op.body && op.body.geometry) || op.baseGeometry || null;
    var sameGeometry = SM.sameGeometry(theirs.geometry, mineGeometry);
    SM.clearOverlay();
    drawShape(theirs.geometry, { color: "#ff7f00", weight: 3, dashArray: "6 4", fillOpacity: 0.1 });
    SM.fieldsFor(op.layerCfg).then(function (fields) {
      var table = el("table", { class: "conflict-table" }, [el("thead", {}, [el("tr", {}, [
        el("th", { text: SM.t("field") }), el("th", { text: SM.t("theirs") + (body.updated_by ? "（" + body.updated_by + "）" : "") }),
        el("th", { text: SM.t("mine") })])])]);
      var tbody = el("tbody");
      fields.forEach(function (f) {
        var mine = op.method === "DELETE" ? SM.t("mine_deleted") : null;
        var row = el("tr", { dataset: { field: f.name } }, [el("th", { text: f.title || f.name }),
          valueCell(op.layerCfg, f.name, theirs.properties[f.name]),
          mine ? el("td", { text: mine }) : valueCell(op.layerCfg, f.name, mineProps[f.name])]);
        if (mine || JSON.stringify(theirs.properties[f.name]) !== JSON.stringify(mineProps[f.name])) { row.classList.add("differs"); }
        tbody.appendChild(row);
      });
      tbody.appendChild(el("tr", { class: sameGeometry ? "" : "differs", dataset: { field: "geometry" } }, [
        el("th", { text: SM.t("geometry") }),
        el("td", { colspan: "2", text: SM.t(sameGeometry ? "geometry_same" : "geometry_changed") })]));
      table.appendChild(tbody);
      var intro = el("p", { text: SM.t("conflict_text", { user: body.updated_by || "?" }) });
      SM.openDialog({
        title: SM.t("conflict_title"), className: "conflict-dialog", body: el("div", {}, [intro, table]),
        buttons: [
          { label: SM.t("keep_mine"), className: "primary", action: "keep-mine", onClick: function (d) {
            d.close();
            SM.save(Object.assign({}, op, { etag: body.etag }));
          } },
          { label: SM.t("take_theirs"), action: "take-theirs", onClick: function (d) {
            d.close();
            SM.clearOverlay();
            if (op.dialog) { op.dialog.saved = true; op.dialog.close(); }
            if (op.onTakeTheirs) { op.onTakeTheirs(body.current, body.etag); }
          } },
          { label: SM.t("reload"), action: "reload", onClick: function () { window.location.reload(); } }
        ]
      });
    });
  }

  function showGeometryProblem(op, body) {
    SM.clearOverlay();
    if (body.location && body.location.coordinates) {
      var lonlat = body.location.coordinates;
      var marker = L.circleMarker([lonlat[1], lonlat[0]], {
        radius: 14, color: "#d00000", weight: 3, fillColor: "#ff0000", fillOpacity: 0.35,
        className: "problem-marker", renderer: SM.editRenderer, interactive: false
      });
      SM.overlay.addLayer(marker);
      window.mapProblemLocation = lonlat;
      map.panTo([lonlat[1], lonlat[0]]);
    }
    var text = el("p", { class: "geometry-reason", text: body.message || "" });
    var canRepair = body.code === "invalid_geometry" && op.body && op.body.geometry;
    var buttons = [{ label: SM.t("close"), action: "close", onClick: function (d) { d.close(); } }];
    if (canRepair) {
      buttons.unshift({ label: SM.t("repair"), className: "primary", action: "repair", onClick: function (d) { previewRepair(op, d); } });
    }
    SM.openDialog({ title: SM.t("invalid_geometry"), className: "geometry-dialog", body: text, buttons: buttons });
  }

  function previewRepair(op, problemDialog) {
    problemDialog.setBusy(true);
    SM.request("POST", SM.config.urls.repair, { geometry: op.body.geometry }).then(function (resp) {
      problemDialog.close();
      if (!resp.ok) { report(op, (resp.body && resp.body.message) || String(resp.status)); return; }
      var fixed = resp.body;
      SM.clearOverlay();
      var shape = drawShape(fixed.geometry, { color: "#00a000", weight: 3, dashArray: "5 5", fillColor: "#00ff00", fillOpacity: 0.25 });
      window.mapRepairPreview = fixed.geometry;
      if (shape) { map.fitBounds(shape.getBounds(), { maxZoom: map.getZoom() }); }
      var text = SM.t("repair_result", { type: fixed.geometry_type, parts: fixed.parts,
                                         area: fixed.area_m2.toLocaleString(), mu: fixed.area_mu.toLocaleString() });
      SM.openDialog({
        title: SM.t("repair"), className: "repair-dialog", body: el("p", { text: text }),
        buttons: [
          { label: SM.t("repair_confirm"), className: "primary", action: "confirm-repair", onClick: function (d) {
            d.close();
            var body = Object.assign({}, op.body, { geometry: fixed.geometry });
            if (op.onRepaired) { op.onRepaired(fixed.geometry); }
            SM.save(Object.assign({}, op, { body: body }));
          } },
          { label: SM.t("cancel"), action: "cancel", onClick: function (d) { d.close(); SM.clearOverlay(); } }
        ]
      });
    });
  }
})();
