/* The notification bell: the unread count (polled every minute), the latest notices in a panel, mark read.
 * Self-contained: reads #bell-config, talks to /api/notifications only; notice text is set with textContent. */
(function () {
  "use strict";

  var root = document.getElementById("notification-bell");
  var cfgNode = document.getElementById("bell-config");
  if (!root || !cfgNode) { return; }
  var cfg = JSON.parse(cfgNode.textContent);
  var button = document.getElementById("bell-button");
  var panel = document.getElementById("bell-panel");
  var list = document.getElementById("bell-list");
  var badge = document.getElementById("bell-count");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function setCount(n) {
    badge.dataset.count = String(n);
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.hidden = n === 0;
    root.dataset.unread = String(n);
  }

  function request(url, method) {
    return fetch(url, { method: method || "GET", credentials: "same-origin",
                        headers: { "Accept": "application/json", "X-CSRFToken": csrf } })
      .then(function (resp) {
        return resp.json().then(function (body) {
          if (!resp.ok) { throw new Error(body.message || String(resp.status)); }
          return body;
        });
      });
  }

  function refreshCount() {
    return request(cfg.count_url).then(function (body) { setCount(body.unread); }).catch(function () {});
  }

  function item(n) {
    var li = document.createElement("li");
    li.className = n.read ? "read" : "unread";
    li.dataset.id = String(n.id);
    var b = document.createElement("button");
    b.type = "button";
    var title = document.createElement("span");
    title.textContent = n.title;
    if (n.severity === "violation") { title.className = "sev-violation"; }
    var when = document.createElement("span");
    when.className = "when";
    when.textContent = n.created_at.slice(0, 16).replace("T", " ") + " · " + n.event_label;
    b.appendChild(title);
    b.appendChild(when);
    b.addEventListener("click", function () { open(n); });
    li.appendChild(b);
    return li;
  }

  function open(n) {
    var go = function () { window.location.href = n.link || cfg.inbox_url || "/notifications"; };
    if (n.read) { go(); return; }
    request(cfg.read_url + "/" + encodeURIComponent(n.id) + "/read", "POST")
      .then(function (body) { setCount(body.unread); go(); })
      .catch(go);
  }

  function loadList() {
    list.textContent = "";
    root.dataset.listReady = "0";
    return request(cfg.list_url + "?limit=8").then(function (body) {
      setCount(body.unread);
      if (!body.notifications.length) {
        var empty = document.createElement("li");
        empty.className = "empty";
        empty.textContent = cfg.i18n.empty;
        list.appendChild(empty);
      }
      body.notifications.forEach(function (n) { list.appendChild(item(n)); });
      root.dataset.listReady = "1";
    }).catch(function () {
      var failed = document.createElement("li");
      failed.className = "empty";
      failed.textContent = cfg.i18n.failed;
      list.appendChild(failed);
      root.dataset.listReady = "error";
    });
  }

  function toggle(show) {
    panel.hidden = !show;
    button.setAttribute("aria-expanded", show ? "true" : "false");
    if (show) { loadList(); }
  }

  button.addEventListener("click", function (event) {
    event.stopPropagation();
    toggle(panel.hidden);
  });
  document.addEventListener("click", function (event) {
    if (!panel.hidden && !root.contains(event.target)) { toggle(false); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { toggle(false); button.focus(); }
  });
  document.getElementById("bell-readall").addEventListener("click", function () {
    request(cfg.readall_url, "POST").then(function (body) { setCount(body.unread); loadList(); }).catch(function () {});
  });
  cfg.inbox_url = document.getElementById("bell-inbox").getAttribute("href");
  setInterval(refreshCount, 60000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refreshCount(); }
  });
  root.dataset.ready = "1";
})();
