"""The owner's "remove location from originals on upload" setting."""

from __future__ import annotations

import hashlib
import io
import random
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from accounts.models import Profile
from gallery import camera
from gallery.location import LocationNotRemoved, without_location
from gallery.models import Image
from gallery.services import DuplicateImage, image_upload
from gallery.tests.camera_photos import exif_block, landscape_pixels, photo_bytes

pytestmark = pytest.mark.django_db
PLACE = (51.5007, -0.1246)
FORMATS = ["JPEG", "HEIF", "AVIF", "PNG", "WEBP", "TIFF"]


@pytest.fixture
def private_alice(alice):
    Profile.objects.update_or_create(user=alice, defaults={"remove_location": True})
    return alice


def stored_bytes(image: Image) -> bytes:
    with default_storage.open(image.file.name, "rb") as stored:
        return stored.read()


def pixels(data: bytes) -> bytes:
    with PILImage.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_location_is_blanked_and_nothing_else_changes(private_alice, fmt):
    data = photo_bytes(fmt, gps=PLACE, offset="+01:00")
    image = image_upload(
        owner=private_alice, file=SimpleUploadedFile(f"x.{fmt.lower()}", data)
    )
    kept = stored_bytes(image)
    assert len(kept) == len(data) == image.size_bytes
    assert kept != data
    assert pixels(kept) == pixels(data)
    with PILImage.open(io.BytesIO(kept)) as reopened:
        found = camera.camera_metadata(reopened)
    assert not found.has_location
    assert found.camera_model == "iPhone 15 Pro"
    assert found.taken_at_offset == 60
    assert image.latitude is None and image.longitude is None
    assert "altitude" not in image.camera_details
    assert image.taken_at_offset == 60
    # The hash is of the file as sent: sending it again is still recognised.
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(DuplicateImage):
        image_upload(owner=private_alice, file=SimpleUploadedFile("again", data))


def test_by_default_the_location_stays(alice):
    data = photo_bytes(gps=PLACE)
    image = image_upload(owner=alice, file=SimpleUploadedFile("x.jpg", data))
    assert stored_bytes(image) == data
    assert image.latitude == pytest.approx(PLACE[0], abs=1e-4)


def test_photos_without_a_location_are_stored_as_sent(private_alice):
    data = photo_bytes(gps=None)
    image = image_upload(owner=private_alice, file=SimpleUploadedFile("x.jpg", data))
    assert stored_bytes(image) == data


def test_xmp_positions_are_blanked_too(private_alice):
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
        b'1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com'
        b'/exif/1.0/" exif:GPSLatitude="51,30.042N" exif:GPSLongitude="0,7.476W">'
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    out = io.BytesIO()
    landscape_pixels().save(out, "JPEG", exif=exif_block(gps=PLACE).tobytes(), xmp=xmp)
    image = image_upload(
        owner=private_alice, file=SimpleUploadedFile("x.jpg", out.getvalue())
    )
    kept = stored_bytes(image)
    assert b"51,30.042N" not in kept and b"0,7.476W" not in kept
    assert b"exif:GPSLatitude=" in kept  # the packet is still well formed


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_damaged_exif_never_breaks_the_removal():
    """Seeded mutations of the EXIF block: blanked, or refused, never a crash."""
    data = photo_bytes(gps=PLACE)
    start = data.find(b"Exif\x00\x00")
    generator = random.Random(20261203)
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(generator.randint(1, 8)):
            mutated[generator.randrange(start, start + 300)] = generator.randrange(256)
        try:
            result = without_location(bytes(mutated))
        except LocationNotRemoved:
            continue
        except (OSError, SyntaxError, ValueError):
            continue  # Pillow refuses the file itself: validation would have
        assert len(result) == len(mutated)


def test_the_account_page_sets_it(alice_client, alice):
    page = alice_client.get("/accounts/").content.decode()
    assert "Remove location from originals on upload" in page
    response = alice_client.post("/accounts/photos/", {"remove_location": "on"})
    assert response.status_code == 302
    assert Profile.objects.get(user=alice).remove_location is True
    page = alice_client.get("/accounts/").content.decode()
    assert "Your photo settings were saved." in page
    assert re.search(r'<input[^>]*name="remove_location"[^>]*checked', page)
    alice_client.post("/accounts/photos/", {})
    assert Profile.objects.get(user=alice).remove_location is False
