"""The gallery as a photo app in a real browser: the timeline, loading more
as you scroll, the phone layout, and axe-core on the way."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gallery.storage import read_media_token
from gallery.tests.browser import axe_violations, log_in, screenshot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def library(alice, settings):
    """30 of alice's photos over the last few months, three a day."""
    from bench import synthetic
    from gallery import services
    from gallery.models import Image

    settings.GALLERY_UPLOAD_LIMIT = 0
    now = timezone.now()
    images = []
    for n in range(30):
        data = synthetic.jpeg_bytes(synthetic.photo_like(500 + n, 320, 240))
        image = services.image_upload(
            owner=alice, file=SimpleUploadedFile(f"photo-{n:02}.jpg", data)
        )
        taken = now - datetime.timedelta(days=n // 3 * 5, hours=n % 3)
        Image.objects.filter(pk=image.pk).update(created_at=taken)
        images.append(image)
    return images


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], violations


def test_the_timeline_loads_more_as_you_scroll(live_server, page_at, library):
    page = page_at(1280, 600)
    log_in(page, live_server.url)
    assert page.locator(".tile").count() == 24
    headings = page.locator(".day-heading").all_inner_texts()
    assert len(headings) == 8 and len(set(headings)) == 8
    # Names stay out of the way until a photo is pointed at or focused.
    assert (
        page.locator(".tile-caption").first.evaluate("e => getComputedStyle(e).opacity")
        == "0"
    )
    assert_accessible(page)
    screenshot(page, "desktop-timeline")

    page.locator(".pagination").scroll_into_view_if_needed()
    wait_until(page, "document.querySelectorAll('.tile').length === 30")
    # The second page's photos joined the timeline; its links are gone.
    assert page.locator(".pagination").count() == 0
    assert page.locator(".day-heading").count() == 10
    assert page.locator("[aria-live] >> text=6 more photos loaded.").count() == 1
    assert_accessible(page)


def test_the_paged_links_work_without_javascript(live_server, page_at, library):
    page = page_at(1280, java_script_enabled=False)
    log_in(page, live_server.url)
    page.get_by_role("link", name="Older →").click()
    page.wait_for_url("**page=2")
    assert page.locator(".tile").count() == 6


def test_on_a_phone_the_first_screen_shows_photos_three_across(
    live_server, page_at, library
):
    page = page_at(390, 844, is_mobile=True, has_touch=True)
    log_in(page, live_server.url)
    tiles = page.locator(".tile")
    first, second, third, fourth = (tiles.nth(n).bounding_box() for n in range(4))
    assert first["y"] == second["y"] == third["y"] < fourth["y"]
    assert 115 < first["width"] < 125
    # Under the compact header, the heading and one row of controls.
    assert page.locator("header").bounding_box()["height"] <= 56
    assert first["y"] < 300
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Search waits behind its button; the tag chips scroll sideways.
    assert not page.get_by_label("Search your photos").is_visible()
    screenshot(page, "phone-timeline")
    page.get_by_label("Search and filters").click()
    assert page.get_by_label("Search your photos").is_visible()
    assert page.get_by_label("Or pick a colour").is_visible()
    screenshot(page, "phone-search-open")
    assert_accessible(page)

    # The selection bar stays below the header while the page scrolls.
    page.get_by_label("Select photo-05.jpg").check()
    page.mouse.wheel(0, 900)
    page.wait_for_timeout(300)
    bar = page.locator("[data-bulk-bar]").bounding_box()
    header = page.locator("header").bounding_box()
    assert bar["y"] >= header["y"] + header["height"] - 1
    screenshot(page, "phone-selecting")


def test_a_colour_picked_on_the_page_searches_by_that_colour(
    live_server, page_at, library
):
    page = page_at(1280)
    log_in(page, live_server.url)
    page.get_by_label("Or pick a colour").fill("#cc3322")
    page.get_by_role("button", name="Find this colour").click()
    page.wait_for_url("**color=%23cc3322**")
    assert "#cc3322" in page.locator(".active-filters").inner_text()


