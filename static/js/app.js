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
      bulkForm.classList.toggle("is-selecting", count > 0);
      counter.textContent = count + " selected";
    });
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
    }, { rootMargin: "600px 0px" });
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

  // Upload: list chosen files, accept drag and drop, avoid double submits.
  var uploadForm = document.querySelector("[data-upload-form]");
  if (uploadForm) {
    var input = uploadForm.querySelector("input[type=file]");
    var zone = uploadForm.querySelector("[data-dropzone]");
    var chosen = uploadForm.querySelector("[data-chosen]");
    var showChosen = function () {
      chosen.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " KB)";
        chosen.appendChild(item);
      });
    };
    input.addEventListener("change", showChosen);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      input.files = event.dataTransfer.files;
      showChosen();
    });
    uploadForm.addEventListener("submit", function () {
      var submit = uploadForm.querySelector("[data-submit]");
      submit.disabled = true;
      submit.textContent = "Uploading…";
    });
  }
})();
