/* Accord's few behaviours: Plotly charts from JSON islands, confirmations, copy buttons, live lists, the menu. */
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

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-plotly"));
    if (!source || !window.Plotly) { return; }
    var spec = JSON.parse(source.textContent);
    var layout = Object.assign({}, BASE_LAYOUT, spec.layout || {});
    window.Plotly.react(el, spec.data, layout, { displayModeBar: false, responsive: true });
  }

  function renderCharts(root) {
    root.querySelectorAll("[data-plotly]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts(document);
  });

  // Content htmx swapped in (a stage change re-renders the contact's panels): draw its charts.
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail && event.detail.elt;
    if (!root || root === document.body || !root.querySelectorAll) { return; }
    if (root.hasAttribute && root.hasAttribute("data-plotly")) { draw(root); }
    renderCharts(root);
  });

  // A chart's data swapped in out of band (a live page's poll): draw the chart again.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var swapped = event.detail && event.detail.target;
    if (!swapped) { return; }
    document.querySelectorAll("[data-plotly]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-plotly"));
      if (source && (swapped === source || swapped.contains(source))) { draw(el); }
    });
  });

  // <ol data-keep="100">: after new items arrive on top, mark them and keep only the newest N.
  // Lists that come with the page (or a filter's swap) start with every item already seen.
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail && event.detail.elt;
    if (!root || !root.querySelectorAll) { return; }
    root.querySelectorAll("[data-keep]").forEach(function (list) {
      list.querySelectorAll(":scope > li").forEach(function (item) { item.setAttribute("data-seen", ""); });
      list.setAttribute("data-ready", "");
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail && event.detail.target;
    if (!list || !list.hasAttribute || !list.hasAttribute("data-keep")) { return; }
    var keep = parseInt(list.getAttribute("data-keep"), 10);
    var items = list.querySelectorAll(":scope > li[id^='event-']");
    items.forEach(function (item) {
      if (!item.hasAttribute("data-seen")) {
        item.setAttribute("data-seen", "");
        if (list.hasAttribute("data-ready")) {
          item.classList.add("is-new");
          setTimeout(function () { item.classList.remove("is-new"); }, 3000);
        }
      }
    });
    for (var i = keep; i < items.length; i++) { items[i].remove(); }
    list.setAttribute("data-ready", "");
  });

  // <span data-ago> inside <time datetime>: keep "12 s ago" true while the page stays open
  // (the same wording as the server's `when` tag).
  function ago(seconds) {
    if (seconds < 1) { return "just now"; }
    if (seconds < 60) { return seconds + " s ago"; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + " min ago"; }
    if (seconds < 86400) { return Math.floor(seconds / 3600) + " h ago"; }
    var days = Math.floor(seconds / 86400);
    if (days < 30) { return days + (days === 1 ? " day ago" : " days ago"); }
    if (days < 365) { var months = Math.floor(days / 30); return months + (months === 1 ? " month ago" : " months ago"); }
    var years = Math.floor(days / 365);
    return years + (years === 1 ? " year ago" : " years ago");
  }

  setInterval(function () {
    var now = Date.now();
    document.querySelectorAll("time[datetime] > [data-ago]").forEach(function (el) {
      var at = Date.parse(el.parentElement.getAttribute("datetime"));
      if (!isNaN(at)) { el.textContent = ago(Math.floor((now - at) / 1000)); }
    });
  }, 10000);

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

  // <button data-menu-toggle aria-controls="…">: the menu of a narrow screen opens and closes
  // (the style sheet shows the links while aria-expanded is "true"); Escape closes it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-menu-toggle]") : null;
    if (!button) { return; }
    button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") === "true" ? "false" : "true");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var button = document.querySelector("[data-menu-toggle][aria-expanded='true']");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu || !(menu.contains(document.activeElement) || button === document.activeElement)) { return; }
    button.setAttribute("aria-expanded", "false");
    button.focus();
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

  // SLA countdowns: [data-countdown] carries the open spans (ms) left before its milestone is due;
  // the time left is the open time still ahead, so the clock stands still while the team is closed.
  function durationText(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 60) {
      var seconds = Math.floor(ms / 1000) % 60;
      return minutes + " min " + (seconds < 10 ? "0" : "") + seconds + " s";
    }
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    if (hours < 48) { return hours + " h " + (rest < 10 ? "0" : "") + rest + " min"; }
    var days = Math.floor(hours / 24);
    return days + " days " + (hours % 24) + " h";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var spans;
      try { spans = JSON.parse(el.getAttribute("data-spans") || "[]"); } catch (e) { return; }
      var left = 0, open = false;
      spans.forEach(function (span) {
        if (span[1] > now) { left += span[1] - Math.max(span[0], now); }
        if (span[0] <= now && now < span[1]) { open = true; }
      });
      var text = el.querySelector("[data-countdown-text]");
      if (!text) { return; }
      if (left <= 0) {
        text.textContent = "due now";
        el.classList.remove("sla--ok", "sla--soon");
        el.classList.add("sla--late");
        el.removeAttribute("data-countdown");
        return;
      }
      text.textContent = durationText(left) + " left" + (open ? "" : " (the team is closed: the clock waits)");
      el.classList.toggle("sla--soon", left <= 30 * 60000);
      el.classList.toggle("sla--ok", left > 30 * 60000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); window.setInterval(tick, 1000); });
  document.addEventListener("htmx:load", tick);
})();
