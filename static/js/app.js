// Groupdesk's small behaviours. No inline scripts anywhere (strict CSP): everything lives here.
(function () {
  "use strict";
  // Lets CSS hide the no-JavaScript fallbacks (.no-js-only) when scripts run.
  document.documentElement.classList.add("js");
  // Confirm destructive actions: <button data-confirm="Delete this group?">.
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // After an in-place update (htmx), focus moves to what changed: the element the server marked
  // with data-focus-here (a row's message, a bulk result). The announcement goes to #live-region.
  document.addEventListener("htmx:afterSettle", function () {
    var el = document.querySelector("[data-focus-here]");
    if (!el) return;
    el.removeAttribute("data-focus-here");
    el.focus();
  });
  // The create form's owners and members boxes: a chosen match is added as a line of the box.
  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-fill]");
    if (!option) return;
    var box = document.getElementById(option.getAttribute("data-fill"));
    if (!box) return;
    var value = option.getAttribute("data-fill-value");
    var lines = box.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
    if (lines.indexOf(value) === -1) lines.push(value);
    box.value = lines.join("\n");
    var list = option.closest("[aria-live]");
    if (list) list.textContent = "";
    var find = document.getElementById(box.id + "-find");
    if (find) { find.value = ""; find.focus(); }
  });
  // Filter forms whose state lives in the URL (data-url-state): htmx's history snapshot keeps the
  // results but not what the controls show, so after Back/Forward they are set from the URL again.
  document.addEventListener("htmx:historyRestore", function () {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("form[data-url-state]").forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "submit" || el.type === "button" || el.type === "hidden") return;
        if (el.type === "checkbox") {
          el.checked = params.getAll(el.name).some(function (v) { return v !== "" && v !== "false"; });
        } else {
          el.value = params.get(el.name) || "";
        }
      });
    });
  });
})();
