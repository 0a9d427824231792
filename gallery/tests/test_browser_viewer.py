"""The full-screen viewer over the gallery, by mouse, keyboard and touch."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gallery.tests.browser import axe_violations, log_in, screenshot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNTER = "document.querySelector('.pswp__counter')?.textContent"
OPEN = "!!document.querySelector('.pswp--open')"
# The viewer takes keys once its opening animation has ended and it has focus.
READY = "!!document.activeElement?.classList.contains('pswp')"
PREVIEW_LOADED = (
    "document.querySelector('.pswp .pswp__img:not(.pswp__img--placeholder)')?.complete"
)


@pytest.fixture
def photos(alice, settings):
    """Four large photos, newest first: photo-0 … photo-3."""
    from bench import synthetic
    from gallery import services
    from gallery.models import Image

    settings.GALLERY_UPLOAD_LIMIT = 0
    now = timezone.now()
    for n in range(4):
        data = synthetic.jpeg_bytes(synthetic.photo_like(700 + n, 2400, 1600))
        image = services.image_upload(
            owner=alice, file=SimpleUploadedFile(f"photo-{n}.jpg", data)
        )
        taken = now - datetime.timedelta(hours=n)
        Image.objects.filter(pk=image.pk).update(created_at=taken)


def shown_photo_centre(page) -> tuple[float, float]:
    """The centre of the photo on screen (its neighbours wait off screen)."""
    return page.evaluate(
        """[...document.querySelectorAll('.pswp__img')]
          .map(img => img.getBoundingClientRect())
          .map(r => [r.x + r.width / 2, r.y + r.height / 2])
          .find(([x]) => x > 0 && x < innerWidth)"""
    )


def focused_tile_name(page) -> str:
    return page.evaluate(
        "document.activeElement.closest('.tile')?.querySelector('.tile-name')"
        "?.textContent"
    )


def test_the_viewer_by_mouse_and_keyboard(live_server, page_at, photos):
    page = page_at(1280, 860)
    log_in(page, live_server.url)
    page.locator(".tile-link").nth(1).click()
    wait_until(page, READY)
    assert page.evaluate(COUNTER) == "2 of 4"
    # The dialog is named, says what is shown, and holds the information.
    viewer = page.get_by_role("dialog", name="Photo viewer")
    assert viewer.is_visible()
    wait_until(page, "document.querySelector('#viewer-info h2')?.textContent")
    assert page.locator("#viewer-info h2").inner_text() == "photo-1.jpg"
    info = page.locator("#viewer-info")
    assert info.get_by_role("link", name="Download original").is_visible()
    wait_until(page, PREVIEW_LOADED)
    screenshot(page, "desktop-viewer")
    assert axe_violations(page) == []

    # A click zooms into the preview (1600 px wide, larger than the screen);
    # another zooms out again.
    page.mouse.click(*shown_photo_centre(page))
    wait_until(page, "!!document.querySelector('.pswp--zoomed-in')")
    screenshot(page, "desktop-viewer-zoomed")
    page.mouse.click(*shown_photo_centre(page))
    wait_until(page, "!document.querySelector('.pswp--zoomed-in')")

    page.keyboard.press("ArrowRight")
    wait_until(page, f"{COUNTER} === '3 of 4'")
    wait_until(
        page, "document.querySelector('#viewer-info h2')?.textContent === 'photo-2.jpg'"
    )
    announced = page.locator(".pswp [aria-live=polite]").inner_text()
    assert announced == "Photo 3 of 4: photo-2.jpg"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    wait_until(page, f"{COUNTER} === '1 of 4'")
    page.get_by_role("button", name="Next photo (→)").click()
    wait_until(page, f"{COUNTER} === '2 of 4'")

    page.keyboard.press("Escape")
    wait_until(page, f"!({OPEN})")
    # Focus is back on the photo that was shown.
    assert focused_tile_name(page) == "photo-1.jpg"

    # Keyboard only: Enter on a focused photo opens it; Esc closes.
    page.keyboard.press("Shift+Tab")  # photo-0's checkbox
    page.keyboard.press("Shift+Tab")
    assert focused_tile_name(page) == "photo-0.jpg"
    assert page.evaluate("document.activeElement.className") == "tile-link"
    page.keyboard.press("Enter")
    wait_until(page, READY)
    assert page.evaluate(COUNTER) == "1 of 4"
    page.keyboard.press("i")
    wait_until(page, "document.querySelector('#viewer-info').hidden")
    page.keyboard.press("Escape")
    wait_until(page, f"!({OPEN})")
    assert focused_tile_name(page) == "photo-0.jpg"


def swipe(page, start_x: int, end_x: int, y: int) -> None:
    """A finger drawn across the screen (touch events through DevTools)."""
    session = page.context.new_cdp_session(page)
    point = {"x": start_x, "y": y}
    session.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]}
    )
    step = (end_x - start_x) // 8
    for n in range(1, 9):
        point = {"x": start_x + step * n, "y": y}
        session.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]}
        )
        page.wait_for_timeout(16)
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_the_viewer_on_a_phone_swipes_between_photos(live_server, page_at, photos):
    page = page_at(390, 844, is_mobile=True, has_touch=True)
    log_in(page, live_server.url)
    page.locator(".tile-link").first.tap()
    wait_until(page, READY)
    assert page.evaluate(COUNTER) == "1 of 4"
    # On a phone the information waits behind its button.
    assert page.locator("#viewer-info").is_hidden()
    wait_until(page, PREVIEW_LOADED)
    screenshot(page, "phone-viewer")
    swipe(page, 330, 40, 420)
    wait_until(page, f"{COUNTER} === '2 of 4'")
    page.wait_for_timeout(600)  # the slide settles
    page.get_by_role("button", name="Information").tap()
    wait_until(
        page,
        "document.querySelector('#viewer-info h2')?.textContent === 'photo-1.jpg'",
    )
    screenshot(page, "phone-viewer-info")
    assert axe_violations(page) == []


def test_without_javascript_a_photo_opens_its_page(live_server, page_at, photos):
    page = page_at(1280, java_script_enabled=False)
    log_in(page, live_server.url)
    page.locator(".tile-link").first.click()
    page.wait_for_url("**/images/*-*/")
    assert page.locator(".detail-title").inner_text() == "photo-0.jpg"
