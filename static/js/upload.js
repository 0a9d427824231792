// The upload page's queue: chosen, dropped or photographed files are sent a
// few at a time, one file per request, to the JSON endpoint that runs the same
// upload service as the plain form (which still works without JavaScript).
(function () {
  "use strict";

  var page = document.querySelector("[data-upload-page]");
  var form = page && page.querySelector("[data-upload-form]");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }

  var PARALLEL = 3;
  var input = form.querySelector("input[name=images]");
  var camera = form.querySelector("[data-camera]");
  var zone = form.querySelector("[data-dropzone]");
  var warning = form.querySelector("[data-cap-warning]");
  var panel = form.querySelector("[data-queue-panel]");
  var summary = form.querySelector("[data-queue-summary]");
  var list = form.querySelector("[data-queue]");
  var submit = form.querySelector("[data-submit]");
  var cancel = form.querySelector("[data-cancel]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var url = page.getAttribute("data-upload-url");
  var leftText = page.getAttribute("data-uploads-left");
  var left = leftText === "" ? null : parseInt(leftText, 10);
  var items = [];

  form.querySelectorAll("[data-js-only]").forEach(function (part) { part.hidden = false; });
  // The queue holds the files, not the input: the browser must not refuse
  // the submit because the input itself is empty.
  input.required = false;

  var LABELS = {
    waiting: "Waiting", sending: "Sending…", stored: "Stored",
    duplicate: "Not stored", refused: "Not stored",
    failed: "Not sent", cancelled: "Cancelled"
  };

  var element = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  };

  var makeItem = function (file) {
    var item = { file: file, state: "waiting", xhr: null, counted: false };
    item.row = element("li", "queue-item");
    item.name = element("span", "queue-name", file.name);
    item.bar = element("progress", "queue-bar");
    item.bar.max = 100;
    item.bar.value = 0;
    item.bar.setAttribute("aria-label", "Progress of " + file.name);
    item.status = element("span", "queue-status");
    item.retry = element("button", "button button-secondary button-small", "Retry");
    item.retry.type = "button";
    item.retry.setAttribute("aria-label", "Retry " + file.name);
    item.remove = element("button", "button button-secondary button-small", "Cancel");
    item.remove.type = "button";
    item.remove.setAttribute("aria-label", "Cancel " + file.name);
    var actions = element("span", "queue-actions");
    actions.appendChild(item.retry);
    actions.appendChild(item.remove);
    [item.name, item.bar, item.status, actions].forEach(function (part) {
      item.row.appendChild(part);
    });
    item.retry.addEventListener("click", function () {
      item.bar.value = 0;
      setState(item, "waiting");
      start();
    });
    item.remove.addEventListener("click", function () { cancelItem(item); });
    setState(item, "waiting");
    return item;
  };

  var setState = function (item, state, message, link) {
    item.state = state;
    item.row.setAttribute("data-state", state);
    item.row.classList.toggle("result-ok", state === "stored");
    item.row.classList.toggle("result-error", state === "refused" || state === "failed");
    item.row.classList.toggle("result-duplicate", state === "duplicate");
    item.status.textContent = message ? LABELS[state] + ": " + message : LABELS[state];
    if (link) {
      var anchor = element("a", "", state === "duplicate" ? "See the one you have" : "Open");
      anchor.href = link;
      item.status.appendChild(document.createTextNode(" "));
      item.status.appendChild(anchor);
    }
    item.retry.hidden = state !== "failed" && !(state === "refused" && item.retryable);
    item.remove.hidden = state !== "waiting" && state !== "sending";
    refresh();
  };

  var count = function (state) {
    return items.filter(function (item) { return item.state === state; }).length;
  };

  var refresh = function () {
    panel.hidden = items.length === 0;
    var busy = count("waiting") + count("sending");
    var done = items.length - busy - count("cancelled");
    var parts = [done + " of " + (items.length - count("cancelled")) + " done"];
    ["stored", "duplicate", "refused", "failed"].forEach(function (state) {
      var n = count(state);
      if (n) { parts.push(n + " " + (state === "duplicate" ? "already there" : LABELS[state].toLowerCase())); }
    });
    summary.textContent = parts.join(" · ");
    cancel.hidden = busy === 0 || !form.classList.contains("is-sending");
    if (busy === 0 && form.classList.contains("is-sending")) {
      form.classList.remove("is-sending");
      submit.disabled = false;
      submit.textContent = "Upload";
      list.classList.add("results");  // the batch is finished
    }
    warnIfOverCap();
  };

  // Before sending: which of the waiting files will not fit in what is left.
  // The server counts again for each file and stays the judge.
  var warnIfOverCap = function () {
    var waiting = items.filter(function (item) { return item.state === "waiting"; });
    var room = left === null ? Infinity : Math.max(left - count("sending"), 0);
    if (waiting.length <= room) { warning.hidden = true; return; }
    var extra = waiting.slice(room).map(function (item) { return item.file.name; });
    warning.textContent = "You can upload " + room + " more image" + (room === 1 ? "" : "s") +
      ", so " + extra.length + " of the " + waiting.length + " chosen will not fit: " +
      extra.join(", ") + ".";
    warning.hidden = false;
  };

  var addFiles = function (files) {
    Array.prototype.forEach.call(files, function (file) {
      var item = makeItem(file);
      items.push(item);
      list.appendChild(item.row);
    });
    refresh();
  };

  var answerOf = function (xhr) {
    try { return JSON.parse(xhr.responseText); } catch (error) { return null; }
  };

  var finish = function (item, xhr) {
    var answer = answerOf(xhr);
    item.xhr = null;
    if (!answer || !answer.status) {
      setState(item, "failed", "the server did not answer (" + xhr.status + "). Nothing was saved.");
    } else {
      if (answer.uploads_left !== undefined) { left = answer.uploads_left; }
      item.retryable = Boolean(answer.retryable);
      item.bar.value = 100;
      setState(item, answer.status, answer.status === "stored" ? "" : answer.message, answer.url);
      if (answer.status === "stored" && answer.thumbnail_url) {
        var thumb = element("img", "queue-thumb");
        thumb.src = answer.thumbnail_url;
        thumb.alt = "";
        thumb.width = 40;
        thumb.height = 40;
        item.row.insertBefore(thumb, item.name);
      }
    }
    pump();
  };

  var send = function (item) {
    var xhr = new XMLHttpRequest();
    var data = new FormData();
    data.append("image", item.file, item.file.name);
    item.xhr = xhr;
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        // The last per cent waits for the server's answer.
        item.bar.value = Math.min(99, Math.round(event.loaded / event.total * 100));
      }
    });
    xhr.addEventListener("load", function () { finish(item, xhr); });
    xhr.addEventListener("error", function () {
      item.xhr = null;
      setState(item, "failed", "the connection was lost. Nothing was saved.");
      pump();
    });
    xhr.addEventListener("abort", function () {
      item.xhr = null;
      setState(item, "cancelled");
      pump();
    });
    setState(item, "sending");
    xhr.send(data);
  };

  var pump = function () {
    var sending = count("sending");
    items.forEach(function (item) {
      if (item.state === "waiting" && sending < PARALLEL && form.classList.contains("is-sending")) {
        sending += 1;
        send(item);
      }
    });
    refresh();
  };

  var start = function () {
    if (count("waiting") === 0) { return; }
    form.classList.add("is-sending");
    submit.disabled = true;
    submit.textContent = "Uploading…";
    list.classList.remove("results");
    pump();
  };

  var cancelItem = function (item) {
    if (item.xhr) { item.xhr.abort(); } else if (item.state === "waiting") { setState(item, "cancelled"); }
  };

  input.addEventListener("change", function () {
    addFiles(input.files);
    input.value = "";  // the queue holds them now
  });
  if (camera) {
    // A phone opens its camera for this input (capture); elsewhere a picker.
    form.querySelector("[data-take-photo]").addEventListener("click", function () {
      camera.click();
    });
    camera.addEventListener("change", function () {
      addFiles(camera.files);
      camera.value = "";
    });
  }
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
    if (event.dataTransfer && event.dataTransfer.files.length) { addFiles(event.dataTransfer.files); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (items.length === 0) {
      warning.textContent = "Choose or drop some photos first.";
      warning.hidden = false;
      return;
    }
    start();
  });
  cancel.addEventListener("click", function () { items.forEach(cancelItem); });
})();
