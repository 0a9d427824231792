"""The trash in a real browser: delete from the gallery, restore from the trash."""

from __future__ import annotations

import pytest

from gallery.models import Image
from gallery.tests.browser import log_in_and_upload, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_deleted_photo_waits_in_the_trash_and_comes_back(
    live_server, page_at, alice, make_image_bytes, tmp_path
):
    paths = []
    for n, color in enumerate([(200, 60, 40), (40, 120, 200)]):
        path = tmp_path / f"walk-{n}.jpg"
        path.write_bytes(make_image_bytes(size=(320, 240), color=color))
        paths.append(str(path))
    page = page_at(1280)
    log_in_and_upload(page, live_server.url, paths)
    page.goto(live_server.url + "/images/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Select walk-0.jpg").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url("**/images/")
    assert "Moved 1 image to the trash." in page.content()
    page.get_by_role("link", name="Trash").click()
    page.wait_for_url("**/images/trash/")
    assert "walk-0.jpg" in page.content()
    screenshot(page, "desktop-trash")

    phone = page_at(390, 844, is_mobile=True, has_touch=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(live_server.url + "/images/trash/")
    screenshot(phone, "phone-trash")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_label("Select walk-0.jpg").check()
    page.get_by_role("button", name="Restore selected").click()
    page.wait_for_url("**/images/")
    assert "Restored 1 image." in page.content()
    assert Image.objects.filter(trashed_at__isnull=True).count() == 2
