"""The operators' admin in Chromium at 1280 and 390 px: the image list shows
thumbnails and fits a desktop screen; axe-core finds nothing on its pages."""

from __future__ import annotations

import pytest

from accounts.tests.support import log_in_in_browser
from gallery import services
from gallery.tests.browser import axe_violations, screenshot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.mark.parametrize("device", WIDTHS)
def test_the_admin_lists_images_with_thumbnails_and_passes_axe(
    live_server, page_at, operator, alice, make_upload, device
):
    images = [
        services.image_upload(
            owner=alice,
            file=make_upload(f"a-rather-long-file-name-{n}.jpg", size=(640, 480)),
        )
        for n in range(3)
    ]
    width, height = WIDTHS[device]
    page = page_at(width, height)
    log_in_in_browser(page, live_server.url, "olivia", "operator pass 9")

    page.goto(live_server.url + "/admin/gallery/image/")
    thumbnails = page.locator("#result_list img.admin-thumb")
    assert thumbnails.count() == 3
    wait_until(
        page,
        "[...document.querySelectorAll('#result_list img')]"
        ".every(i => i.complete && i.naturalWidth > 0)",
    )
    filters = page.locator("#changelist-filter").inner_text()
    assert filters.count("Analysing now") == 1
    if device == "desktop":
        # Every column is on the screen: neither the page nor the list
        # scrolls sideways.
        table = page.locator("#result_list").bounding_box()
        assert table["x"] + table["width"] <= width
        assert page.locator(".results").evaluate(
            "list => list.scrollWidth <= list.clientWidth"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"{device}-admin-images")
    violations = {"admin-images": axe_violations(page)}

    for path, name in (
        ("/admin/", "admin"),
        (f"/admin/gallery/image/{images[0].pk}/change/", "admin-image"),
        ("/admin/auth/user/", "admin-users"),
        (f"/admin/auth/user/{alice.pk}/change/", "admin-user"),
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        screenshot(page, f"{device}-{name}")
        violations[name] = axe_violations(page)
    assert {name: found for name, found in violations.items() if found} == {}
