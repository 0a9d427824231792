"""Error pages and refusals in a real browser, on a desktop and on a phone."""

from __future__ import annotations

import pytest

from gallery.tests import hostile
from gallery.tests.browser import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_the_404_page_keeps_the_layout_on_every_width(live_server, page_at, width):
    page = page_at(width)
    response = page.goto(f"{live_server.url}/no/such/page/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    assert page.locator(".site-header").is_visible()
    assert fits(page)
    screenshot(page, f"error-404-{width}")
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [1280, 390])
def test_refused_files_are_listed_with_their_reasons(
    live_server, page_at, alice, client, tmp_path, width
):
    client.force_login(alice)
    cookie = client.cookies["sessionid"]
    broken = tmp_path / "holiday.png"
    broken.write_bytes(hostile.png_without_iend())
    page = page_at(width)
    page.context.add_cookies(
        [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/images/upload/")
    page.set_input_files("input[name=images]", [str(broken)])
    page.locator("[data-submit]").click()
    page.get_by_text("The file is incomplete", exact=False).first.wait_for()
    assert fits(page)
    screenshot(page, f"upload-refused-{width}")
