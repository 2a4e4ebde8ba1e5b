/* Leaflet's tooltips and popups read a string as HTML.  Ours go through here: a string becomes a text node
 * (never markup), a DOM node is passed as it is.  Every page that loads Leaflet loads this file after it. */
(function () {
  "use strict";

  function node(content) {
    if (content instanceof Node) { return content; }
    return document.createTextNode(content === null || content === undefined ? "" : String(content));
  }

  window.textSafe = {
    node: node,
    /* layer.bindTooltip with ``content`` as text (or a node). */
    tooltip: function (layer, content, options) { return layer.bindTooltip(node(content), options); },
    /* popup.setContent with ``content`` as text (or a node). */
    content: function (popup, content) { return popup.setContent(node(content)); }
  };
})();
