/* Ledger import preview: list all rows, or only those with problems, changes or remarks (nothing is sent). */
(function () {
  "use strict";
  var box = document.getElementById("preview-filter");
  var table = document.getElementById("preview-table");
  if (!box || !table) { return; }
  var texts = JSON.parse(document.getElementById("preview-texts").textContent);
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-status]"));
  var tests = {
    all: function () { return true; },
    problems: function (r) { return r.dataset.status === "error"; },
    changes: function (r) { return r.dataset.status === "change"; },
    attention: function (r) { return r.dataset.status !== "same" || r.dataset.warnings !== "0"; }
  };
  function apply(show) {
    var shown = 0;
    rows.forEach(function (r) {
      var keep = (tests[show] || tests.all)(r);
      r.hidden = !keep;
      if (keep) { shown += 1; }
    });
    box.dataset.show = show;
    document.getElementById("preview-shown").textContent =
      texts.shown.replace("{n}", String(shown)).replace("{total}", String(rows.length));
  }
  box.addEventListener("change", function (e) {
    if (e.target && e.target.name === "show") { apply(e.target.value); }
  });
  apply("all");
})();
