"""A person in a real browser: sign up, upload, browse, open, log out."""

import pytest

from gallery.tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def loaded_images(page) -> list[int]:
    return page.eval_on_selector_all(
        ".grid img", "images => images.map(i => i.complete ? i.naturalWidth : 0)"
    )


def test_a_person_signs_up_uploads_browses_and_logs_out(
    live_server, page_at, make_image_bytes, tmp_path
):
    first = tmp_path / "sunset.jpg"
    first.write_bytes(make_image_bytes(size=(800, 600), color=(240, 120, 40)))
    second = tmp_path / "forest.png"
    second.write_bytes(make_image_bytes("PNG", size=(600, 800), color=(30, 120, 60)))

    page = page_at(1280)
    page.goto(live_server.url)
    screenshot(page, "desktop-landing")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("paula")
    page.get_by_label("Password", exact=True).fill("a quiet meadow 7")
    page.get_by_label("Password confirmation").fill("a quiet meadow 7")
    screenshot(page, "desktop-signup")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/images/")
    assert "No photos yet" in page.content()

    page.get_by_role("link", name="Upload photos").first.click()
    page.get_by_label("Photos").set_input_files([str(first), str(second)])
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector(".results")
    assert page.locator(".result-ok").count() == 2
    screenshot(page, "desktop-upload-results")

    page.get_by_role("link", name="Back to your gallery").click()
    page.wait_for_function(
        "[...document.querySelectorAll('.grid img')].every(i => i.complete)"
    )
    widths = loaded_images(page)
    assert len(widths) == 2
    assert all(width > 0 for width in widths)
    screenshot(page, "desktop-gallery")

    page.get_by_role("link", name="sunset.jpg").click()
    page.wait_for_function("document.querySelector('.detail-figure img').complete")
    assert page.eval_on_selector(".detail-figure img", "i => i.naturalWidth") == 800
    assert "800 × 600 px" in page.content()
    screenshot(page, "desktop-detail")

    phone = page_at(390, 844, is_mobile=True, has_touch=True)
    phone.context.add_cookies(page.context.cookies())
    for path, name in (
        ("/images/upload/", "phone-upload"),
        ("/images/", "phone-gallery"),
    ):
        phone.goto(live_server.url + path)
        phone.wait_for_load_state("networkidle")
        screenshot(phone, name)
    # Nothing is wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("link", name="sunset.jpg").click()
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-detail")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/images/")
    assert "/accounts/login/" in page.url
    screenshot(page, "desktop-login")
