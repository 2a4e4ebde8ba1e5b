/* Relocation dashboard: the overdue list sorted by a click on a column head and shown 20 rows a page.
 * The rows are the server's (every overdue enterprise, longest overdue first); this only reorders and hides them,
 * with the sort keys the server put in data-* attributes (so nothing is parsed back out of the cells). */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("dashboard-config").textContent);
  var table = document.getElementById("overdue-list");
  var pager = document.getElementById("overdue-pager");
  if (!table || !pager) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.dataset.id; });
  var size = cfg.page_size || 20;
  var page = 1;
  var collator = new Intl.Collator(document.documentElement.lang || "zh", { numeric: true });
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells).filter(function (th) { return th.dataset.sort; });
  var sort = { key: "days", desc: true };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }

  function render() {
    var pages = Math.max(1, Math.ceil(rows.length / size));
    page = Math.min(Math.max(page, 1), pages);
    rows.forEach(function (r, i) {
      r.hidden = i < (page - 1) * size || i >= page * size;
      body.appendChild(r);
    });
    heads.forEach(function (th) {
      if (th.dataset.sort === sort.key) { th.setAttribute("aria-sort", sort.desc ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
    pager.textContent = "";
    pager.hidden = pages < 2;
    pager.setAttribute("aria-label", cfg.i18n.overdue_pages);
    function button(label, to, id) {
      var b = document.createElement("button");
      b.type = "button";
      b.id = id;
      b.textContent = label;
      b.disabled = to < 1 || to > pages;
      b.addEventListener("click", function () { page = to; render(); });
      pager.appendChild(b);
    }
    button(cfg.i18n.previous, page - 1, "overdue-prev");
    var where = document.createElement("span");
    where.id = "overdue-page";
    where.textContent = fill(cfg.i18n.page, { page: page, pages: pages });
    pager.appendChild(where);
    button(cfg.i18n.next, page + 1, "overdue-next");
    table.dataset.page = String(page);
  }

  function order(key, desc, type) {
    rows.sort(function (a, b) {
      var va = a.dataset[key] || "", vb = b.dataset[key] || "";
      var c = type === "number" ? Number(va) - Number(vb) : collator.compare(va, vb);
      if (c === 0) { c = collator.compare(a.dataset.name || "", b.dataset.name || ""); return c; }
      return desc ? -c : c;
    });
  }

  heads.forEach(function (th) {
    var b = document.createElement("button");
    b.type = "button";
    while (th.firstChild) { b.appendChild(th.firstChild); }
    th.appendChild(b);
    b.addEventListener("click", function () {
      var key = th.dataset.sort;
      var desc = sort.key === key ? !sort.desc : th.dataset.type === "number";
      sort = { key: key, desc: desc };
      order(key, desc, th.dataset.type);
      page = 1;
      render();
    });
  });
  order(sort.key, sort.desc, "number");
  render();
})();
