"""What a person sees of the offline analysis in a real browser: the things in
a photo with their counts, and search by meaning."""

from __future__ import annotations

import pytest

from gallery.tests.browser import (
    log_in_and_upload,
    open_photo_page,
    screenshot,
)
from gallery.tests.photos import photo_bytes, two_people_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_sees_what_is_in_their_photos_and_finds_them_by_meaning(
    live_server, page_at, offline_settings, settings, alice, tmp_path
):
    settings.GALLERY_UPLOAD_LIMIT = 0
    files = []
    for name, data in (
        ("IMG_2041.jpg", two_people_bytes()),
        ("IMG_2042.jpg", photo_bytes("cat.jpg")),
        ("IMG_2043.jpg", photo_bytes("coffee.jpg")),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        files.append(str(path))

    page = page_at(1280)
    log_in_and_upload(page, live_server.url, files)

    page.goto(live_server.url + "/images/?q=two+people")
    open_photo_page(page, live_server.url, "IMG_2041.jpg")
    content = page.content()
    assert "Two people" in content
    chip = page.get_by_role("link", name="person ×2")
    assert chip.get_attribute("title").endswith("% sure")
    screenshot(page, "desktop-detail-two-people")

    page.goto(live_server.url + "/images/?q=kitten")
    cards = page.locator(".grid img")
    assert cards.count() >= 1
    assert cards.first.get_attribute("alt") == "A cat"
    screenshot(page, "desktop-search-kitten")

    phone = page_at(390, 844, is_mobile=True, has_touch=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(live_server.url + "/images/?q=hot+beverage")
    phone.wait_for_load_state("networkidle")
    assert phone.locator(".grid img").first.get_attribute("alt") == "A cup of espresso"
    screenshot(phone, "phone-search-hot-beverage")
    phone.goto(live_server.url + "/images/?q=two+people")
    open_photo_page(phone, live_server.url, "IMG_2041.jpg")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-detail-two-people")
