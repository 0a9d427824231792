// The full-screen viewer over the gallery (PhotoSwipe, vendored from npm).
// Without JavaScript, or with a modifier key, a photo's link opens its page.
import PhotoSwipe from "../vendor/photoswipe/photoswipe.esm.min.js";

const INFO_ICON =
  '<svg aria-hidden="true" class="pswp__icn" viewBox="0 0 32 32" width="32" height="32">' +
  '<circle cx="16" cy="16" r="10" fill="none" stroke="currentColor" stroke-width="2.4"/>' +
  '<path d="M16 14.5v7" stroke="currentColor" stroke-width="2.6" stroke-linecap="round"/>' +
  '<circle cx="16" cy="10.6" r="1.6" fill="currentColor"/></svg>';
const PANEL_WIDTH = 360;
const infoCache = new Map();

function slides() {
  return Array.from(document.querySelectorAll("[data-viewer-link]")).map((link) => {
    const thumb = link.querySelector("img");
    return {
      src: link.dataset.preview,
      width: Number(link.dataset.width),
      height: Number(link.dataset.height),
      alt: thumb ? thumb.alt : "",
      msrc: thumb ? thumb.currentSrc || thumb.src : undefined,
      page: link.href,
      link: link,
    };
  });
}

function parse(html) {
  return new DOMParser().parseFromString(html, "text/html");
}

function loadInfo(url) {
  if (!infoCache.has(url)) {
    infoCache.set(
      url,
      fetch(url, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : Promise.reject(response)))
        .then(parse)
        .catch(() => null)
    );
  }
  return infoCache.get(url);
}

function fillPanel(panel, slide, page) {
  panel.textContent = "";
  const side = page && page.querySelector(".detail-side");
  if (!side) {
    panel.append("The details of this photo could not be loaded. ");
    const link = document.createElement("a");
    link.href = slide.page;
    link.textContent = "Open its page";
    panel.append(link);
    return;
  }
  const content = document.importNode(side, true);
  content.classList.remove("card");
  // The photo's name is a heading of the dialog, not of the page.
  const title = content.querySelector("h1");
  if (title) {
    const heading = document.createElement("h2");
    heading.className = title.className;
    heading.id = "viewer-info-title";
    heading.textContent = title.textContent;
    title.replaceWith(heading);
  }
  const caption = page.querySelector(".detail-figure figcaption");
  if (caption && caption.textContent.trim()) {
    const description = document.createElement("p");
    description.className = "viewer-description";
    description.textContent = caption.textContent.trim();
    content.querySelector("h2")?.after(description);
  }
  // The page's ids get a prefix of their own in the dialog, and so do the
  // labels that point to them.
  content.querySelectorAll("[id]").forEach((element) => {
    if (element.id !== "viewer-info-title") { element.id = `viewer-${element.id}`; }
  });
  for (const name of ["aria-labelledby", "aria-describedby", "for"]) {
    content.querySelectorAll(`[${name}]`).forEach((element) => {
      const ids = element.getAttribute(name).split(/\s+/).filter(Boolean);
      element.setAttribute(name, ids.map((id) => `viewer-${id}`).join(" "));
    });
  }
  const pageLink = document.createElement("a");
  pageLink.href = slide.page;
  pageLink.className = "button button-secondary viewer-page-link";
  pageLink.textContent = "Open the photo's page";
  content.querySelector(".actions")?.prepend(pageLink);
  content.querySelectorAll("[data-swatch]").forEach((swatch) => {
    swatch.style.backgroundColor = swatch.getAttribute("data-swatch");
  });
  panel.append(content);
}

