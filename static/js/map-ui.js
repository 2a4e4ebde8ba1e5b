/* Shared helpers of the map page: DOM building (text only, never innerHTML),
 * JSON requests with the CSRF header, modal dialogs and side panels.
 * Exposes window.ShifengMap (SM); map.js and the editing scripts add to it. */
(function () {
  "use strict";

  var SM = window.ShifengMap = window.ShifengMap || {};
  SM.config = JSON.parse(document.getElementById("map-config").textContent);

  /* Translate a UI text key, filling {name} placeholders. */
  SM.t = function (key, values) {
    var text = SM.config.i18n[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(values[k])); });
    return text;
  };

  /* Build an element: el("button", {class: "x", type: "button", onclick: fn}, ["text", child]). */
  SM.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key.slice(0, 2) === "on") { node.addEventListener(key.slice(2), value); }
      else if (key === "class") { node.className = value; }
      else if (key === "text") { node.textContent = value; }
      else if (key === "dataset") { Object.keys(value).forEach(function (d) { node.dataset[d] = value[d]; }); }
      else if (key === "value" || key === "checked" || key === "selected") { node[key] = value; }
      else { node.setAttribute(key, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* Send a JSON request; resolve {ok, status, body, etag} (never reject on HTTP errors). */
  SM.request = function (method, url, body, etag) {
    var headers = { Accept: "application/json, application/geo+json" };
    if (method !== "GET") { headers["X-CSRFToken"] = csrfToken(); }
    if (etag) { headers["If-Match"] = etag; }
    var init = { method: method, credentials: "same-origin", headers: headers };
    if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/geo+json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (resp) {
      return resp.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = { message: text.slice(0, 200) }; }
        return { ok: resp.ok, status: resp.status, body: parsed, etag: resp.headers.get("ETag") };
      });
    }, function () {
      return { ok: false, status: 0, body: { code: "network", message: SM.t("network_error") }, etag: null };
    });
  };

  SM.urlFor = function (template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return encodeURIComponent(values[key]); });
  };

  /* Open a modal dialog; buttons: [{label, className, onClick(dialogHandle)}]. Returns the handle. */
  SM.openDialog = function (opts) {
    var dialog = SM.el("dialog", { class: "map-dialog " + (opts.className || ""), "aria-label": opts.title });
    var buttons = SM.el("div", { class: "dialog-buttons" });
    var handle = { node: dialog, closed: false };
    handle.close = function () {
      if (handle.closed) { return; }
      handle.closed = true;
      if (dialog.open) { dialog.close(); }
      dialog.remove();
      if (opts.onClose) { opts.onClose(); }
    };
    handle.message = SM.el("div", { class: "dialog-message", role: "alert" });
    dialog.appendChild(SM.el("h2", { text: opts.title }));
    if (opts.body) { dialog.appendChild(opts.body); }
    dialog.appendChild(handle.message);
    (opts.buttons || []).forEach(function (b) {
      buttons.appendChild(SM.el("button", {
        type: "button", class: b.className || "", dataset: { action: b.action || "" },
        text: b.label, onclick: function () { b.onClick(handle); }
      }));
    });
    dialog.appendChild(buttons);
    dialog.addEventListener("cancel", function (e) { e.preventDefault(); handle.close(); });
    document.body.appendChild(dialog);
    dialog.showModal();
    handle.setMessage = function (text, isError) {
      handle.message.textContent = text || "";
      handle.message.classList.toggle("error", !!isError);
    };
    handle.setBusy = function (busy) {
      Array.prototype.forEach.call(buttons.querySelectorAll("button"), function (b) { b.disabled = busy; });
    };
    return handle;
  };

  /* Show (or replace) the side panel with a title and body; returns the panel's body element. */
  SM.openPanel = function (id, title, onClose) {
    SM.closePanel();
    var body = SM.el("div", { class: "side-panel-body" });
    var panel = SM.el("aside", { id: id, class: "side-panel", "aria-label": title }, [
      SM.el("header", {}, [
        SM.el("h2", { text: title }),
        SM.el("button", { type: "button", class: "panel-close", "aria-label": SM.t("close"), text: "×",
                          onclick: function () { SM.closePanel(); } })
      ]),
      body
    ]);
    panel._onClose = onClose;
    document.querySelector(".mapmain").appendChild(panel);
    return body;
  };

  SM.closePanel = function () {
    var panel = document.querySelector(".side-panel");
    if (!panel) { return; }
    panel.remove();
    if (panel._onClose) { panel._onClose(); }
  };

  /* Write a short message in the map status line. */
  SM.status = function (text, isError) {
    var box = document.getElementById("map-status");
    box.textContent = text || "";
    box.classList.toggle("error", !!isError);
  };
})();
