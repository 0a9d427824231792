"""The People pages in a real browser: faces of the sample people grouped
apart, a person named, found by name, on a desktop and on a phone, with no
axe-core violations."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageOps

from gallery.tests.browser import axe_violations, log_in_and_upload, screenshot
from gallery.tests.offline import encode
from gallery.tests.photos import photo_bytes, two_people_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_names_someone_in_their_photos_and_finds_them_by_name(
    live_server, page_at, offline_settings, settings, alice, tmp_path
):
    settings.GALLERY_UPLOAD_LIMIT = 0
    astronaut = Image.open(io.BytesIO(photo_bytes("astronaut.jpg"))).convert("RGB")
    files = []
    for name, data in (
        ("launch-day.jpg", photo_bytes("astronaut.jpg")),
        ("portrait.jpg", encode(ImageOps.mirror(astronaut), "JPEG", quality=92)),
        ("studio.jpg", photo_bytes("cameraman.jpg")),
        ("together.jpg", two_people_bytes()),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        files.append(str(path))

    page = page_at(1280)
    log_in_and_upload(page, live_server.url, files)
    page.get_by_role("link", name="People").click()
    page.wait_for_load_state("networkidle")
    tiles = page.locator(".person-tile")
    assert tiles.count() == 2  # the astronaut and the cameraman
    assert tiles.first.locator("img").evaluate("img => img.naturalWidth") == 160
    assert "3 photos" in tiles.nth(0).inner_text() + tiles.nth(1).inner_text()
    screenshot(page, "desktop-people")
    assert axe_violations(page) == []

    page.locator(".person-tile", has_text="3 photos").get_by_role("link").click()
    page.get_by_label("Name").fill("Eileen")
    page.get_by_role("button", name="Save name").click()
    assert page.get_by_role("heading", name="Eileen").is_visible()
    assert page.locator(".grid .tile").count() == 3
    screenshot(page, "desktop-person")
    assert axe_violations(page) == []

    page.goto(live_server.url + "/images/?q=Eileen")
    names = page.locator(".tile-name").all_inner_texts()
    assert set(names[:3]) == {"launch-day.jpg", "portrait.jpg", "together.jpg"}

    # The gallery's links open the viewer: go to the photo's own page.
    card = page.locator(".tile", has_text="together.jpg")
    page.goto(live_server.url + card.locator("a").first.get_attribute("href"))
    in_photo = page.locator(".in-photo")
    assert in_photo.get_by_role("link", name="Eileen").is_visible()
    assert in_photo.get_by_role("link", name="Unnamed").is_visible()
    screenshot(page, "desktop-detail-people")
    assert axe_violations(page) == []

    phone = page_at(390, 844, is_mobile=True, has_touch=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(live_server.url + "/people/")
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert "Eileen" in phone.locator(".people-grid").inner_text()
    screenshot(phone, "phone-people")
    assert axe_violations(phone) == []
    phone.locator(".person-tile", has_text="Eileen").get_by_role("link").click()
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-person")
    assert axe_violations(phone) == []
