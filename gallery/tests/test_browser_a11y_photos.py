"""axe-core on the pages of phone photos: upload queue, photo page, trash, account."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.services import image_upload, images_trash
from gallery.tests.browser import axe_violations, log_in, screenshot, wait_until
from gallery.tests.camera_photos import photo_bytes
from gallery.tests.test_browser_upload_queue import drop_files, noisy_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_pages_of_this_work_pass_axe(live_server, page_at, alice, width):
    located = image_upload(
        owner=alice,
        file=SimpleUploadedFile(
            "IMG_0001.heic", photo_bytes("HEIF", gps=(48.85, 2.29))
        ),
    )
    trashed = image_upload(
        owner=alice, file=SimpleUploadedFile("old.jpg", noisy_jpeg(1))
    )
    images_trash(owner=alice, ids=[trashed.pk])
    page = page_at(width, 900)
    log_in(page, live_server.url)
    for path, name in (
        (f"/images/{located.id}/", "photo-camera-details"),
        ("/images/trash/", "trash"),
        ("/accounts/", "account-photo-settings"),
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], path
        screenshot(page, f"{'phone' if width < 500 else 'desktop'}-{name}")
    page.goto(live_server.url + "/images/upload/")
    drop_files(page, {"a.jpg": noisy_jpeg(2), "notes.jpg": b"not a photo"})
    page.get_by_role("button", name="Upload").click()
    wait_until(page, "document.querySelector('.queue.results') !== null")
    assert axe_violations(page) == []
