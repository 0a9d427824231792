"""The upload queue in a real browser: drop, progress, results, retry, the cap."""

from __future__ import annotations

import base64
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from gallery.models import Image
from gallery.services import image_upload
from gallery.tests.browser import screenshot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
QUEUE_DONE = "document.querySelector('.queue.results') !== null"
# Some file part-way through its upload.
MID_BATCH = (
    "[...document.querySelectorAll('.queue-bar')]"
    ".some(bar => bar.value > 5 && bar.value < 95)"
)


def noisy_jpeg(seed: int, size: tuple[int, int] = (400, 300)) -> bytes:
    """A JPEG that does not compress away (so its upload takes a while)."""
    pixels = os.urandom(size[0] * size[1] * 3)
    image = PILImage.frombytes("RGB", size, pixels)
    image.putpixel((0, 0), (seed % 256, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct horse 1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/images/")


def slow_uplink(page, bytes_per_second: int) -> None:
    """Chromium's network emulation: uploads crawl as on a poor phone line."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def drop_files(page, files: dict[str, bytes]) -> None:
    """Drop files on the drop zone, as a person dragging them from a folder."""
    encoded = {name: base64.b64encode(data).decode() for name, data in files.items()}
    transfer = page.evaluate_handle(
        """files => {
            const transfer = new DataTransfer();
            for (const [name, data] of Object.entries(files)) {
                const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, {type: 'image/jpeg'}));
            }
            return transfer;
        }""",
        encoded,
    )
    page.dispatch_event("[data-dropzone]", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": transfer})


def states(page) -> list[str]:
    return page.eval_on_selector_all(
        ".queue-item", "rows => rows.map(r => r.dataset.state)"
    )


def test_twelve_dropped_photos_show_progress_and_their_results(
    live_server, page_at, alice, settings
):
    settings.GALLERY_UPLOAD_LIMIT = 0
    already = noisy_jpeg(0)
    image_upload(owner=alice, file=SimpleUploadedFile("kept.jpg", already))
    files = {f"IMG_{n:04d}.jpg": noisy_jpeg(n) for n in range(1, 11)}
    files["notes.jpg"] = b"these are my notes, not a photo"
    files["again.jpg"] = already

    page = page_at(1280)
    log_in(page, live_server.url)
    page.goto(live_server.url + "/images/upload/")
    assert page.get_by_text("Drop photos here").is_visible()
    drop_files(page, files)
    assert page.locator(".queue-item").count() == 12
    assert page.locator("[data-queue-summary]").inner_text() == "0 of 12 done"
    slow_uplink(page, 400 * 1024)
    page.get_by_role("button", name="Upload").click()

    # Mid-batch: a few files on their way, each with its own bar.
    wait_until(page, MID_BATCH)
    assert 1 <= states(page).count("sending") <= 3
    screenshot(page, "desktop-upload-queue-mid-batch")

    wait_until(page, QUEUE_DONE, timeout=90)
    assert states(page).count("stored") == 10
    refused = page.locator(".queue-item[data-state=refused]")
    assert "not an image we can store" in refused.inner_text()
    duplicate = page.locator(".queue-item[data-state=duplicate]")
    assert "You already have this image." in duplicate.inner_text()
    kept = Image.objects.get(original_filename="kept.jpg")
    assert duplicate.get_by_role("link", name="See the one you have").get_attribute(
        "href"
    ) == (f"/images/{kept.id}/")
    summary = page.locator("[data-queue-summary]").inner_text()
    assert summary == "12 of 12 done · 10 stored · 1 already there · 1 not stored"
    screenshot(page, "desktop-upload-queue-done")

    page.goto(live_server.url + "/images/")
    gallery = page.content()
    assert all(name in gallery for name in files if name.startswith("IMG_"))
    assert "notes.jpg" not in gallery
    assert Image.objects.filter(owner=alice).count() == 11


def test_a_phone_sees_the_queue_mid_batch(live_server, page_at, alice):
    page = page_at(390, 844, is_mobile=True, has_touch=True)
    log_in(page, live_server.url)
    page.goto(live_server.url + "/images/upload/")
    drop_files(page, {f"PXL_2024{n}.jpg": noisy_jpeg(100 + n) for n in range(3)})
    slow_uplink(page, 150 * 1024)
    page.get_by_role("button", name="Upload").click()
    wait_until(page, MID_BATCH)
    screenshot(page, "phone-upload-queue-mid-batch")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    wait_until(page, QUEUE_DONE, timeout=60)
    assert states(page) == ["stored"] * 3


def test_a_failed_file_can_be_sent_again(live_server, page_at, alice):
    page = page_at(1280)
    log_in(page, live_server.url)
    page.goto(live_server.url + "/images/upload/")
    dropped = []

    def lose_the_first(route):
        if not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/images/upload/file/", lose_the_first)
    drop_files(page, {"flaky.jpg": noisy_jpeg(7)})
    page.get_by_role("button", name="Upload").click()
    wait_until(page, QUEUE_DONE)
    row = page.locator(".queue-item")
    assert row.get_attribute("data-state") == "failed"
    assert "the connection was lost" in row.inner_text()
    assert not Image.objects.exists()
    screenshot(page, "desktop-upload-queue-failed")

    page.get_by_role("button", name="Retry flaky.jpg").click()
    wait_until(page, QUEUE_DONE + " && document.querySelector('[data-state=stored]')")
    assert Image.objects.filter(original_filename="flaky.jpg").count() == 1


def test_it_warns_before_sending_what_will_not_fit(
    live_server, page_at, alice, settings, tmp_path
):
    settings.GALLERY_UPLOAD_LIMIT = 3
    paths = []
    for n in range(5):
        path = tmp_path / f"trip-{n}.jpg"
        path.write_bytes(noisy_jpeg(200 + n, size=(64, 48)))
        paths.append(str(path))
    page = page_at(1280)
    log_in(page, live_server.url)
    page.goto(live_server.url + "/images/upload/")
    page.get_by_label("Photos").set_input_files(paths)
    warning = page.locator("[data-cap-warning]")
    assert warning.is_visible()
    assert warning.inner_text() == (
        "You can upload 3 more images, so 2 of the 5 chosen will not fit: "
        "trip-3.jpg, trip-4.jpg."
    )
    screenshot(page, "desktop-upload-cap-warning")

    page.get_by_role("button", name="Upload").click()
    wait_until(page, QUEUE_DONE)
    # The server stays the judge: three stored, two refused with its reason.
    assert states(page).count("stored") == 3
    assert states(page).count("refused") == 2
    assert "reached your limit of 3 images" in page.locator(".queue").inner_text()


def test_a_batch_can_be_cancelled(live_server, page_at, alice):
    page = page_at(1280)
    log_in(page, live_server.url)
    page.goto(live_server.url + "/images/upload/")
    drop_files(
        page, {f"big-{n}.jpg": noisy_jpeg(300 + n, (800, 600)) for n in range(6)}
    )
    slow_uplink(page, 50 * 1024)
    page.get_by_role("button", name="Upload").click()
    wait_until(page, "document.querySelector('[data-state=sending]') !== null")
    page.get_by_role("button", name="Cancel", exact=True).click()
    wait_until(page, QUEUE_DONE)
    assert set(states(page)) <= {"cancelled", "stored"}
    assert states(page).count("cancelled") >= 3


def test_without_javascript_the_plain_form_still_uploads(
    live_server, page_at, alice, tmp_path
):
    photo = tmp_path / "plain.jpg"
    photo.write_bytes(noisy_jpeg(400, size=(64, 48)))
    page = page_at(1280, java_script_enabled=False)
    log_in(page, live_server.url)
    page.goto(live_server.url + "/images/upload/")
    page.get_by_label("Photos").set_input_files([str(photo)])
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector(".results")
    assert page.locator(".result-ok").count() == 1
    assert Image.objects.filter(original_filename="plain.jpg").exists()