@pytest.fixture
def media_requests():
    """Paths of the image files the server was asked for."""
    from django.core.signals import request_started

    paths: list[str] = []

    def record(sender, environ, **kwargs):
        if environ["PATH_INFO"].startswith("/media/"):
            paths.append(environ["PATH_INFO"])

    request_started.connect(record)
    yield paths
    request_started.disconnect(record)


def test_a_second_visit_downloads_no_thumbnail_again(
    live_server, page_at, library, media_requests
):
    page = page_at(1280)
    log_in(page, live_server.url)
    page.wait_for_load_state("networkidle")
    first_visit = len(media_requests)
    assert first_visit >= 8
    page.goto(live_server.url + "/images/upload/")
    page.goto(live_server.url + "/images/")
    page.wait_for_load_state("networkidle")
    # Every photo shows, and none was asked of the server twice.
    assert page.evaluate(
        "[...document.querySelectorAll('.tile img')].slice(0, 8)"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    files = [read_media_token(path.split("/")[2]).name for path in media_requests]
    assert len(files) == len(set(files))
    # What the grid downloads is the smallest WebP thumbnail (see below).
    assert all(name.startswith("small-thumbnails/") for name in files)
    assert all(name.endswith(".webp") for name in files)


# The library's photos are 320 x 240: their srcset offers the small thumbnail
# (240 px wide) and the thumbnail (at its full 320 px; the preview is no wider).
TILES = """[...document.querySelectorAll('.tile')].slice(0, 12)
  .map(t => t.getBoundingClientRect()).map(r => [r.x, r.y, r.width, r.height])"""


@pytest.mark.parametrize(
    ("screen", "chosen"),
    [
        ({"width": 1280, "height": 900}, "small-thumbnails"),
        (
            {
                "width": 390,
                "height": 844,
                "device_scale_factor": 3,
                "is_mobile": True,
                "has_touch": True,
            },
            "thumbnails",
        ),
    ],
)
def test_the_grid_loads_the_webp_rendition_its_screen_needs(
    live_server, page_at, library, media_requests, screen, chosen
):
    page = page_at(**screen)
    log_in(page, live_server.url)
    page.wait_for_load_state("networkidle")
    shown = page.evaluate(
        """[...document.querySelectorAll('.tile img')].slice(0, 6)
          .map(i => [new URL(i.currentSrc).pathname, i.complete, i.naturalWidth,
                     i.closest('.tile').getBoundingClientRect().width,
                     i.getAttribute('loading'), i.alt])"""
    )
    for path, complete, natural, tile, loading, alt in shown:
        name = read_media_token(path.split("/")[2]).name
        assert name.startswith(f"{chosen}/") and name.endswith(".webp")
        # Chosen for the width `sizes` gave, which is the tile's own.
        assert complete and abs(natural - tile) <= 1
        assert loading is None and alt.startswith("photo-")
    # Only that rendition was downloaded.
    files = {read_media_token(path.split("/")[2]).name for path in media_requests}
    assert files and all(name.startswith(f"{chosen}/") for name in files)
    # The grid is laid out the same without a single photo: nothing can move
    # as they arrive.
    blank = page_at(**screen)
    blank.route("**/media/**", lambda route: route.abort())
    log_in(blank, live_server.url)
    blank.wait_for_load_state("networkidle")
    assert blank.evaluate(
        "[...document.querySelectorAll('.tile img')].every(i => !i.naturalWidth)"
    )
    assert blank.evaluate(TILES) == page.evaluate(TILES)
    screenshot(page, f"renditions-{screen['width']}")


def selected_count(page) -> str:
    return page.locator("[data-bulk-count]").inner_text()


def test_selecting_a_range_the_page_and_all_results(live_server, page_at, library):
    page = page_at(1280, 600)
    log_in(page, live_server.url)
    # Newest first: photo-00 … photo-23 on the first page.
    page.get_by_label("Select photo-02.jpg").check()
    page.get_by_label("Select photo-06.jpg").click(modifiers=["Shift"])
    assert selected_count(page) == "5 selected"
    checked = page.eval_on_selector_all(
        "[data-select]:checked",
        "boxes => boxes.map(b => b.closest('.tile').querySelector('.tile-name')"
        ".textContent)",
    )
    assert checked == [f"photo-{n:02}.jpg" for n in range(2, 7)]
    # A shift-click on a ticked box clears the range from the last one.
    page.get_by_label("Select photo-04.jpg").click(modifiers=["Shift"])
    assert selected_count(page) == "2 selected"
    screenshot(page, "desktop-selecting")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Select all on this page").click()
    # Every photo loaded so far (more load as the page scrolls).
    assert selected_count(page) == f"{page.locator('.tile').count()} selected"
    page.get_by_role("button", name="Select all 30").click()
    assert selected_count(page) == "All 30 selected"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_selector(".message")
    assert "Moved 30 images to the trash." in page.locator(".messages").inner_text()
    assert page.locator(".tile").count() == 0


def test_on_a_phone_select_mode_shows_the_boxes(live_server, page_at, library):
    page = page_at(390, 844, is_mobile=True, has_touch=True)
    log_in(page, live_server.url)
    box = page.locator(".tile-select").first
    assert box.evaluate("e => getComputedStyle(e).opacity") == "0"
    page.get_by_role("button", name="Select", exact=True).tap()
    wait_until(
        page,
        "getComputedStyle(document.querySelector('.tile-select')).opacity === '1'",
    )
    page.get_by_label("Select photo-01.jpg").tap()
    assert selected_count(page) == "1 selected"
    screenshot(page, "phone-select-mode")


def test_on_a_phone_the_tag_chips_scroll_sideways(
    live_server, page_at, alice, settings, make_upload
):
    from gallery import services
    from gallery.tests.analyzers import MANY_TAGS, TAG_NAMES

    settings.GALLERY_ANALYZER = MANY_TAGS
    for n in range(3):
        services.image_upload(owner=alice, file=make_upload(f"tagged-{n}.jpg"))
    page = page_at(390, 844, is_mobile=True, has_touch=True)
    log_in(page, live_server.url)
    chips = page.get_by_role("list", name="Your most common tags")
    assert chips.get_by_role("link").count() == len(TAG_NAMES)
    # One row, wider than the screen, that scrolls on its own: the page does not.
    assert chips.evaluate("list => list.scrollWidth > list.clientWidth")
    assert chips.evaluate("list => getComputedStyle(list).overflowX") == "auto"
    assert len({li.bounding_box()["y"] for li in chips.locator("li").all()}) == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    last = chips.get_by_role("link").last
    last.scroll_into_view_if_needed()
    box = last.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    screenshot(page, "phone-tag-chips-scrolled")
    assert_accessible(page)


def test_the_selection_bar_downloads_a_zip_and_analyses_again(
    live_server, page_at, library, settings
):
    import zipfile

    from gallery.tests.analyzers import FIXED

    settings.GALLERY_ANALYZER = FIXED
    page = page_at(1280, 800)
    log_in(page, live_server.url)
    page.get_by_label("Select photo-01.jpg").check()
    page.get_by_label("Select photo-03.jpg").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download", exact=True).click()
    assert download.value.suggested_filename == "photos.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        assert sorted(archive.namelist()) == ["photo-01.jpg", "photo-03.jpg"]

    page.get_by_role("button", name="Re-analyse", exact=True).click()
    page.wait_for_selector(".message")
    assert "Analysing 2 images again." in page.locator(".messages").inner_text()
    # Analysed in the request here (GALLERY_PROCESSING=request).
    tags = page.get_by_role("list", name="Your most common tags")
    assert tags.get_by_role("link", name="worker 2", exact=True).count() == 1
