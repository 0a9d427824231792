"""The hostile corpus through the real upload view: never a 500, never half-stored.

Each file is refused on its own with a message in our words and a code (the
page's ``data-code``), or stored whole with its renditions.
"""

from __future__ import annotations

import re
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gallery import services
from gallery.models import Image

from . import hostile

pytestmark = pytest.mark.django_db

RESULT = re.compile(r'data-code="([a-z_]+)"')


def post(client, *files):
    return client.post("/images/upload/", {"images": list(files)})


def as_upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def codes(response) -> list[str]:
    return RESULT.findall(response.content.decode())


def stored_files(root) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def no_limit(settings):
    settings.GALLERY_UPLOAD_LIMIT = 0


def test_every_truncation_of_every_format_is_refused_in_our_words(
    alice_client, no_limit, tmp_path
):
    seen = 0
    for name, data in hostile.truncations():
        response = post(alice_client, as_upload(name, data))
        page = response.content.decode()
        assert response.status_code == 400, name
        assert codes(response) in (["incomplete"], ["corrupt"], ["not_an_image"]), (
            name,
            codes(response),
        )
        # Pillow's own words never reach the page.
        assert "not processed" not in page and "decoder" not in page, name
        seen += 1
    assert seen > 150
    assert Image.objects.count() == 0
    assert stored_files(tmp_path / "media") == []


