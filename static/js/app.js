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
})();
