"""The README's two pictures, taken from a library of the sample photos that
the offline analyzer has described: the gallery at 1280 px and the viewer on
a 390 px phone. They land in test-artifacts/screenshots/readme-*.jpg; copy
them to docs/ when the pages change."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageOps

from gallery.tests.browser import (
    SCREENSHOTS,
    axe_violations,
    log_in,
    wait_until,
)
from gallery.tests.photos import photo_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLES = ("cat", "coffee", "astronaut", "rocket", "cameraman", "deep_sky")


def variants(name: str) -> dict[str, bytes]:
    """The sample photo, a mirrored copy and a closer crop, as JPEG."""
    original = PILImage.open(io.BytesIO(photo_bytes(f"{name}.jpg"))).convert("RGB")
    width, height = original.size
    crop = original.crop((width // 8, height // 8, width * 7 // 8, height * 7 // 8))
    made = {}
    for suffix, picture in (
        ("", original),
        ("-mirrored", ImageOps.mirror(original)),
        ("-closer", crop),
    ):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=90)
        made[f"{name}{suffix}.jpg"] = out.getvalue()
    return made


@pytest.fixture
def sample_library(alice, settings, offline_settings):
    """18 analysed photos over two weeks: the sample photos, then their
    mirrored copies, then closer crops."""
    from gallery import services
    from gallery.models import Image

    settings.GALLERY_UPLOAD_LIMIT = 0
    now = timezone.now()
    files = [variants(name) for name in SAMPLES]
    # Interleaved, so that a day shows different photos.
    ordered = [
        (name, data)
        for group in zip(*(f.items() for f in files), strict=True)
        for name, data in group
    ]
    # One to three photos a day, as a camera roll has them.
    days = [
        day for day, count in enumerate((3, 2, 1, 3, 2, 3, 1, 3)) for _ in range(count)
    ]
    for n, ((name, data), day) in enumerate(zip(ordered, days, strict=True)):
        image = services.image_upload(owner=alice, file=SimpleUploadedFile(name, data))
        taken = now - datetime.timedelta(days=day * 2, hours=n)
        Image.objects.filter(pk=image.pk).update(created_at=taken)


def test_the_readme_pictures(live_server, page_at, sample_library):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = page_at(1280, 800)
    log_in(page, live_server.url)
    page.goto(live_server.url + "/images/")  # without the "signed in" message
    page.wait_for_load_state("networkidle")
    assert page.locator(".tag-cloud .chip").count() >= 5
    assert axe_violations(page) == []
    page.screenshot(
        path=str(SCREENSHOTS / "readme-gallery-1280.jpg"), type="jpeg", quality=82
    )

    phone = page_at(390, 844, is_mobile=True, has_touch=True)
    log_in(phone, live_server.url)
    tile = phone.locator(".tile", has_text="cat.jpg").locator(".tile-link")
    tile.scroll_into_view_if_needed()
    tile.tap()
    wait_until(phone, "!!document.activeElement?.classList.contains('pswp')")
    phone.get_by_role("button", name="Information").tap()
    wait_until(
        phone, "document.querySelector('#viewer-info h2')?.textContent === 'cat.jpg'"
    )
    assert phone.locator("#viewer-info .thumb-row a").count() >= 1
    wait_until(
        phone,
        "[...document.querySelectorAll('.pswp__item[aria-hidden=false] img')]"
        ".every(i => i.complete)",
    )
    phone.wait_for_timeout(600)  # the sheet settles
    assert axe_violations(phone) == []
    phone.screenshot(
        path=str(SCREENSHOTS / "readme-viewer-390.jpg"), type="jpeg", quality=82
    )
