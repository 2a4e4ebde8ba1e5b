/* Attribute table of any map layer (built-in collections and planner-defined layers), in a bottom panel
 * that shrinks the map instead of covering its controls; resizable (drag the top edge) and collapsible.
 *
 * Reads one page at a time from the OGC API: /ogc/collections/{id}/items with limit/offset
 * (numberMatched gives the page count), sortby=[+|-]field and the filter as CQL2-JSON
 * (filter-lang=cql2-json: values and names are JSON, never spliced into text).  Column headers are the
 * catalogue's labels and values the choice labels (the collection document and config.layers give them).
 * A click on a row zooms the map to the feature and highlights it (SM.openFeature when the layer tree
 * provides it, else a local fallback).  Users whose role may edit the layer double-click a cell to edit it
 * in place: the item is read with its ETag, saved with PATCH and If-Match exactly like the map's form;
 * a 412 reloads the row and keeps the typed value, a 409 of the 两型 review shows its message.  The export
 * links are the same items request with f=csv / f=xlsx, so the file carries exactly the filter and sort.
 * Every value is inserted as text (SM.el / textContent).  Opened with SM.openTable(layerId). */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var map = SM.map;
  var el = SM.el;
  var t = SM.t;
  var config = SM.config;
  var PAGE_SIZES = [25, 50, 100, 200];
  var MIN_HEIGHT = 120;
  var HEIGHT_KEY = "mapTableHeight";
  var OPS = {
    string: ["contains", "eq", "ne", "starts", "null", "not_null"],
    choice: ["eq", "ne", "null", "not_null"],
    integer: ["eq", "ne", "lt", "le", "gt", "ge", "null", "not_null"],
    number: ["eq", "ne", "lt", "le", "gt", "ge", "null", "not_null"],
    date: ["eq", "before", "after", "null", "not_null"],
    boolean: ["eq", "null", "not_null"]
  };
  var CQL_OP = { eq: "=", ne: "<>", lt: "<", le: "<=", gt: ">", ge: ">=", before: "<", after: ">" };

  var state = null;     // {cfg, schema, columns, offset, limit, sort, conditions, features, matched}
  var ui = null;        // DOM of the panel
  var loadSeq = 0;

  function layerCfgs() { return config.layers || []; }

  /* ---------- schema: labels, types, read-only fields of this user's role ---------- */
  var schemas = {};
  function schemaOf(cfg) {
    if (!schemas[cfg.id]) {
      schemas[cfg.id] = SM.request("GET", cfg.collection_url).then(function (resp) {
        if (!resp.ok) { delete schemas[cfg.id]; throw new Error((resp.body && resp.body.message) || String(resp.status)); }
        return resp.body;
      });
    }
    return schemas[cfg.id];
  }

  function columnsOf(cfg, doc) {
    var props = doc.properties || {};
    var rights = doc["x-rights"] || {};
    var popup = {};
    (cfg.popup_fields || []).forEach(function (f) { popup[f.name] = true; });
    var names = (cfg.field_order || []).filter(function (n) { return props[n]; });
    Object.keys(props).forEach(function (n) { if (names.indexOf(n) < 0) { names.push(n); } });
    return names.map(function (n) {
      var p = props[n];
      var type = p.format === "date" ? "date" : p.type;
      var editable = !!rights.edit && !p.readOnly && type !== "object";
      return { name: n, label: p.title || n, type: type, choices: p.enum ? (cfg.choices[n] || {}) : null,
               codes: p.enum || null, editable: editable, required: (doc.required || []).indexOf(n) >= 0,
               // Shown: what the popup shows, and any other field this user may change.
               shown: type !== "object" && (popup[n] || editable) };
    }).filter(function (c) { return c.type !== "object"; });
  }

  /* ---------- the request: paging, sort, filter ---------- */
  function cqlOf(conditions) {
    var parts = conditions.map(function (c) {
      var prop = { property: c.field };
      if (c.op === "null") { return { op: "isNull", args: [prop] }; }
      if (c.op === "not_null") { return { op: "not", args: [{ op: "isNull", args: [prop] }] }; }
      if (c.op === "contains" || c.op === "starts") {
        var escaped = String(c.value).replace(/[\\%_]/g, function (m) { return "\\" + m; });
        var pattern = (c.op === "contains" ? "%" : "") + escaped + "%";
        return { op: "like", args: [{ op: "casei", args: [prop] }, { op: "casei", args: [pattern] }] };
      }
      var value = c.type === "date" ? { date: c.value } : c.value;
      return { op: CQL_OP[c.op], args: [prop, value] };
    });
    if (!parts.length) { return null; }
    return parts.length === 1 ? parts[0] : { op: "and", args: parts };
  }

  /* The query of the current view without paging (the export adds f=csv|xlsx, the table limit/offset). */
  function queryParams() {
    var params = [];
    if (state.sort) { params.push(["sortby", (state.sort.desc ? "-" : "") + state.sort.field]); }
    var cql = cqlOf(state.conditions);
    if (cql) { params.push(["filter", JSON.stringify(cql)], ["filter-lang", "cql2-json"]); }
    return params;
  }
  function encode(params) {
    return params.map(function (p) { return encodeURIComponent(p[0]) + "=" + encodeURIComponent(p[1]); }).join("&");
  }
  function itemsUrl(extra) {
    var params = queryParams().concat(extra || []);
    return state.cfg.items_url + (params.length ? "?" + encode(params) : "");
  }

  function setMessage(text, isError) {
    if (!ui) { return; }
    ui.message.textContent = text || "";
    ui.message.classList.toggle("error", !!isError);
  }

  function load() {
    var seq = ++loadSeq;
    var cfg = state.cfg;
    ui.panel.dataset.loading = "1";
    ui.count.textContent = t("table_loading");
    return SM.request("GET", itemsUrl([["limit", state.limit], ["offset", state.offset]])).then(function (resp) {
      if (seq !== loadSeq || !state || state.cfg !== cfg) { return; }
      delete ui.panel.dataset.loading;
      if (!resp.ok) {
        setMessage(t("table_load_failed") + "：" + ((resp.body && resp.body.message) || resp.status), true);
        ui.count.textContent = "";
        return;
      }
      state.features = resp.body.features || [];
      state.matched = resp.body.numberMatched;
      if (state.offset > 0 && !state.features.length && state.matched > 0) {  // the page vanished (fewer rows now)
        state.offset = Math.max(0, Math.floor((state.matched - 1) / state.limit) * state.limit);
        load();
        return;
      }
      renderBody();
      renderPager();
      ui.panel.dataset.ready = String(loadSeq);
    });
  }

  /* ---------- rendering ---------- */
  function visibleColumns() { return (state.columns || []).filter(function (c) { return c.shown; }); }

  function renderHead() {
    var row = el("tr", {}, [el("th", { class: "col-id", scope: "col", text: t("table_id") })]);
    visibleColumns().forEach(function (c) {
      var sorted = state.sort && state.sort.field === c.name;
      var arrow = sorted ? (state.sort.desc ? " ▼" : " ▲") : "";
      var th = el("th", { scope: "col", dataset: { field: c.name },
                          "aria-sort": sorted ? (state.sort.desc ? "descending" : "ascending") : "none" }, [
        el("button", { type: "button", class: "sort-button", title: t("table_sort"), dataset: { sort: c.name },
                       onclick: function () { toggleSort(c.name); } }, [c.label, el("span", { class: "sort-mark", text: arrow })])
      ]);
      if (c.editable) { th.classList.add("editable"); }
      row.appendChild(th);
    });
    ui.head.replaceChildren(row);
  }

  function cellText(c, value) {
    return SM.displayValue ? SM.displayValue(state.cfg, c.name, value) : (value === null || value === undefined ? "—" : String(value));
  }

  function fillRow(tr, feature) {
    tr.replaceChildren(el("td", { class: "col-id", text: String(feature.id) }));
    visibleColumns().forEach(function (c) {
      var td = el("td", { dataset: { field: c.name }, text: cellText(c, feature.properties[c.name]) });
      if (typeof feature.properties[c.name] === "number") { td.classList.add("num"); }
      if (c.editable) {
        td.classList.add("editable");
        td.title = t("table_edit_hint");
        td.tabIndex = 0;
      }
      tr.appendChild(td);
    });
  }

  function renderBody() {
    var rows = state.features.map(function (feature) {
      var tr = el("tr", { tabindex: "0", dataset: { fid: String(feature.id) }, "aria-selected": "false" });
      tr._feature = feature;
      fillRow(tr, feature);
      if (state.selected === feature.id) { tr.classList.add("selected"); tr.setAttribute("aria-selected", "true"); }
      return tr;
    });
    if (!rows.length) {
      rows = [el("tr", { class: "empty" }, [el("td", { colspan: String(visibleColumns().length + 1), text: t("table_empty") })])];
    }
    ui.body.replaceChildren.apply(ui.body, rows);
  }

  function renderPager() {
    var n = state.matched || 0;
    var from = n ? state.offset + 1 : 0;
    var to = Math.min(state.offset + state.features.length, n);
    ui.count.textContent = t("table_count", { n: n });
    ui.range.textContent = t("table_range", { from: from, to: to, n: n });
    ui.first.disabled = ui.prev.disabled = state.offset <= 0;
    ui.next.disabled = ui.last.disabled = state.offset + state.limit >= n;
    [ui.csv, ui.xlsx].forEach(function (a, i) {
      a.href = itemsUrl([["f", i === 0 ? "csv" : "xlsx"]]);
      a.title = t("table_export_hint", { n: n });
    });
  }

  var shownColumns = {};  // layer id -> the columns the user chose to see (for this page's life)

  function renderColumnChooser() {
    var boxes = state.columns.map(function (c) {
      var box = el("input", { type: "checkbox", checked: c.shown, dataset: { column: c.name }, onchange: function () {
        c.shown = box.checked;
        shownColumns[state.cfg.id] = state.columns.filter(function (x) { return x.shown; }).map(function (x) { return x.name; });
        renderHead();
        renderBody();
      } });
      return el("label", {}, [box, c.label]);
    });
    var all = el("button", { type: "button", dataset: { action: "all-columns" }, text: t("table_columns_all"), onclick: function () {
      state.columns.forEach(function (c) { c.shown = true; });
      shownColumns[state.cfg.id] = state.columns.map(function (c) { return c.name; });
      renderColumnChooser();
      renderHead();
      renderBody();
    } });
    ui.columnList.replaceChildren.apply(ui.columnList, [all].concat(boxes));
  }

  function renderConditions() {
    var chips = state.conditions.map(function (c, i) {
      var col = columnOf(c.field);
      var shown = c.op === "null" || c.op === "not_null" ? "" : " " + (col ? cellText(col, c.value) : String(c.value));
      return el("span", { class: "filter-chip", dataset: { field: c.field, op: c.op } }, [
        (col ? col.label : c.field) + " " + t("op_" + c.op) + shown,
        el("button", { type: "button", class: "chip-remove", title: t("table_filter_remove"), "aria-label": t("table_filter_remove"),
                       text: "×", onclick: function () { state.conditions.splice(i, 1); state.offset = 0; renderConditions(); load(); } })
      ]);
    });
    if (!chips.length) { chips = [el("span", { class: "muted", text: t("table_filter_none") })]; }
    ui.chips.replaceChildren.apply(ui.chips, chips);
    ui.clear.hidden = !state.conditions.length;
  }

  function columnOf(name) { return (state.columns || []).filter(function (c) { return c.name === name; })[0]; }

  function kindOf(c) { return c.codes ? "choice" : (OPS[c.type] ? c.type : "string"); }

  function fillFilterField() {
    ui.filterField.replaceChildren.apply(ui.filterField, state.columns.map(function (c) {
      return el("option", { value: c.name, text: c.label });
    }));
    fillFilterOps();
  }
  function fillFilterOps() {
    var c = columnOf(ui.filterField.value);
    if (!c) { return; }
    ui.filterOp.replaceChildren.apply(ui.filterOp, OPS[kindOf(c)].map(function (op) {
      return el("option", { value: op, text: t("op_" + op) });
    }));
    fillFilterValue();
  }
  function fillFilterValue() {
    var c = columnOf(ui.filterField.value);
    var op = ui.filterOp.value;
    var input;
    if (!c) { return; }
    if (c.codes) {
      input = el("select", {}, c.codes.map(function (code) { return el("option", { value: code, text: (c.choices || {})[code] || code }); }));
    } else if (c.type === "boolean") {
      input = el("select", {}, [el("option", { value: "true", text: t("yes") }), el("option", { value: "false", text: t("no") })]);
    } else {
      input = el("input", { type: c.type === "date" ? "date" : (c.type === "integer" || c.type === "number") ? "number" : "text",
                            step: c.type === "number" ? "any" : null });
    }
    input.classList.add("filter-value");
    input.setAttribute("aria-label", t("table_filter_value"));
    input.hidden = op === "null" || op === "not_null";
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); addCondition(); } });
    ui.filterValue.replaceWith(input);
    ui.filterValue = input;
  }

  function addCondition() {
    var c = columnOf(ui.filterField.value);
    if (!c) { return; }
    var op = ui.filterOp.value;
    var raw = ui.filterValue.value;
    var value = raw;
    if (op !== "null" && op !== "not_null") {
      if (raw === "") { setMessage(t("table_value_needed"), true); return; }
      if (c.type === "boolean" && !c.codes) { value = raw === "true"; }
      else if ((c.type === "integer" || c.type === "number") && !c.codes) {
        value = Number(raw);
        if (!isFinite(value)) { setMessage(t("table_bad_number"), true); return; }
      }
    } else { value = null; }
    setMessage("");
    state.conditions.push({ field: c.name, type: c.type, op: op, value: value });
    state.offset = 0;
    if (ui.filterValue.tagName === "INPUT") { ui.filterValue.value = ""; }
    renderConditions();
    load();
  }

  function toggleSort(name) {
    if (!state.sort || state.sort.field !== name) { state.sort = { field: name, desc: false }; }
    else if (!state.sort.desc) { state.sort.desc = true; }
    else { state.sort = null; }
    state.offset = 0;
    renderHead();
    load();
  }

  /* ---------- selecting a row: zoom to and highlight the feature ---------- */
  function selectRow(tr) {
    Array.prototype.forEach.call(ui.body.querySelectorAll("tr.selected"), function (r) {
      r.classList.remove("selected");
      r.setAttribute("aria-selected", "false");
    });
    tr.classList.add("selected");
    tr.setAttribute("aria-selected", "true");
    state.selected = tr._feature.id;
    showOnMap(state.cfg, tr._feature);
  }

  /* The map's own SM.openFeature (map-identify.js) shows the layer, zooms, highlights and opens the popup. */
  function showOnMap(cfg, feature) {
    SM.openFeature(cfg.id, feature.id).catch(function (err) {
      setMessage(t("table_load_failed") + "：" + err.message, true);
    });
  }

  /* ---------- editing in place ---------- */
  function inputFor(c, value) {
    var input;
    if (c.codes) {
      input = el("select", {}, [el("option", { value: "", text: t("empty_choice") })].concat(c.codes.map(function (code) {
        return el("option", { value: code, text: (c.choices || {})[code] || code });
      })));
      input.value = value === null || value === undefined ? "" : String(value);
    } else if (c.type === "boolean") {
      input = el("select", {}, [el("option", { value: "", text: t("empty_choice") }),
        el("option", { value: "true", text: t("yes") }), el("option", { value: "false", text: t("no") })]);
      input.value = value === true ? "true" : value === false ? "false" : "";
    } else {
      input = el("input", { type: c.type === "date" ? "date" : (c.type === "integer" || c.type === "number") ? "number" : "text",
                            step: c.type === "integer" ? "1" : c.type === "number" ? "any" : null,
                            maxlength: c.type === "string" ? "4000" : null });
      input.value = value === null || value === undefined ? "" : String(value);
    }
    input.name = c.name;
    input.className = "cell-input";
    input.setAttribute("aria-label", c.label);
    return input;
  }

  function valueOf(c, input) {
    var raw = input.value;
    if (c.type === "boolean") { return raw === "" ? null : raw === "true"; }
    if (raw === "") { return c.type === "string" && c.required && !c.codes ? "" : null; }
    if (c.type === "integer") { return /^-?\d+$/.test(raw) ? parseInt(raw, 10) : raw; }
    if (c.type === "number") { return isFinite(Number(raw)) ? Number(raw) : raw; }
    return raw;
  }

  function rowOf(fid) { return ui.body.querySelector('tr[data-fid="' + fid + '"]'); }

  /* Show a feature's current properties in its row (keeping an open editor). */
  function refreshRow(tr, feature) {
    var editing = tr.querySelector("td.editing");
    tr._feature = feature;
    if (!editing) { fillRow(tr, feature); return; }
    Array.prototype.forEach.call(tr.querySelectorAll("td[data-field]"), function (td) {
      if (td === editing) { return; }
      td.textContent = cellText(columnOf(td.dataset.field), feature.properties[td.dataset.field]);
    });
  }

  function updateMapFeature(feature) {
    var cfg = state.cfg;
    if (SM.index && SM.index[cfg.id] && SM.index[cfg.id][feature.id] && SM.addFeature) {
      SM.addFeature(cfg, { type: "Feature", id: feature.id, geometry: feature.geometry, properties: feature.properties });
    } else if (cfg.tiled && cfg._tiles && cfg._tiles.redraw) { cfg._tiles.redraw(); }
  }

  function startEdit(td) {
    var tr = td.parentNode;
    var c = columnOf(td.dataset.field);
    if (!c || !c.editable || td.classList.contains("editing") || !tr._feature) { return; }
    var fid = tr._feature.id;
    td.classList.add("editing");
    var edit = { td: td, fid: fid, etag: null };
    // Read the item with its ETag: the version this edit is based on (what the row shows from now on).
    SM.request("GET", state.cfg.items_url + "/" + encodeURIComponent(fid)).then(function (resp) {
      if (!resp.ok) {
        td.classList.remove("editing");
        setMessage((resp.body && resp.body.message) || String(resp.status), true);
        return;
      }
      var fresh = resp.body;
      if (JSON.stringify(fresh.properties) !== JSON.stringify(tr._feature.properties)) {
        refreshRow(tr, fresh);
        setMessage(t("table_refreshed"));
      }
      tr._feature = fresh;
      edit.etag = resp.etag;
      var input = inputFor(c, fresh.properties[c.name]);
      var problem = el("div", { class: "cell-message", role: "alert" });
      var save = el("button", { type: "button", class: "primary cell-save", dataset: { action: "cell-save" }, text: t("table_save"),
                                onclick: function () { saveEdit(edit, c, input, problem); } });
      var cancel = el("button", { type: "button", class: "cell-cancel", dataset: { action: "cell-cancel" }, text: t("table_cancel"),
                                  onclick: function () { endEdit(edit); } });
      input.addEventListener("keydown", function (e) {
        e.stopPropagation();
        if (e.key === "Enter") { e.preventDefault(); save.click(); }
        else if (e.key === "Escape") { e.preventDefault(); endEdit(edit); }
      });
      td.replaceChildren(el("div", { class: "cell-editor" }, [input, save, cancel]), problem);
      input.focus();
    });
  }

  function endEdit(edit) {
    var tr = edit.td.parentNode;
    edit.td.classList.remove("editing");
    if (tr && tr._feature) { fillRow(tr, tr._feature); }
  }

  function saveEdit(edit, c, input, problem) {
    var props = {};
    props[c.name] = valueOf(c, input);
    var url = state.cfg.items_url + "/" + encodeURIComponent(edit.fid);
    var buttons = edit.td.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    problem.textContent = "";
    SM.request("PATCH", url, { properties: props }, edit.etag).then(function (resp) {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      var tr = edit.td.parentNode;
      var body = resp.body || {};
      if (resp.ok) {
        var saved = { type: "Feature", id: body.id, geometry: body.geometry, properties: body.properties };
        edit.td.classList.remove("editing");
        tr._feature = saved;
        fillRow(tr, saved);
        setMessage(t("table_saved", { field: c.label }));
        if (SM.status) { SM.status(t("saved")); }
        updateMapFeature(saved);
        if (SM.afterSave) { SM.afterSave(state.cfg, body); }  // save feedback (flags) where the map offers it
        return;
      }
      if (resp.status === 412 && body.code === "stale_version" && body.current) {
        edit.etag = body.etag;           // the next save is based on their version: typed value kept
        refreshRow(tr, body.current);
        var text = t("table_conflict", { user: body.updated_by || "?" });
        problem.textContent = text;
        setMessage(text, true);
        return;
      }
      // 409 of the 两型 review (review_failed / review_required), 422 naming the field, 403, …: the message.
      problem.textContent = body.message || String(resp.status);
      if (body.review_url) {
        problem.appendChild(document.createTextNode(" "));
        problem.appendChild(el("a", { class: "review-link", href: body.review_url, target: "_blank", rel: "noopener",
                                      text: t("table_review_link") }));
      }
      setMessage((body.message || String(resp.status)), true);
      input.focus();
    });
  }

  /* ---------- the panel ---------- */
  function mainBox() { return document.querySelector(".mapmain"); }

  function applyHeight(height) {
    var box = mainBox();
    var max = Math.max(MIN_HEIGHT, box.clientHeight - 160);
    var h = Math.round(Math.min(Math.max(height, MIN_HEIGHT), max));
    if (!ui.panel.classList.contains("collapsed")) { state.height = h; }
    var shown = ui.panel.classList.contains("collapsed") ? ui.header.offsetHeight + 6 : h;
    ui.panel.style.height = shown + "px";
    box.style.setProperty("--map-table-h", shown + "px");
    map.invalidateSize({ pan: false });
  }

  function startResize(e) {
    e.preventDefault();
    var startY = e.clientY;
    var startH = ui.panel.offsetHeight;
    ui.panel.classList.remove("collapsed");
    ui.collapse.textContent = t("table_collapse");
    function move(ev) { applyHeight(startH + (startY - ev.clientY)); }
    function up() {
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", up);
      try { window.localStorage.setItem(HEIGHT_KEY, String(state.height)); } catch (err) { /* private mode */ }
    }
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", up);
  }

  function toggleCollapse() {
    var collapsed = !ui.panel.classList.contains("collapsed");
    ui.panel.classList.toggle("collapsed", collapsed);
    ui.collapse.textContent = t(collapsed ? "table_expand" : "table_collapse");
    ui.collapse.setAttribute("aria-expanded", collapsed ? "false" : "true");
    applyHeight(state.height);
  }

  function pagerButton(key, action, onClick) {
    return el("button", { type: "button", dataset: { page: action }, title: t(key), "aria-label": t(key),
                          text: { first: "«", prev: "‹", next: "›", last: "»" }[action], onclick: onClick });
  }

  function build() {
    var layerSelect = el("select", { id: "map-table-layer", "aria-label": t("table_layer"),
                                     onchange: function () { SM.openTable(layerSelect.value); } },
      layerCfgs().map(function (l) { return el("option", { value: l.id, text: l.title }); }));
    ui = { layerSelect: layerSelect };
    ui.count = el("span", { class: "map-table-count" });
    ui.csv = el("a", { class: "button export-csv", dataset: { export: "csv" }, text: t("table_export_csv"), download: "" });
    ui.xlsx = el("a", { class: "button export-xlsx", dataset: { export: "xlsx" }, text: t("table_export_xlsx"), download: "" });
    ui.columnList = el("div", { class: "column-list" });
    ui.columns = el("details", { class: "map-table-columns" }, [el("summary", { text: t("table_columns") }), ui.columnList]);
    ui.collapse = el("button", { type: "button", dataset: { action: "collapse" }, "aria-expanded": "true",
                                 text: t("table_collapse"), onclick: toggleCollapse });
    ui.header = el("header", { class: "map-table-head" }, [
      el("h2", { text: t("table") }),
      el("label", {}, [t("table_layer") + " ", layerSelect]),
      ui.count,
      el("span", { class: "map-table-tools" }, [
        el("button", { type: "button", dataset: { action: "refresh" }, text: t("table_refresh"), onclick: function () { load(); } }),
        ui.columns, ui.csv, ui.xlsx, ui.collapse,
        el("button", { type: "button", class: "panel-close", dataset: { action: "close" }, "aria-label": t("close"),
                       title: t("close"), text: "×", onclick: function () { SM.closeTable(); } })
      ])
    ]);
    ui.filterField = el("select", { class: "filter-field", "aria-label": t("table_filter_field"), onchange: fillFilterOps });
    ui.filterOp = el("select", { class: "filter-op", "aria-label": t("table_filter_op"), onchange: function () {
      ui.filterValue.hidden = ui.filterOp.value === "null" || ui.filterOp.value === "not_null";
    } });
    ui.filterValue = el("input", { class: "filter-value" });
    ui.chips = el("span", { class: "filter-chips" });
    ui.clear = el("button", { type: "button", dataset: { action: "clear-filters" }, text: t("table_filter_clear"),
                              onclick: function () { state.conditions = []; state.offset = 0; renderConditions(); load(); } });
    ui.filter = el("div", { class: "map-table-filter", role: "search", "aria-label": t("table_filter") }, [
      el("strong", { text: t("table_filter") }), ui.filterField, ui.filterOp, ui.filterValue,
      el("button", { type: "button", dataset: { action: "add-filter" }, text: t("table_filter_add"), onclick: addCondition }),
      ui.chips, ui.clear
    ]);
    ui.message = el("div", { class: "map-table-message", role: "status" });
    ui.head = el("thead");
    ui.body = el("tbody");
    ui.grid = el("table", { class: "map-table-grid" }, [ui.head, ui.body]);
    ui.scroll = el("div", { class: "map-table-scroll" }, [ui.grid]);
    ui.range = el("span", { class: "map-table-range" });
    ui.first = pagerButton("table_first", "first", function () { state.offset = 0; load(); });
    ui.prev = pagerButton("table_prev", "prev", function () { state.offset = Math.max(0, state.offset - state.limit); load(); });
    ui.next = pagerButton("table_next", "next", function () { state.offset += state.limit; load(); });
    ui.last = pagerButton("table_last", "last", function () {
      state.offset = Math.max(0, Math.floor((state.matched - 1) / state.limit) * state.limit); load();
    });
    ui.size = el("select", { class: "page-size", "aria-label": t("table_page_size"), onchange: function () {
      state.limit = Number(ui.size.value); state.offset = 0; load();
    } }, PAGE_SIZES.map(function (n) { return el("option", { value: String(n), text: String(n) }); }));
    ui.size.value = "50";
    var pager = el("footer", { class: "map-table-pager" }, [ui.first, ui.prev, ui.range, ui.next, ui.last,
      el("label", {}, [t("table_page_size") + " ", ui.size])]);
    ui.resize = el("div", { class: "map-table-resize", role: "separator", "aria-orientation": "horizontal",
                            title: t("table_resize"), "aria-label": t("table_resize") });
    ui.resize.addEventListener("pointerdown", startResize);
    ui.panel = el("section", { id: "map-table", class: "map-table", "aria-label": t("table") },
                  [ui.resize, ui.header, ui.filter, ui.message, ui.scroll, pager]);

    ui.body.addEventListener("click", function (e) {
      var tr = e.target.closest("tr[data-fid]");
      if (!tr || e.target.closest(".cell-editor")) { return; }
      selectRow(tr);
    });
    ui.body.addEventListener("dblclick", function (e) {
      var td = e.target.closest("td.editable");
      if (td && !e.target.closest(".cell-editor")) { startEdit(td); }
    });
    ui.body.addEventListener("keydown", function (e) {
      if (e.target.closest(".cell-editor")) { return; }
      var td = e.target.closest("td.editable");
      if (td && (e.key === "F2" || e.key === "Enter")) { e.preventDefault(); startEdit(td); return; }
      var tr = e.target.closest("tr[data-fid]");
      if (tr && e.key === "Enter") { e.preventDefault(); selectRow(tr); }
    });
    L.DomEvent.disableClickPropagation(ui.panel);
    L.DomEvent.disableScrollPropagation(ui.panel);
    mainBox().appendChild(ui.panel);
    mainBox().classList.add("with-table");
  }

  /* Open the attribute table of layer ``layerId`` (a collection id of config.layers). */
  SM.openTable = function (layerId) {
    var cfg = SM.layerCfg ? SM.layerCfg(layerId) : layerCfgs().filter(function (l) { return l.id === layerId; })[0];
    if (!cfg) { cfg = layerCfgs()[0]; }
    if (!cfg) { return Promise.resolve(); }
    if (!ui) { build(); }
    var stored = Number((function () { try { return window.localStorage.getItem(HEIGHT_KEY); } catch (e) { return null; } })());
    var height = (state && state.height) || stored || Math.round(mainBox().clientHeight * 0.38);
    state = { cfg: cfg, offset: 0, limit: Number(ui.size.value), sort: null, conditions: [], features: [], matched: 0,
              height: height, selected: null };
    ui.layerSelect.value = cfg.id;
    ui.panel.dataset.layer = cfg.id;
    ui.panel.dataset.loading = "1";  // until this layer's first page is drawn
    delete ui.panel.dataset.ready;
    ui.panel.classList.remove("collapsed");
    ui.collapse.textContent = t("table_collapse");
    applyHeight(height);
    setMessage("");
    ui.body.replaceChildren();
    return schemaOf(cfg).then(function (doc) {
      if (!state || state.cfg !== cfg) { return; }
      state.columns = columnsOf(cfg, doc);
      if (shownColumns[cfg.id]) {
        state.columns.forEach(function (c) { c.shown = shownColumns[cfg.id].indexOf(c.name) >= 0; });
      }
      renderColumnChooser();
      ui.panel.dataset.editable = state.columns.some(function (c) { return c.editable; }) ? "1" : "0";
      renderHead();
      fillFilterField();
      renderConditions();
      return load();
    }, function (err) {
      if (!ui || !state || state.cfg !== cfg) { return; }
      delete ui.panel.dataset.loading;
      setMessage(t("table_load_failed") + "：" + err.message, true);
    });
  };

  SM.closeTable = function () {
    if (!ui) { return; }
    if (SM.highlight) { SM.highlight(null); }
    ui.panel.remove();
    var box = mainBox();
    box.classList.remove("with-table");
    box.style.removeProperty("--map-table-h");
    ui = null;
    state = null;
    map.invalidateSize({ pan: false });
  };

  /* A feature clicked on the map marks its row when the table shows that layer. */
  map.on("popupopen", function (e) {
    if (!ui || !state) { return; }
    var node = e.popup.getElement();
    var box = node ? node.querySelector(".popup[data-layer]") : null;
    if (!box || box.dataset.layer !== state.cfg.id) { return; }
    var tr = rowOf(box.dataset.fid);
    if (!tr) { return; }
    Array.prototype.forEach.call(ui.body.querySelectorAll("tr.selected"), function (r) { r.classList.remove("selected"); });
    tr.classList.add("selected");
    state.selected = Number(box.dataset.fid);
    tr.scrollIntoView({ block: "nearest" });
  });

  /* The map's button opening the table (for the first visible layer, or the first layer). */
  var TableControl = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      var box = L.DomUtil.create("div", "leaflet-bar map-table-control");
      var button = el("a", { href: "#", role: "button", id: "map-table-button", title: t("table_open"),
                             "aria-label": t("table_open"), text: t("table") });
      button.addEventListener("click", function (e) {
        e.preventDefault();
        if (ui) { SM.closeTable(); return; }
        var visible = layerCfgs().filter(function (l) {
          var layer = l._holder || (window.mapLayers || {})[l.id];
          return layer && map.hasLayer(layer);
        })[0];
        SM.openTable((visible || layerCfgs()[0] || {}).id);
      });
      box.appendChild(button);
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });
  var control = new TableControl().addTo(map);
  var corner = control.getContainer().parentNode;  // right under the zoom buttons, above other tools
  if (corner && corner.firstChild !== control.getContainer()) {
    corner.insertBefore(control.getContainer(), corner.firstChild.nextSibling);
  }
})();
