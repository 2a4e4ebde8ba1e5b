/* The search box at the top of the map: results as you type (GET /api/search, debounced, stale answers
 * dropped), keyboard navigation (↑/↓, Enter, Esc), and choosing a result zooms to the feature, highlights it and
 * opens its popup (SM.openFeature).  A combobox with a listbox of options (WAI-ARIA); all text via textContent. */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var map = SM.map;
  var config = SM.config;
  var el = SM.el;
  var t = SM.t;
  var DEBOUNCE_MS = 250;
  var LIMIT = 10;
  var url = (config.urls && config.urls.search) || "/api/search";

  var input = el("input", {
    id: "map-search-input", type: "search", class: "map-search-input", autocomplete: "off", spellcheck: "false",
    maxlength: "100", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
    "aria-controls": "map-search-results", "aria-label": t("search_label"), placeholder: t("search_placeholder")
  });
  var list = el("ul", { id: "map-search-results", class: "map-search-results", role: "listbox",
                        "aria-label": t("search_results"), hidden: true });
  var status = el("div", { class: "map-search-status", role: "status", "aria-live": "polite" });
  var box = el("div", { id: "map-search", class: "map-search", role: "search" }, [input, list, status]);
  var bar = SM.toolbar();
  bar.insertBefore(box, bar.firstChild);

  var results = [];
  var active = -1;
  var timer = null;
  var sequence = 0;
  var aborter = null;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function setActive(i, scroll) {
    var options = list.querySelectorAll("[role=option]");
    if (!options.length) { return; }
    active = (i + options.length) % options.length;
    Array.prototype.forEach.call(options, function (o, j) {
      o.classList.toggle("active", j === active);
      o.setAttribute("aria-selected", j === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", options[active].id);
    if (scroll) { options[active].scrollIntoView({ block: "nearest" }); }
  }

  function describe(r) {
    var parts = [r.layer];
    if (r.category) { parts.push(r.category); } else if (r.kind_label && r.kind_label !== r.layer) { parts.push(r.kind_label); }
    if (r.detail) { parts.push(r.detail); }
    return parts.join(" · ");
  }

  function render(found, query) {
    results = found;
    list.textContent = "";
    active = -1;
    if (!found.length) {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      status.textContent = t("search_none");
      return;
    }
    status.textContent = "";
    found.forEach(function (r, i) {
      var option = el("li", {
        id: "map-search-option-" + i, role: "option", class: "map-search-option", "aria-selected": "false",
        dataset: { collection: r.collection, fid: String(r.id) },
        onmousedown: function (e) { e.preventDefault(); },  // keep the focus in the box
        onclick: function () { choose(i); },
        onmousemove: function () { if (active !== i) { setActive(i); } }
      }, [el("span", { class: "map-search-title", text: r.title }), el("span", { class: "map-search-meta muted", text: describe(r) })]);
      list.appendChild(option);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    box.dataset.query = query;
  }

  function run(query) {
    var mine = ++sequence;
    if (aborter) { aborter.abort(); }
    aborter = window.AbortController ? new AbortController() : null;
    fetch(url + "?q=" + encodeURIComponent(query) + "&limit=" + LIMIT, {
      credentials: "same-origin", headers: { Accept: "application/json" }, signal: aborter ? aborter.signal : undefined
    }).then(function (resp) {
      return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
    }).then(function (answer) {
      if (mine !== sequence) { return; }  // a later keystroke has its own answer coming
      if (!answer.ok) { render([], query); status.textContent = t("search_failed") + "：" + (answer.body.message || ""); return; }
      render(answer.body.results || [], query);
    }).catch(function (err) {
      if (err.name === "AbortError" || mine !== sequence) { return; }
      render([], query);
      status.textContent = t("search_failed");
    });
  }

  function choose(i) {
    var r = results[i];
    if (!r) { return; }
    close();
    input.value = r.title;
    status.textContent = "";
    if (r.bbox) {
      var bounds = L.latLngBounds([r.bbox[1], r.bbox[0]], [r.bbox[3], r.bbox[2]]);
      if (r.bbox[0] === r.bbox[2] && r.bbox[1] === r.bbox[3]) { map.setView(bounds.getCenter(), Math.max(map.getZoom(), 17), { animate: false }); }
      else { map.fitBounds(bounds, { maxZoom: 17, padding: [60, 60], animate: false }); }
    }
    SM.openFeature(r.collection, r.id).catch(function (err) {
      SM.status(t("search_failed") + "：" + (err.message || err), true);
    });
  }
  SM.chooseSearchResult = choose;

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var query = input.value.trim();
    if (!query) { sequence++; results = []; list.textContent = ""; close(); status.textContent = ""; return; }
    timer = setTimeout(function () { run(query); }, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (list.hidden && results.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      setActive(active + 1, true);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive(active - 1, true);
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (results.length && !list.hidden) { choose(active >= 0 ? active : 0); }
      else if (input.value.trim()) { clearTimeout(timer); run(input.value.trim()); }
    } else if (e.key === "Escape") {
      if (!list.hidden) { close(); } else { input.value = ""; status.textContent = ""; results = []; }
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
  input.addEventListener("focus", function () {
    if (results.length && input.value.trim()) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
  });
})();
