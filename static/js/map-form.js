/* Attribute forms built from a layer's fields, as the OGC collection document
 * (/ogc/collections/<id>) declares them: typed inputs, required fields marked,
 * choices as selects; the field a 422 names is highlighted with its message.
 * Values are set with .value and labels with textContent (never innerHTML). */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var el = SM.el;
  var schemas = {};

  /* Resolve the editable fields of a layer, in the catalogue's order. */
  SM.fieldsFor = function (layerCfg) {
    if (!schemas[layerCfg.id]) {
      schemas[layerCfg.id] = SM.request("GET", layerCfg.collection_url).then(function (resp) {
        if (!resp.ok) { throw new Error(resp.body && resp.body.message || resp.status); }
        var props = resp.body.properties || {};
        var required = resp.body.required || [];
        var names = (layerCfg.field_order || []).filter(function (n) { return props[n]; });
        Object.keys(props).forEach(function (n) { if (names.indexOf(n) < 0) { names.push(n); } });
        /* The properties are JSON Schema: a date is {type: "string", format: "date"}. */
        return names.map(function (n) {
          var p = props[n];
          return Object.assign({ name: n }, p, {
            type: p.format === "date" ? "date" : p.type, required: required.indexOf(n) >= 0 });
        }).filter(function (f) { return !f.readOnly && f.type !== "object"; });
      });
    }
    return schemas[layerCfg.id];
  };

  function inputFor(layerCfg, field, value) {
    var attrs = { id: "f-" + field.name, name: field.name, dataset: { field: field.name, type: field.type } };
    if (field.enum) {
      var labels = layerCfg.choices[field.name] || {};
      var select = el("select", attrs, [el("option", { value: "", text: SM.t("empty_choice") })]);
      field.enum.forEach(function (code) {
        select.appendChild(el("option", { value: code, text: labels[code] || code }));
      });
      select.value = value === null || value === undefined ? "" : String(value);
      return select;
    }
    if (field.type === "boolean") {
      var yesno = el("select", attrs, [
        el("option", { value: "", text: SM.t("empty_choice") }),
        el("option", { value: "true", text: SM.t("yes") }),
        el("option", { value: "false", text: SM.t("no") })
      ]);
      yesno.value = value === true ? "true" : value === false ? "false" : "";
      return yesno;
    }
    if (field.type === "integer" || field.type === "number") {
      attrs.type = "number";
      attrs.step = field.type === "integer" ? "1" : "any";
    } else if (field.type === "date") {
      attrs.type = "date";
    } else {
      attrs.type = "text";
      attrs.maxlength = "4000";
    }
    var input = el("input", attrs);
    input.value = value === null || value === undefined ? "" : String(value);
    return input;
  }

  function valueOf(field, input) {
    var raw = input.value;
    if (field.type === "boolean") { return raw === "" ? null : raw === "true"; }
    if (raw === "") { return field.type === "string" && field.required && !field.enum ? "" : null; }
    if (field.type === "integer") { return /^-?\d+$/.test(raw) ? parseInt(raw, 10) : raw; }
    if (field.type === "number") { return isFinite(Number(raw)) ? Number(raw) : raw; }
    return raw;
  }

  /* Build the form; returns {node, values(), markError(field, message), clearErrors()}. */
  SM.buildForm = function (layerCfg, fields, props) {
    var form = el("form", { class: "attr-form", novalidate: true, onsubmit: function (e) { e.preventDefault(); } });
    var inputs = {};
    fields.forEach(function (field) {
      var input = inputFor(layerCfg, field, props[field.name]);
      inputs[field.name] = input;
      var label = el("label", { for: input.id }, [field.title || field.name]);
      if (field.required) {
        label.appendChild(el("abbr", { class: "required", title: SM.t("required"), text: " *" }));
      }
      form.appendChild(el("div", { class: "form-row" + (field.required ? " is-required" : ""), dataset: { field: field.name } },
        [label, input, el("div", { class: "field-message" })]));
    });
    return {
      node: form,
      values: function () {
        var out = {};
        fields.forEach(function (f) { out[f.name] = valueOf(f, inputs[f.name]); });
        return out;
      },
      clearErrors: function () {
        Array.prototype.forEach.call(form.querySelectorAll(".form-row"), function (row) {
          row.classList.remove("field-error");
          row.querySelector(".field-message").textContent = "";
        });
      },
      markError: function (name, message) {
        var row = form.querySelector('.form-row[data-field="' + (window.CSS && CSS.escape ? CSS.escape(name) : name) + '"]');
        if (!row) { return false; }
        row.classList.add("field-error");
        row.querySelector(".field-message").textContent = message;
        inputs[name].focus();
        return true;
      }
    };
  };

  /* Open the attribute dialog; onSubmit(values, dialog, form) does the save. */
  SM.editAttributes = function (opts) {
    return SM.fieldsFor(opts.layerCfg).then(function (fields) {
      var form = SM.buildForm(opts.layerCfg, fields, opts.props || {});
      var dialog = SM.openDialog({
        title: opts.title, body: form.node, className: "attr-dialog",
        onClose: function () { if (!dialog.saved && opts.onCancel) { opts.onCancel(); } },
        buttons: [
          { label: SM.t("save"), className: "primary", action: "save", onClick: function (d) {
            form.clearErrors();
            d.setMessage("");
            opts.onSubmit(form.values(), d, form);
          } },
          { label: SM.t("cancel"), action: "cancel", onClick: function (d) { d.close(); } }
        ]
      });
      form.node.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && e.target.tagName === "INPUT") { e.preventDefault(); dialog.node.querySelector('[data-action="save"]').click(); }
      });
      var first = form.node.querySelector("input, select");
      if (first) { first.focus(); }
      return dialog;
    });
  };
})();
