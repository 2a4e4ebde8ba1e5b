/* Layer manager for planners: create a layer (name, title, geometry type,
 * typed fields), set its style (stroke and fill colour, width, opacity, label
 * field), order the layers and hide them.  Saved through /api/layers; the
 * page reloads so the map, legend and forms pick the change up. */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var el = SM.el;
  var t = SM.t;
  var TYPES = ["string", "integer", "number", "boolean", "date"];
  var GEOMETRIES = ["Polygon", "MultiPolygon", "LineString", "MultiLineString", "Point"];

  function row(label, input, path) {
    return el("div", { class: "form-row", dataset: { field: path || input.name || "" } },
      [el("label", { text: label, for: input.id || null }), input, el("div", { class: "field-message" })]);
  }

  function markError(container, body) {
    Array.prototype.forEach.call(container.querySelectorAll(".field-error"), function (r) { r.classList.remove("field-error"); });
    var target = body.field && container.querySelector('[data-field="' + body.field + '"]');
    if (target) {
      target.classList.add("field-error");
      var msg = target.querySelector(".field-message");
      if (msg) { msg.textContent = body.message; }
    }
    return !!target;
  }

  function styleInputs(style, fields) {
    var labelSelect = el("select", { name: "label_field" }, [el("option", { value: "", text: SM.t("empty_choice") })]
      .concat(fields.map(function (f) { return el("option", { value: f.name, text: f.label || f.name }); })));
    labelSelect.value = style.label_field || "";
    var inputs = {
      color: el("input", { type: "color", name: "color", value: style.color || "#3366cc" }),
      fillColor: el("input", { type: "color", name: "fillColor", value: style.fillColor || "#3366cc" }),
      weight: el("input", { type: "number", name: "weight", min: "0", max: "20", step: "0.5", value: String(style.weight !== undefined ? style.weight : 2) }),
      opacity: el("input", { type: "number", name: "opacity", min: "0", max: "1", step: "0.05", value: String(style.opacity !== undefined ? style.opacity : 1) }),
      fillOpacity: el("input", { type: "number", name: "fillOpacity", min: "0", max: "1", step: "0.05", value: String(style.fillOpacity !== undefined ? style.fillOpacity : 0.3) }),
      label_field: labelSelect
    };
    var node = el("fieldset", { class: "style-fields" }, [el("legend", { text: t("style") }),
      row(t("stroke_colour"), inputs.color, "style.color"), row(t("fill_colour"), inputs.fillColor, "style.fillColor"),
      row(t("stroke_width"), inputs.weight, "style.weight"), row(t("stroke_opacity"), inputs.opacity, "style.opacity"),
      row(t("fill_opacity"), inputs.fillOpacity, "style.fillOpacity"), row(t("label_field"), labelSelect, "style.label_field")]);
    return { node: node, value: function () {
      return { color: inputs.color.value, fillColor: inputs.fillColor.value, weight: Number(inputs.weight.value),
               opacity: Number(inputs.opacity.value), fillOpacity: Number(inputs.fillOpacity.value),
               label_field: labelSelect.value || null };
    } };
  }

  function fieldRow(list) {
    var index = list.children.length;
    var type = el("select", { name: "type" }, TYPES.map(function (k) { return el("option", { value: k, text: t("type_" + k) }); }));
    var item = el("div", { class: "field-def", dataset: { field: "fields[" + index + "]" } }, [
      el("input", { name: "name", placeholder: t("field_name"), "aria-label": t("field_name"), dataset: { field: "fields[" + index + "].name" } }),
      el("input", { name: "label", placeholder: t("field_label"), "aria-label": t("field_label") }),
      type,
      el("label", { class: "inline" }, [el("input", { type: "checkbox", name: "required" }), t("required")]),
      el("input", { name: "choices", placeholder: t("choices"), "aria-label": t("choices") }),
      el("button", { type: "button", text: t("remove"), onclick: function () { item.remove(); } }),
      el("div", { class: "field-message" })]);
    list.appendChild(item);
  }

  function newLayerDialog() {
    var fields = el("div", { class: "field-defs" });
    var name = el("input", { id: "new-layer-name", name: "name", pattern: "[a-z][a-z0-9_]{1,62}", placeholder: "greenway_2026" });
    var title = el("input", { id: "new-layer-title", name: "title" });
    var geometry = el("select", { id: "new-layer-geometry", name: "geometry_type" },
      GEOMETRIES.map(function (g) { return el("option", { value: g, text: t("geom_" + g) + " (" + g + ")" }); }));
    var style = styleInputs({}, []);
    var form = el("form", { class: "layer-form", novalidate: true, onsubmit: function (e) { e.preventDefault(); } }, [
      row(t("layer_name"), name), row(t("layer_title"), title), row(t("geometry_type"), geometry),
      el("fieldset", { dataset: { field: "fields" } }, [el("legend", { text: t("fields") }), fields,
        el("button", { type: "button", dataset: { action: "add-field" }, text: t("add_field"), onclick: function () { fieldRow(fields); } }),
        el("div", { class: "field-message" })]),
      style.node]);
    fieldRow(fields);
    SM.openDialog({ title: t("new_layer"), body: form, className: "layer-dialog", buttons: [
      { label: t("create"), className: "primary", action: "create-layer", onClick: function (d) {
        var defs = Array.prototype.map.call(fields.querySelectorAll(".field-def"), function (item) {
          var get = function (n) { return item.querySelector('[name="' + n + '"]'); };
          var choices = get("choices").value.split(/[,，、]/).map(function (c) { return c.trim(); }).filter(Boolean);
          return { name: get("name").value.trim(), label: get("label").value.trim(), type: get("type").value,
                   required: get("required").checked, choices: choices.length ? choices : undefined };
        }).filter(function (f) { return f.name || f.label; });
        var body = { name: name.value.trim(), title: title.value.trim(), geometry_type: geometry.value, fields: defs, style: style.value() };
        body.style.label_field = null;
        d.setBusy(true);
        SM.request("POST", SM.config.urls.layers, body).then(function (resp) {
          d.setBusy(false);
          if (resp.ok) { d.close(); window.location.reload(); return; }
          markError(form, resp.body || {});
          d.setMessage((resp.body && resp.body.message) || String(resp.status), true);
        });
      } },
      { label: t("cancel"), onClick: function (d) { d.close(); } }] });
  }

  function styleDialog(layer) {
    var style = styleInputs(layer.style || {}, layer.fields || []);
    SM.openDialog({ title: t("style") + " · " + layer.title, body: el("form", { class: "layer-form" }, [style.node]),
      className: "layer-dialog", buttons: [
        { label: t("save"), className: "primary", action: "save-style", onClick: function (d) {
          patch(layer, { style: style.value() }, d);
        } },
        { label: t("cancel"), onClick: function (d) { d.close(); } }] });
  }

  function patch(layer, body, dialog) {
    return SM.request("PATCH", SM.config.urls.layers + "/" + encodeURIComponent(layer.name), body, layer.etag).then(function (resp) {
      if (resp.ok) { window.location.reload(); return; }
      var message = (resp.body && resp.body.message) || String(resp.status);
      if (dialog) { markError(dialog.node, resp.body || {}); dialog.setMessage(message, true); } else { SM.status(message, true); }
    });
  }

  function move(layers, i, step) {
    var names = layers.map(function (l) { return l.name; });
    var j = i + step;
    if (j < 0 || j >= names.length) { return; }
    var tmp = names[i]; names[i] = names[j]; names[j] = tmp;
    SM.request("PUT", SM.config.urls.layers + "/order", { order: names }).then(function (resp) {
      if (resp.ok) { window.location.reload(); } else { SM.status((resp.body && resp.body.message) || String(resp.status), true); }
    });
  }

  /* Open the layer manager panel. */
  SM.openLayerManager = function () {
    var body = SM.openPanel("layers-panel", t("manage_layers"));
    body.appendChild(el("button", { type: "button", class: "primary", dataset: { action: "new-layer" }, text: t("new_layer"), onclick: newLayerDialog }));
    SM.request("GET", SM.config.urls.layers).then(function (resp) {
      var layers = (resp.body && resp.body.layers) || [];
      if (!layers.length) { body.appendChild(el("p", { class: "muted", text: t("no_user_layers") })); return; }
      var list = el("ol", { class: "layer-list" });
      layers.forEach(function (layer, i) {
        var swatch = el("span", { class: "swatch" });
        swatch.style.background = layer.style.fillColor || layer.style.color;
        swatch.style.borderColor = layer.style.color;
        var hidden = el("input", { type: "checkbox", checked: layer.hidden, onchange: function () { patch(layer, { hidden: hidden.checked }); } });
        list.appendChild(el("li", { dataset: { layer: layer.name } }, [
          swatch, el("strong", { text: layer.title }), el("span", { class: "muted", text: " " + layer.name + " · " + t("geom_" + layer.geometry_type) }),
          el("div", { class: "layer-actions" }, [
            el("button", { type: "button", title: t("move_up"), "aria-label": t("move_up"), text: "↑", onclick: function () { move(layers, i, -1); } }),
            el("button", { type: "button", title: t("move_down"), "aria-label": t("move_down"), text: "↓", onclick: function () { move(layers, i, 1); } }),
            el("button", { type: "button", dataset: { action: "style" }, text: t("style"), onclick: function () { styleDialog(layer); } }),
            el("label", { class: "inline" }, [hidden, t("hidden")])])]));
      });
      body.appendChild(list);
    });
  };
})();
