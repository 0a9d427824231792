// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

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

  // Gallery: select photos (shift-click for a range, the whole page, or all
  // results of the search) and act on them from the bar.
  var bulkForm = document.querySelector("[data-bulk-form]");
  if (bulkForm) {
    var bar = bulkForm.querySelector("[data-bulk-bar]");
    var counter = bulkForm.querySelector("[data-bulk-count]");
    var allResults = bulkForm.querySelector("[data-all-results]");
    var selectResults = bulkForm.querySelector("[data-select-results]");
    var modeButton = document.querySelector("[data-select-mode]");
    var total = Number(bulkForm.getAttribute("data-total"));
    var boxes = function () {
      return Array.prototype.slice.call(bulkForm.querySelectorAll("[data-select]"));
    };
    var lastBox = null;
    var update = function () {
      var all = boxes();
      var count = all.filter(function (box) { return box.checked; }).length;
      if (count < all.length) { allResults.value = ""; }
      var shown = allResults.value ? total : count;
      var selecting = count > 0 || (modeButton && modeButton.getAttribute("aria-pressed") === "true");
      bar.hidden = count === 0;
      bulkForm.classList.toggle("is-selecting", selecting);
      counter.textContent = allResults.value
        ? "All " + total + " selected"
        : shown + " selected";
      if (selectResults) { selectResults.hidden = !!allResults.value || count < all.length; }
    };
    var setAll = function (checked) {
      boxes().forEach(function (box) { box.checked = checked; });
    };
    bulkForm.addEventListener("click", function (event) {
      var box = event.target.closest("[data-select]");
      if (!box) { return; }
      if (event.shiftKey && lastBox && lastBox !== box && document.contains(lastBox)) {
        var all = boxes();
        var from = all.indexOf(lastBox);
        var to = all.indexOf(box);
        all.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (other) {
          other.checked = box.checked;
        });
      }
      lastBox = box;
      update();
    });
    bulkForm.addEventListener("change", update);
    bulkForm.querySelector("[data-select-page]").addEventListener("click", function () {
      setAll(true);
      update();
    });
    if (selectResults) {
      selectResults.addEventListener("click", function () {
        setAll(true);
        allResults.value = "1";
        update();
      });
    }
    bulkForm.querySelector("[data-select-none]").addEventListener("click", function () {
      setAll(false);
      allResults.value = "";
      if (modeButton) { modeButton.setAttribute("aria-pressed", "false"); }
      update();
    });
    if (modeButton) {
      modeButton.hidden = false;
      modeButton.addEventListener("click", function () {
        var on = modeButton.getAttribute("aria-pressed") !== "true";
        modeButton.setAttribute("aria-pressed", String(on));
        if (!on) { setAll(false); allResults.value = ""; }
        update();
      });
    }
    document.addEventListener("gallery:loaded", update);
    update();
  }

  // Gallery: load the next page as its link scrolls near, appending its
  // photos under their day headings. Without JavaScript the links still page.
  var timeline = document.querySelector("[data-timeline]");
  var announcer = document.createElement("p");
  announcer.className = "visually-hidden";
  announcer.setAttribute("aria-live", "polite");
  document.body.appendChild(announcer);
  var appendPage = function (fresh) {
    var last = timeline.lastElementChild;
    fresh.querySelectorAll("[data-timeline] > .day").forEach(function (day) {
      paintSwatches(day);
      if (last && last.getAttribute("data-day") === day.getAttribute("data-day")) {
        var grid = last.querySelector(".grid");
        day.querySelectorAll(".grid > li").forEach(function (tile) { grid.appendChild(tile); });
      } else {
        timeline.appendChild(day);
        last = day;
      }
    });
  };
  var watchNext = function () {
    var nav = document.querySelector(".pagination");
    var next = nav && nav.querySelector("a[rel=next]");
    if (!timeline || !next || !("IntersectionObserver" in window)) { return; }
    var observer = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) { return; }
      observer.disconnect();
      nav.setAttribute("aria-busy", "true");
      fetch(next.href, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.statusText); }
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var before = timeline.querySelectorAll(".tile").length;
          appendPage(fresh);
          var added = timeline.querySelectorAll(".tile").length - before;
          var freshNav = fresh.querySelector(".pagination");
          if (freshNav && freshNav.querySelector("a[rel=next]")) {
            nav.replaceWith(freshNav);
          } else {
            nav.remove();
          }
          announcer.textContent = added + " more photos loaded.";
          document.dispatchEvent(new CustomEvent("gallery:loaded"));
          watchNext();
        })
        .catch(function () { nav.removeAttribute("aria-busy"); });
    }, { rootMargin: "0px 0px 400px 0px" });
    observer.observe(nav);
  };
  watchNext();

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
