// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";

  // Confirm destructive actions.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // Colour swatches of a hex value. Set through the style property: the
  // Content-Security-Policy refuses style attributes written in the page.
  var paintSwatches = function (root) {
    root.querySelectorAll("[data-swatch]").forEach(function (swatch) {
      swatch.style.backgroundColor = swatch.getAttribute("data-swatch");
    });
  };
  paintSwatches(document);

  // Gallery: show the bulk bar with a count when images are selected.
  var bulkForm = document.querySelector("[data-bulk-form]");
  if (bulkForm) {
    var bar = bulkForm.querySelector("[data-bulk-bar]");
    var counter = bulkForm.querySelector("[data-bulk-count]");
    bulkForm.addEventListener("change", function () {
      var count = bulkForm.querySelectorAll("[data-select]:checked").length;
      bar.hidden = count === 0;
      counter.textContent = count + " selected";
    });
  }

  // While analysis runs, refresh the parts of the page that show it.
  var attempts = 0;
  var refreshPending = function () {
    var pending = document.querySelectorAll("[data-refresh] [data-pending]");
    if (pending.length === 0 || attempts++ > 60) { return; }
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        pending.forEach(function (marker) {
          var part = marker.closest("[data-refresh]");
          var replacement = part && fresh.getElementById(part.id);
          if (replacement) {
            part.replaceWith(replacement);
            paintSwatches(replacement);
          }
        });
      })
      .catch(function () {})
      .then(function () { window.setTimeout(refreshPending, 2000); });
  };
  window.setTimeout(refreshPending, 1500);
})();
