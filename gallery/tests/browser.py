"""Headless Chromium (Debian's package) driven by Playwright, for browser tests."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from gallery.tests.support import component_missing

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        message = "Chromium is not installed (apt-get install -y chromium)."
        component_missing(message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # calls made by the test itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page_at(browser):
    """Open a page with a given viewport width; closes its context afterwards."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900, **options):
        context = browser.new_context(
            viewport={"width": width, "height": height}, **options
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, base_url: str) -> None:
    """Log in as alice (password from conftest)."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct horse 1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/images/")


def log_in_and_upload(page, base_url: str, files: list[str]) -> None:
    """Log in as alice (password from conftest) and upload ``files``."""
    log_in(page, base_url)
    page.goto(base_url + "/images/upload/")
    page.get_by_label("Photos").set_input_files(files)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector(".results")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    """Poll a JavaScript expression until it is true.

    Playwright's wait_for_function compiles its predicate with eval inside the
    page, which the site's Content-Security-Policy refuses; page.evaluate runs
    through the DevTools protocol and is not subject to it.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"Still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)


AXE = Path(__file__).resolve().parents[2] / "frontend/node_modules/axe-core/axe.min.js"


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA).

    axe-core comes from npm, pinned in frontend/package-lock.json; it is run
    through the DevTools protocol, which the Content-Security-Policy does not
    govern, so the page under test is the page as served.
    """
    if not AXE.exists():
        component_missing("axe-core is not installed: run `make frontend`.")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(
        """axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a',
            'wcag21aa', 'wcag22aa', 'best-practice']})
          .then(result => result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' '))})))"""
    )


def open_photo_page(page, base_url: str, name: str) -> None:
    """Go to the page of the gallery's photo named ``name`` (a click on the
    photo opens the viewer instead)."""
    tile = page.locator(".tile", has_text=name).first
    page.goto(base_url + tile.locator(".tile-link").get_attribute("href"))
    page.wait_for_load_state("networkidle")
