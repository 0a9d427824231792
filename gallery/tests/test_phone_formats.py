"""HEIC/HEIF and AVIF: phone photos stored as they are, shown and analysed."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from gallery.analysis.azure import prepare_payload
from gallery.models import Image
from gallery.services import image_upload
from gallery.tests.camera_photos import photo_bytes

pytestmark = pytest.mark.django_db
FORMATS = {"HEIF": ("image/heic", "heic"), "AVIF": ("image/avif", "avif")}


def upload(owner, data: bytes, name: str) -> Image:
    return image_upload(owner=owner, file=SimpleUploadedFile(name, data))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_phone_photo_is_stored_byte_for_byte_with_renditions(alice, fmt):
    content_type, extension = FORMATS[fmt]
    data = photo_bytes(fmt, size=(96, 48), offset="+09:00", gps=(35.6586, 139.7454))
    image = upload(alice, data, f"IMG_4242.{extension}")
    assert image.content_type == content_type
    assert image.file.name.endswith(f".{extension}")
    with default_storage.open(image.file.name, "rb") as stored:
        assert stored.read() == data
    for rendition in image.renditions:
        with default_storage.open(rendition.name, "rb") as stored:
            shown = PILImage.open(io.BytesIO(stored.read()))
            assert shown.format == "WEBP"
            assert not dict(shown.getexif())
    assert image.taken_at_offset == 540
    assert image.camera_model == "iPhone 15 Pro"
    assert image.latitude == pytest.approx(35.6586, abs=1e-4)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_turned_phone_photo_is_shown_upright(alice, fmt):
    image = upload(alice, photo_bytes(fmt, size=(96, 48), orientation=6), "turned")
    assert (image.width, image.height) == (48, 96)
    with default_storage.open(image.preview.name, "rb") as stored:
        preview = PILImage.open(io.BytesIO(stored.read()))
    assert preview.height > preview.width


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_form_accepts_phone_formats(alice_client, alice, fmt):
    _, extension = FORMATS[fmt]
    data = photo_bytes(fmt)
    response = alice_client.post(
        "/images/upload/", {"images": [SimpleUploadedFile(f"p.{extension}", data)]}
    )
    assert "Stored:" in response.content.decode()
    assert Image.objects.filter(owner=alice).count() == 1


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_a_truncated_phone_photo_is_refused_and_nothing_is_kept(
    alice, fmt, keep, settings
):
    data = photo_bytes(fmt, size=(256, 192))
    with pytest.raises(ValidationError):
        upload(alice, data[: int(len(data) * keep)], "cut")
    assert not Image.objects.exists()
    media = settings.MEDIA_ROOT
    assert not [path for path in media.rglob("*") if path.is_file()]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_pixel_limit_applies_to_phone_formats(alice, fmt, settings):
    settings.GALLERY_MAX_PIXELS = 1000
    with pytest.raises(ValidationError) as refusal:
        upload(alice, photo_bytes(fmt, size=(96, 48)), "big")
    assert refusal.value.code == "too_many_pixels"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_azure_gets_a_jpeg_copy_of_phone_formats(fmt):
    payload, sent_format = prepare_payload(photo_bytes(fmt, size=(160, 120)))
    assert sent_format == "JPEG"
    assert PILImage.open(io.BytesIO(payload)).format == "JPEG"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_offline_analyzer_reads_phone_formats(alice, fmt, settings):
    settings.GALLERY_ANALYZER = "local"
    image = upload(alice, photo_bytes(fmt, size=(160, 120)), "analysed")
    image.refresh_from_db()
    assert image.analysis_status == "done", image.analysis_error
    assert image.dominant_colors
