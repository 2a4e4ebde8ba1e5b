/* Export page: send the form to /api/exports, follow the job at /api/jobs/<id>, offer the download.
 * Messages from the server are shown with textContent only. */
(function () {
  "use strict";

  var i18n = JSON.parse(document.getElementById("export-i18n").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var box = document.getElementById("export-progress");
  var bar = box.querySelector("progress");
  var message = box.querySelector(".progress-message");
  var link = box.querySelector(".download-link");

  function show(percent, text, failed) {
    box.hidden = false;
    bar.value = percent;
    message.textContent = text || "";
    message.classList.toggle("error", !!failed);
  }

  function snapshotBody(form) {
    var data = new FormData(form);
    var body = { kind: data.get("format") === "html" ? "html" : "snapshot" };
    var mode = data.get("extent_mode");
    if (mode === "zone") { body.zone = data.get("zone"); }
    if (mode === "bbox") { body.bbox = data.get("bbox"); }
    body.layers = data.getAll("layers");
    ["title", "subtitle", "paper", "dpi", "format", "as_of"].forEach(function (k) { body[k] = data.get(k); });
    body.landscape = data.get("landscape") === "true";
    body.internal = data.get("internal") === "on";
    return body;
  }

  function packBody(form) {
    var data = new FormData(form);
    return { kind: "meeting_pack", as_of: data.get("as_of"), title: data.get("title") };
  }

  /* Show the new export in the history: the table as the server renders this page now. */
  function refreshHistory() {
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (resp) { return resp.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("#export-history tbody");
        var old = document.querySelector("#export-history tbody");
        if (fresh && old) { old.replaceWith(fresh); }
      })
      .catch(function () { /* the download link above still works */ });
  }

  function poll(jobUrl, buttons) {
    fetch(jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.json(); })
      .then(function (job) {
        if (job.status === "done") {
          show(100, i18n.done);
          link.href = job.result.download_url || ("/api/exports/" + job.result.id + "/file");
          link.textContent = i18n.download + "：" + job.result.filename;
          link.hidden = false;
          buttons.forEach(function (b) { b.disabled = false; });
          refreshHistory().then(function () { document.body.dataset.exportDone = String(job.result.id); });
        } else if (job.status === "failed") {
          show(100, i18n.failed + "：" + (job.message || ""), true);
          buttons.forEach(function (b) { b.disabled = false; });
          document.body.dataset.exportDone = "failed";
        } else {
          show(job.progress, (job.status === "queued" ? i18n.queued : i18n.running) + " " + (job.message || ""));
          window.setTimeout(function () { poll(jobUrl, buttons); }, 700);
        }
      })
      .catch(function () { show(0, i18n.error, true); buttons.forEach(function (b) { b.disabled = false; }); });
  }

  function submit(form, makeBody) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var buttons = Array.prototype.slice.call(document.querySelectorAll("form button[type=submit]"));
      buttons.forEach(function (b) { b.disabled = true; });
      link.hidden = true;
      delete document.body.dataset.exportDone;
      show(0, i18n.queued);
      fetch("/api/exports", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(makeBody(form))
      }).then(function (resp) {
        return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
      }).then(function (r) {
        if (!r.ok) {
          show(0, i18n.failed + "：" + (r.data.message || ""), true);
          buttons.forEach(function (b) { b.disabled = false; });
          document.body.dataset.exportDone = "failed";
          return;
        }
        poll(r.data.job_url, buttons);
      }).catch(function () { show(0, i18n.error, true); buttons.forEach(function (b) { b.disabled = false; }); });
    });
  }

  submit(document.getElementById("snapshot-form"), snapshotBody);
  submit(document.getElementById("pack-form"), packBody);
})();
