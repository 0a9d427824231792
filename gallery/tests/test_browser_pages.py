"""Every page at 1280 and 390 px: a screenshot to look at, and axe-core."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.tests.browser import axe_violations, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def two_photos(alice, settings):
    from bench import synthetic
    from gallery import services

    settings.GALLERY_UPLOAD_LIMIT = 0
    return [
        services.image_upload(
            owner=alice,
            file=SimpleUploadedFile(
                f"scene-{n}.jpg", synthetic.jpeg_bytes(synthetic.photo_like(40 + n))
            ),
        )
        for n in range(2)
    ]


def check(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    screenshot(page, name)
    assert (
        page.evaluate("document.documentElement.scrollWidth")
        <= page.viewport_size["width"]
    ), name
    violations = axe_violations(page)
    assert violations == [], (name, violations)


@pytest.mark.parametrize("device", WIDTHS)
def test_signed_out_pages_pass_axe(live_server, page_at, device):
    width, height = WIDTHS[device]
    page = page_at(width, height)
    for path, name in (
        ("/", "landing"),
        ("/accounts/login/", "login"),
        ("/accounts/signup/", "signup"),
    ):
        page.goto(live_server.url + path)
        check(page, f"{device}-{name}")
    # Sign-up errors sit under their own field.
    page.get_by_label("Username").fill("paula")
    page.get_by_label("Password", exact=True).fill("a quiet meadow 7")
    page.get_by_label("Password (again)").fill("a different one 8")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_load_state()
    error = page.locator("#id_password2_error")
    assert error.is_visible()
    assert (
        page.get_by_label("Password (again)")
        .get_attribute("aria-describedby")
        .count("id_password2_error")
    )
    check(page, f"{device}-signup-errors")


@pytest.mark.parametrize("device", WIDTHS)
def test_signed_in_pages_pass_axe(live_server, page_at, two_photos, device):
    width, height = WIDTHS[device]
    page = page_at(width, height)
    log_in(page, live_server.url)
    image = two_photos[0]
    for path, name in (
        ("/images/", "gallery"),
        ("/images/upload/", "upload"),
        (f"/images/{image.id}/", "detail"),
        (f"/images/{image.id}/similar/", "similar"),
        ("/images/delete-all/", "delete-all"),
        ("/accounts/", "account"),
    ):
        page.goto(live_server.url + path)
        check(page, f"{device}-{name}")
