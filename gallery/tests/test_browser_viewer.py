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
    assert page.locator("#viewer-info-title").inner_text() == "photo-1.jpg"
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


# How far the photo shown is zoomed: its width on screen over its own width
# (PhotoSwipe's currZoomLevel; 1 is the photo's full size).
ZOOM = (
    "document.querySelector('.pswp__item[aria-hidden=false] "
    ".pswp__img:not(.pswp__img--placeholder)').getBoundingClientRect().width / {width}"
)


def zoom_level(page, width: int = 2400) -> float:
    return page.evaluate(ZOOM.format(width=width))


def wait_for_zoom(page, condition: str, width: int = 2400) -> None:
    """Wait until the zoom level meets ``condition`` (say "> 0.4") and holds
    still (PhotoSwipe animates zooming)."""
    zoom = ZOOM.format(width=width)
    wait_until(page, f"{zoom} {condition}")
    before = None
    while (now := zoom_level(page, width)) != before:
        before = now
        page.wait_for_timeout(100)
    assert page.evaluate(f"{zoom} {condition}"), now


def touch(session, kind: str, points: list[tuple[float, float]]) -> None:
    session.send(
        "Input.dispatchTouchEvent",
        {
            "type": kind,
            "touchPoints": [
                {"x": x, "y": y, "id": n} for n, (x, y) in enumerate(points)
            ],
        },
    )


def pinch(page, centre: tuple[float, float], start_gap: int, end_gap: int) -> None:
    """Two fingers on the screen, drawn apart (or together) around ``centre``."""
    session = page.context.new_cdp_session(page)
    x, y = centre
    touch(session, "touchStart", [(x - start_gap / 2, y), (x + start_gap / 2, y)])
    for n in range(1, 11):
        gap = start_gap + (end_gap - start_gap) * n / 10
        touch(session, "touchMove", [(x - gap / 2, y), (x + gap / 2, y)])
        page.wait_for_timeout(16)
    touch(session, "touchEnd", [])


def double_tap(page, point: tuple[float, float]) -> None:
    page.touchscreen.tap(*point)
    page.wait_for_timeout(80)
    page.touchscreen.tap(*point)


def test_on_a_phone_a_double_tap_or_a_pinch_zooms_in(live_server, page_at, photos):
    page = page_at(390, 844, is_mobile=True, has_touch=True)
    log_in(page, live_server.url)
    page.locator(".tile-link").first.tap()
    wait_until(page, READY)
    wait_until(page, PREVIEW_LOADED)
    # The 2400 px photo fits the screen's width.
    fit = 390 / 2400
    wait_for_zoom(page, f"< {fit * 1.05}")
    assert zoom_level(page) == pytest.approx(fit, rel=0.05)

    double_tap(page, (195, 422))
    wait_for_zoom(page, f"> {fit * 2}")
    screenshot(page, "phone-viewer-double-tapped")
    double_tap(page, (195, 422))
    wait_for_zoom(page, f"< {fit * 1.05}")

    # Fingers drawn four times as far apart zoom in about four times.
    pinch(page, (195, 422), 60, 240)
    wait_for_zoom(page, f"> {fit * 2.5}")
    screenshot(page, "phone-viewer-pinched")
    pinch(page, (195, 422), 240, 60)
    wait_for_zoom(page, f"< {fit * 1.05}")
    # Still the first photo: zooming is not a swipe to the next.
    assert page.evaluate(COUNTER) == "1 of 4"


@pytest.fixture
def described(alice, settings):
    """Four analysed photos with camera details, newest first: photo-0 …
    photo-3. photo-2 is like photo-0 (70%), photo-3 is not (10%)."""
    import io

    from bench import synthetic
    from gallery import services
    from gallery.tests.analyzers import FIXED
    from gallery.tests.camera_photos import exif_block
    from gallery.tests.support import unit_vector

    settings.GALLERY_UPLOAD_LIMIT = 0
    settings.GALLERY_ANALYZER = FIXED
    images = []
    for n, alike in enumerate((1.0, 0.3, 0.7, 0.1)):
        out = io.BytesIO()
        exif = exif_block(taken=f"2024:05:{10 - n:02} 10:20:30")
        synthetic.photo_like(900 + n, 1200, 800).save(
            out, "JPEG", quality=85, exif=exif.tobytes()
        )
        image = services.image_upload(
            owner=alice, file=SimpleUploadedFile(f"photo-{n}.jpg", out.getvalue())
        )
        services.image_index(image=image, embedding=unit_vector(alike, 1 + n))
        images.append(image)
    return images


