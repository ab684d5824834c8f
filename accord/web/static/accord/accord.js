/* Accord's few behaviours: Plotly charts from JSON islands, confirmations, copy buttons. */
(function () {
  "use strict";

  var BASE_LAYOUT = {
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: {
      family: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
      size: 13,
      color: "#1b1f29"
    },
    hoverlabel: { font: { size: 13 } }
  };

  function renderCharts(root) {
    if (!window.Plotly) { return; }
    root.querySelectorAll("[data-plotly]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-plotly"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      var layout = Object.assign({}, BASE_LAYOUT, spec.layout || {});
      window.Plotly.newPlot(el, spec.data, layout, { displayModeBar: false, responsive: true });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts(document);
  });

  // Keep addresses short: a GET leaves out filters that are empty ("?q=ada", not "?q=ada&stage=&owner=").
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (!detail || String(detail.verb).toLowerCase() !== "get") { return; }
    Object.keys(detail.parameters).forEach(function (name) {
      if (detail.parameters[name] === "") { delete detail.parameters[name]; }
    });
  });

  // <form data-confirm="…">: ask before an irreversible write.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }
  }, true);

  // <button data-copy="#selector">: copy that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      button.textContent = "Copied";
    });
  });

  // After htmx swaps in an answer carrying an error, move focus to the message.
  document.addEventListener("htmx:afterSettle", function () {
    var alert = document.querySelector("[data-focus-after-swap]");
    if (alert) {
      alert.removeAttribute("data-focus-after-swap");
      alert.setAttribute("tabindex", "-1");
      alert.focus();
    }
  });
})();