function open(index) {
  const items = slides();
  const opener = items[index] && items[index].link;
  let infoOpen = window.matchMedia("(min-width: 1000px)").matches;
  let panel;
  let live;
  let infoButton;
  const pswp = new PhotoSwipe({
    dataSource: items,
    index: index,
    bgOpacity: 1,
    showHideAnimationType: "fade",
    imageClickAction: "zoom",
    tapAction: "toggle-controls",
    doubleTapAction: "zoom",
    returnFocus: false,
    trapFocus: true,
    closeTitle: "Close (Esc)",
    zoomTitle: "Zoom (z)",
    arrowPrevTitle: "Previous photo (←)",
    arrowNextTitle: "Next photo (→)",
    errorMsg: "This photo could not be loaded.",
    indexIndicatorSep: " of ",
    // The information sits beside the photo on wide screens, under it on
    // narrow ones (a sheet of 55% of the height, see app.css).
    paddingFn: (viewport) => {
      if (!infoOpen) { return { top: 0, bottom: 0, left: 0, right: 0 }; }
      return viewport.x >= 1000
        ? { top: 0, bottom: 0, left: 0, right: PANEL_WIDTH }
        : { top: 56, bottom: Math.round(viewport.y * 0.55), left: 0, right: 0 };
    },
  });

  // Set when a photo is opened from the panel (a similar photo): focus then
  // goes to the panel's new heading, not back to the page's body.
  let focusPanel = false;
  const showInfo = () => {
    const slide = pswp.currSlide && pswp.currSlide.data;
    if (!slide || !panel) { return; }
    panel.setAttribute("aria-busy", "true");
    loadInfo(slide.page).then((page) => {
      if (pswp.currSlide && pswp.currSlide.data === slide) {
        fillPanel(panel, slide, page);
        panel.removeAttribute("aria-busy");
        const heading = panel.querySelector("h2");
        if (focusPanel && heading) {
          heading.tabIndex = -1;
          heading.focus();
        }
        focusPanel = false;
      }
    });
  };
  // A photo linked from the panel (similar photos, near-duplicates) opens in
  // the viewer when the gallery holds it, else its own page opens.
  const openFromPanel = (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    const index = items.findIndex((item) => item.page === link.href);
    // The photo shown links to its own page: that link leaves the viewer.
    if (index < 0 || index === pswp.currIndex) { return; }
    event.preventDefault();
    focusPanel = true;
    pswp.goTo(index);
  };
  // Re-analyse from the panel: the viewer stays on the photo, and the panel
  // shows the new analysis (the page the action answers with), refreshed
  // while it runs. Should the request fail, the form is sent as without
  // JavaScript, and its answer is the photo's page.
  const photoName = (page, slide) =>
    page.querySelector(".detail-side h1")?.textContent.trim() || slide.alt;
  const pending = (page) => !!page.querySelector("[data-refresh] [data-pending]");
  const followAnalysis = (slide, page, attempts) => {
    if (pswp.currSlide && pswp.currSlide.data === slide) { showInfo(); }
    if (!pending(page)) {
      if (live) { live.textContent = `${photoName(page, slide)} is analysed again.`; }
      return;
    }
    if (attempts > 60) { return; }
    window.setTimeout(() => {
      infoCache.delete(slide.page);
      loadInfo(slide.page).then((fresh) => {
        if (fresh) { followAnalysis(slide, fresh, attempts + 1); }
      });
    }, 2000);
  };
  const analyseAgain = (event) => {
    const form = event.target.closest("form[data-viewer-stay]");
    const slide = pswp.currSlide && pswp.currSlide.data;
    if (!form || !slide) { return; }
    event.preventDefault();
    form.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : Promise.reject(response)))
      .then((html) => {
        const page = parse(html);
        if (!page.querySelector(".detail-side")) { return Promise.reject(page); }
        infoCache.set(slide.page, Promise.resolve(page));
        if (live && pending(page)) {
          live.textContent = `Analysing ${photoName(page, slide)} again…`;
        }
        followAnalysis(slide, page, 0);
      })
      .catch(() => form.submit());
  };
  const setInfo = (visible) => {
    infoOpen = visible;
    pswp.element.classList.toggle("pswp--info-open", visible);
    panel.hidden = !visible;
    infoButton.setAttribute("aria-expanded", String(visible));
    if (visible) { showInfo(); }
    pswp.updateSize(true);
  };

  pswp.on("uiRegister", () => {
    pswp.ui.registerElement({
      name: "info-button",
      title: "Information (i)",
      ariaLabel: "Information",
      order: 15,
      isButton: true,
      html: INFO_ICON,
      onInit: (element) => {
        infoButton = element;
        element.setAttribute("aria-controls", "viewer-info");
      },
      onClick: () => setInfo(!infoOpen),
    });
    pswp.ui.registerElement({
      name: "info-panel",
      appendTo: "root",
      tagName: "aside",
      onInit: (element) => {
        panel = element;
        element.id = "viewer-info";
        element.setAttribute("aria-label", "About this photo");
        element.addEventListener("click", openFromPanel);
        element.addEventListener("submit", analyseAgain);
      },
    });
    pswp.ui.registerElement({
      name: "announcer",
      appendTo: "root",
      onInit: (element) => {
        live = element;
        element.className = "visually-hidden";
        element.setAttribute("aria-live", "polite");
      },
    });
  });
  pswp.on("afterInit", () => {
    pswp.element.setAttribute("aria-label", "Photo viewer");
    setInfo(infoOpen);
  });
  pswp.on("change", () => {
    const slide = pswp.currSlide.data;
    if (live) {
      live.textContent = `Photo ${pswp.currIndex + 1} of ${items.length}: ${slide.alt}`;
    }
    if (infoOpen) { showInfo(); }
  });
  pswp.on("keydown", (event) => {
    const key = event.originalEvent.key;
    if (key === "i" && !event.originalEvent.target.closest("input, textarea, select")) {
      setInfo(!infoOpen);
    }
  });
  pswp.on("destroy", () => {
    // Focus goes back to the photo last shown, so the grid follows the viewer.
    const slide = pswp.currSlide && pswp.currSlide.data;
    const target = (slide && slide.link) || opener;
    if (target && document.contains(target)) {
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "nearest" });
    }
  });
  pswp.init();
  return pswp;
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-viewer-link]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  event.preventDefault();
  const links = Array.from(document.querySelectorAll("[data-viewer-link]"));
  open(links.indexOf(link));
});