def test_the_information_beside_the_photo_holds_all_of_its_page(
    live_server, page_at, described
):
    page = page_at(1280, 860)
    log_in(page, live_server.url)
    page.locator(".tile-link").first.click()
    wait_until(page, READY)
    wait_until(
        page, "document.querySelector('#viewer-info h2')?.textContent === 'photo-0.jpg'"
    )
    info = page.locator("#viewer-info")
    text = info.inner_text()
    for shown in ("A photo from the worker", "Apple iPhone 15 Pro", "Taken"):
        assert shown in text, shown
    assert info.get_by_role("link", name="worker", exact=True).is_visible()
    assert info.get_by_role("link", name="red", exact=True).count() == 1
    for action in ("Re-analyse", "Delete"):
        assert info.get_by_role("button", name=action, exact=True).is_visible()
    for action in ("Download original", "Find similar", "Open the photo's page"):
        assert info.get_by_role("link", name=action).is_visible()
    # Similar photos: photo-2 only (photo-3 is under the similar page's cut-off).
    similar = info.get_by_role("region", name="Similar photos")
    link = similar.get_by_role("link")
    assert link.count() == 1
    assert link.get_attribute("title") == "photo-2.jpg, 70% alike"
    wait_until(page, PREVIEW_LOADED)
    wait_until(page, "document.querySelector('.similar-photos img')?.complete")
    screenshot(page, "desktop-viewer-similar")
    assert axe_violations(page) == []

    # A similar photo opens in the viewer; focus goes to its information.
    link.click()
    wait_until(page, f"{COUNTER} === '3 of 4'")
    wait_until(
        page, "document.querySelector('#viewer-info h2')?.textContent === 'photo-2.jpg'"
    )
    wait_until(page, "document.activeElement?.id === 'viewer-info-title'")
    # The keyboard goes on from there: Esc closes, and focus is on photo-2.
    page.keyboard.press("Escape")
    wait_until(page, f"!({OPEN})")
    assert focused_tile_name(page) == "photo-2.jpg"


def test_re_analyse_in_the_viewer_stays_in_the_viewer(
    live_server, page_at, described, settings
):
    from gallery.tests.analyzers import MANY_TAGS

    page = page_at(1280, 860)
    log_in(page, live_server.url)
    page.locator(".tile-link").nth(1).click()
    wait_until(page, READY)
    wait_until(
        page, "document.querySelector('#viewer-info h2')?.textContent === 'photo-1.jpg'"
    )
    info = page.locator("#viewer-info")
    assert info.get_by_role("link", name="beach", exact=True).count() == 0
    settings.GALLERY_ANALYZER = MANY_TAGS  # the analysis done again differs

    info.get_by_role("button", name="Re-analyse", exact=True).click()
    wait_until(page, "!!document.querySelector('#viewer-info a[href$=\"?tag=beach\"]')")
    # Still the viewer, on the same photo, over the gallery, saying so.
    assert page.evaluate(OPEN)
    assert page.evaluate(COUNTER) == "2 of 4"
    assert page.url == live_server.url + "/images/"
    assert (
        "photo-1.jpg is analysed again"
        in page.locator(".pswp [aria-live=polite]").inner_text()
    )
    assert page.locator("#viewer-info-title").inner_text() == "photo-1.jpg"
    # The photo's page shows the same.
    href = info.get_by_role("link", name="Open the photo's page").get_attribute("href")
    assert "?tag=beach" in page.request.get(href).text()
    assert axe_violations(page) == []


def test_re_analyse_in_the_background_updates_the_viewer_when_done(
    live_server, page_at, described, settings
):
    from gallery.services.processing import image_process_next
    from gallery.tests.analyzers import MANY_TAGS

    settings.GALLERY_PROCESSING = "worker"  # no worker runs until the test's
    page = page_at(390, 844)
    log_in(page, live_server.url)
    page.locator(".tile-link").first.click()
    wait_until(page, READY)
    page.get_by_role("button", name="Information").click()
    info = page.locator("#viewer-info")
    info.get_by_role("button", name="Re-analyse", exact=True).click()
    wait_until(page, "document.querySelector('#viewer-info [data-pending]')")
    assert (
        "Analysing photo-0.jpg again"
        in page.locator(".pswp [aria-live=polite]").inner_text()
    )
    assert info.get_by_role("button", name="Re-analyse").count() == 0

    settings.GALLERY_ANALYZER = MANY_TAGS
    assert image_process_next()  # the worker's turn
    wait_until(page, "!!document.querySelector('#viewer-info a[href$=\"?tag=beach\"]')")
    assert not page.locator("#viewer-info [data-pending]").count()
    assert (
        "photo-0.jpg is analysed again"
        in page.locator(".pswp [aria-live=polite]").inner_text()
    )
    assert page.evaluate(OPEN) and page.url == live_server.url + "/images/"