def test_a_cut_jpeg_says_the_file_is_incomplete(alice_client):
    data = hostile.still_images()["baseline.jpg"]
    response = post(alice_client, as_upload("half.jpg", data[: len(data) // 2]))
    assert codes(response) == ["incomplete"]
    assert "The file is incomplete" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("no-iend.png", hostile.png_without_iend),
        ("no-trailer.gif", hostile.gif_without_trailer),
    ],
)
def test_a_file_missing_only_its_end_marker_is_incomplete(alice_client, name, make):
    response = post(alice_client, as_upload(name, make()))
    assert response.status_code == 400
    assert codes(response) == ["incomplete"]
    assert "The file is incomplete" in response.content.decode()
    assert Image.objects.count() == 0


@pytest.mark.parametrize("name", sorted(hostile.animated_images()))
def test_every_frame_of_an_animated_or_multi_page_image_is_checked(alice_client, name):
    data = hostile.animated_images()[name]
    # The first frame is whole; a later one is cut.
    response = post(alice_client, as_upload(name, data[: len(data) * 8 // 10]))
    assert response.status_code == 400
    assert codes(response) in (["incomplete"], ["corrupt"])
    assert Image.objects.count() == 0


@pytest.mark.parametrize("name", sorted(hostile.animated_images()))
def test_whole_animated_and_multi_page_images_are_stored(alice_client, name):
    response = post(alice_client, as_upload(name, hostile.animated_images()[name]))
    assert codes(response) == ["stored"]


def test_every_pillow_mode_is_stored_with_renditions(alice_client, no_limit):
    images = hostile.mode_images()
    for name, data in images.items():
        response = post(alice_client, as_upload(name, data))
        assert codes(response) == ["stored"], name
    assert Image.objects.count() == len(images)
    for image in Image.objects.all():
        for stored in (image.file, *image.renditions):
            assert default_storage.exists(stored.name)


def test_the_decode_budget_counts_bytes_per_pixel_not_only_pixels(
    alice_client, settings
):
    settings.GALLERY_MAX_DECODE_MB = 1
    # 400×400 pixels: 0.6 MB as 8-bit RGBA, 1.2 MB as 16-bit RGBA.
    eight_bit = hostile.encoded(hostile.noise((400, 400)).convert("RGBA"), "PNG")
    sixteen_bit = hostile.png_16bit_rgba(400, 400)
    response = post(alice_client, as_upload("deep.png", sixteen_bit))
    assert codes(response) == ["too_costly"]
    assert "the limit is 1.0\xa0MB" in response.content.decode()
    assert codes(post(alice_client, as_upload("flat.png", eight_bit))) == ["stored"]


def test_a_small_file_that_is_huge_decoded_is_refused_by_default(alice_client):
    # 7071×7071 is under the 50 megapixel limit; 16-bit RGBA needs 400 MB.
    data = hostile.png_16bit_rgba(7071, 7071)
    assert len(data) < 2_000_000
    response = post(alice_client, as_upload("bomb16.png", data))
    assert codes(response) == ["too_costly"]
    assert Image.objects.count() == 0


def test_the_frames_of_an_animation_share_one_decode_budget(alice_client, settings):
    settings.GALLERY_MAX_DECODE_MB = 1
    # Each 300×300 frame costs 0.34 MB decoded (RGB is four bytes a pixel);
    # three pass, four do not.
    frames = [hostile.noise((300, 300), 90 * n).convert("P") for n in range(4)]
    three = hostile.encoded(frames[0], "GIF", save_all=True, append_images=frames[1:3])
    four = hostile.encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert codes(post(alice_client, as_upload("four.gif", four))) == ["too_costly"]
    assert codes(post(alice_client, as_upload("three.gif", three))) == ["stored"]


def test_a_user_at_the_cap_is_answered_without_decoding_anything(
    alice_client, alice, make_upload, settings
):
    settings.GALLERY_UPLOAD_LIMIT = 1
    services.image_upload(owner=alice, file=make_upload())
    # Decoding would find this file incomplete; the cap answers first.
    broken = hostile.png_without_iend()
    response = post(alice_client, *[as_upload(f"{n}.png", broken) for n in range(3)])
    assert codes(response) == ["limit_reached"] * 3


def test_each_file_of_a_post_succeeds_or_fails_on_its_own(
    alice_client, make_upload, tmp_path
):
    broken = hostile.still_images()["picture.webp"][:500]
    response = post(
        alice_client,
        make_upload("one.jpg"),
        make_upload("two.jpg"),
        as_upload("broken.webp", broken),
        make_upload("four.jpg"),
    )
    assert response.status_code == 200
    assert codes(response) == ["stored", "stored", "incomplete", "stored"]
    page = response.content.decode()
    for name in ("one.jpg", "two.jpg", "broken.webp", "four.jpg"):
        assert name in page
    assert sorted(Image.objects.values_list("original_filename", flat=True)) == [
        "four.jpg",
        "one.jpg",
        "two.jpg",
    ]
    # An original and three renditions each.
    assert len(stored_files(tmp_path / "media")) == 3 * 4


def test_a_fault_of_ours_refuses_that_file_only_and_leaves_nothing_of_it(
    alice_client, make_upload, monkeypatch, tmp_path
):
    from gallery.services import uploads

    real_count = uploads.count_images
    calls = []

    # The step after the row's INSERT, before its commit.
    def count_failing_the_second_time(owner_id, delta):
        calls.append(owner_id)
        if len(calls) == 2:
            raise RuntimeError("count down")
        real_count(owner_id, delta)

    monkeypatch.setattr(uploads, "count_images", count_failing_the_second_time)
    response = post(
        alice_client, make_upload("a.jpg"), make_upload("b.jpg"), make_upload("c.jpg")
    )
    assert codes(response) == ["stored", "unexpected", "stored"]
    assert "nothing of it was saved" in response.content.decode()
    assert sorted(Image.objects.values_list("original_filename", flat=True)) == [
        "a.jpg",
        "c.jpg",
    ]
    assert len(stored_files(tmp_path / "media")) == 2 * 4


def test_too_many_files_in_one_post_are_refused_before_any_is_read(
    alice_client, make_upload, settings
):
    files = [make_upload(f"{n}.jpg") for n in range(21)]
    response = post(alice_client, *files)
    assert response.status_code == 400
    assert "Send at most 20 files at a time" in response.content.decode()
    assert Image.objects.count() == 0


def test_a_huge_request_body_is_refused_unread(alice_client):
    # The test client's body is a few bytes: reading past them would fail.
    response = alice_client.post(
        "/images/upload/",
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH=str(150 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "larger than 100 MB in total" in response.content.decode()
    assert Image.objects.count() == 0


def test_a_polyglot_is_stored_as_the_image_it_starts_with(alice_client):
    response = post(alice_client, as_upload("poly.html", hostile.polyglot_jpeg()))
    assert codes(response) == ["stored"]
    image = Image.objects.get()
    assert image.content_type == "image/jpeg"
    assert image.file.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("given", "saved_as"),
    [
        ("poly.html", "poly.jpg"),
        ("photo.jpeg", "photo.jpg"),
        ("no-extension", "no-extension.jpg"),
    ],
)
def test_a_download_carries_the_extension_of_the_detected_type(
    alice_client, given, saved_as
):
    post(alice_client, as_upload(given, hostile.polyglot_jpeg()))
    image = Image.objects.get()
    page = alice_client.get(f"/images/{image.id}/")
    response = Client().get(page.context["download_url"])
    assert response["Content-Disposition"] == f'attachment; filename="{saved_as}"'
    # The bytes after the image's end are served as an image, never as a page.
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).endswith(hostile.POLYGLOT_TAIL)


def test_files_not_reached_in_the_requests_time_are_not_read(
    alice_client, make_upload, settings, monkeypatch
):
    from gallery import views

    settings.GALLERY_UPLOAD_REQUEST_SECONDS = 1
    real_upload = services.image_upload

    def slow_upload(**kwargs):
        time.sleep(1.05)
        return real_upload(**kwargs)

    monkeypatch.setattr(views.services, "image_upload", slow_upload)
    response = post(alice_client, *[make_upload(f"{n}.jpg") for n in range(3)])
    assert codes(response) == ["stored", "not_reached", "not_reached"]
    assert "send it again" in response.content.decode()
    assert Image.objects.count() == 1
