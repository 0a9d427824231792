"""A person in a real browser: sign up, upload, browse, open, log out."""

from __future__ import annotations

import pytest

from gallery.tests.browser import (
    log_in_and_upload,
    open_photo_page,
    screenshot,
    wait_until,
)

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
    page.get_by_label("Password (again)").fill("a quiet meadow 7")
    screenshot(page, "desktop-signup")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/images/")
    assert "No photos yet" in page.content()
    assert "Welcome, paula: your account is ready." in page.content()

    page.get_by_role("link", name="Upload photos").first.click()
    page.get_by_label("Photos").set_input_files([str(first), str(second)])
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector(".results")
    assert page.locator(".result-ok").count() == 2
    screenshot(page, "desktop-upload-results")

    page.get_by_role("link", name="Back to your gallery").click()
    wait_until(
        page, "[...document.querySelectorAll('.grid img')].every(i => i.complete)"
    )
    widths = loaded_images(page)
    assert len(widths) == 2
    assert all(width > 0 for width in widths)
    screenshot(page, "desktop-gallery")

    open_photo_page(page, live_server.url, "sunset.jpg")
    wait_until(page, "document.querySelector('.detail-figure img').complete")
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
    open_photo_page(phone, live_server.url, "sunset.jpg")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-detail")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/images/")
    assert "/accounts/login/" in page.url
    screenshot(page, "desktop-login")


def test_a_person_searches_filters_and_deletes_several(
    live_server, page_at, alice, settings, tmp_path
):
    from bench import synthetic

    settings.GALLERY_ANALYZER = "local"
    settings.GALLERY_UPLOAD_LIMIT = 0
    files = []
    for seed, name in enumerate(
        ["beach-day.jpg", "city-night.jpg", "beach-sunset.jpg"]
    ):
        path = tmp_path / name
        path.write_bytes(synthetic.jpeg_bytes(synthetic.photo_like(300 + seed)))
        files.append(str(path))

    page = page_at(1280)
    log_in_and_upload(page, live_server.url, files)
    assert page.locator(".result-ok").count() == 3

    page.goto(live_server.url + "/images/")
    page.get_by_label("Search your photos").fill("beach")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=beach**")
    names = page.locator(".tile-name").all_inner_texts()
    assert sorted(names) == ["beach-day.jpg", "beach-sunset.jpg"]
    assert page.get_by_role("link", name="Clear the words").is_visible()
    screenshot(page, "desktop-search")

    # A tag chip from the analysis filters the gallery to that tag.
    page.goto(live_server.url + "/images/")
    first_tag = page.locator(".tag-cloud .chip").first
    tag = first_tag.inner_text().rsplit(" ", 1)[0]
    first_tag.click()
    page.wait_for_url("**tag=**")
    assert f"Tag: {tag}" in page.locator(".active-filters").inner_text()

    page.goto(live_server.url + "/images/")
    page.get_by_label("Select beach-day.jpg").check()
    page.get_by_label("Select city-night.jpg").check()
    assert page.locator("[data-bulk-count]").inner_text() == "2 selected"
    screenshot(page, "desktop-bulk-select")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_selector(".message")
    assert "Moved 2 images to the trash." in page.locator(".messages").inner_text()
    assert page.locator(".tile-name").all_inner_texts() == ["beach-sunset.jpg"]

    open_photo_page(page, live_server.url, "beach-sunset.jpg")
    page.wait_for_load_state("networkidle")
    screenshot(page, "desktop-detail-analysed")
    phone = page_at(390, 844, is_mobile=True, has_touch=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url)
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-detail-analysed")
    phone.goto(live_server.url + "/images/?q=beach")
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-search")


@pytest.mark.celery
def test_renditions_and_analysis_appear_without_reloading(
    live_server, page_at, alice, settings, make_upload
):
    from gallery import services
    from gallery.tests.analyzers import FIXED

    # No worker runs yet: the image waits for its renditions and analysis.
    settings.GALLERY_PROCESSING = "worker"
    image = services.image_upload(
        owner=alice, file=make_upload("later.jpg", size=(800, 600))
    )
    page = page_at(1280)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct horse 1")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/images/{image.id}/")
    assert page.locator("#figure").inner_text().startswith("Preparing the preview…")
    assert page.locator("#analysis").inner_text().startswith("Analysing…")
    screenshot(page, "desktop-detail-preparing")
    phone = page_at(390, 844)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{live_server.url}/images/")
    assert phone.locator(".tile .placeholder").inner_text() == "Preparing…"
    screenshot(phone, "phone-gallery-preparing")

    settings.GALLERY_ANALYZER = FIXED
    assert services.image_process_next()
    page.wait_for_selector("#analysis >> text=worker", timeout=10_000)
    assert "Analysing…" not in page.locator("#analysis").inner_text()
    wait_until(page, "(document.querySelector('#figure img') || {}).naturalWidth > 0")
    wait_until(phone, "(document.querySelector('.tile img') || {}).naturalWidth > 0")
    assert phone.locator(".tile .placeholder").count() == 0
    screenshot(page, "desktop-detail-processed")
    screenshot(phone, "phone-gallery-processed")
