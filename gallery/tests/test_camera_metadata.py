"""Camera metadata: date taken, camera, exposure, place and which way is up."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image as PILImage
from PIL.TiffImagePlugin import IFDRational

from gallery import camera, selectors
from gallery.models import Image
from gallery.services import image_upload
from gallery.tests.camera_photos import exif_block, photo_bytes

pytestmark = pytest.mark.django_db
PARIS = (48.8581, 2.2945)
RIO = (-22.9519, -43.2105)


def upload(owner, data: bytes, name: str = "IMG_0001.jpg") -> Image:
    return image_upload(owner=owner, file=SimpleUploadedFile(name, data))


def opened(field) -> PILImage.Image:
    with default_storage.open(field.name, "rb") as stored:
        return PILImage.open(io.BytesIO(stored.read()))


def test_it_reads_the_camera_and_exposure(alice):
    image = upload(alice, photo_bytes())
    assert image.camera_make == "Apple"
    assert image.camera_model == "iPhone 15 Pro"
    assert image.lens.startswith("iPhone 15 Pro back triple camera")
    assert image.focal_length == pytest.approx(6.86)
    assert image.f_number == pytest.approx(1.78)
    assert image.exposure_time == pytest.approx(0.004)
    assert image.iso == 80
    assert camera.exposure_label(image.exposure_time) == "1/250 s"


def test_a_date_with_an_offset_is_the_exact_instant(alice):
    image = upload(alice, photo_bytes(taken="2024:05:01 10:20:30", offset="+02:00"))
    image.refresh_from_db()
    assert image.taken_at == dt.datetime(2024, 5, 1, 8, 20, 30, tzinfo=dt.UTC)
    assert image.taken_at_offset == 120


def test_a_negative_offset_is_kept(alice):
    image = upload(alice, photo_bytes(taken="2023:12:31 23:30:00", offset="-05:30"))
    assert image.taken_at == dt.datetime(2024, 1, 1, 5, 0, tzinfo=dt.UTC)
    assert image.taken_at_offset == -330


def test_a_date_without_offset_keeps_the_cameras_wall_clock(alice):
    image = upload(alice, photo_bytes(taken="2019:07:14 18:05:00"))
    assert image.taken_at == dt.datetime(2019, 7, 14, 18, 5, tzinfo=dt.UTC)
    assert image.taken_at_offset is None


def test_it_reads_the_gps_position_with_its_hemispheres(alice):
    north_east = upload(alice, photo_bytes(gps=PARIS))
    south_west = upload(alice, photo_bytes(gps=RIO, model="Pixel 8"))
    assert (north_east.latitude, north_east.longitude) == pytest.approx(PARIS, abs=1e-4)
    assert (south_west.latitude, south_west.longitude) == pytest.approx(RIO, abs=1e-4)
    assert north_east.camera_details["altitude"] == 35.5


@pytest.mark.parametrize("orientation", [6, 8])
def test_a_turned_photo_has_upright_dimensions_and_renditions(alice, orientation):
    image = upload(alice, photo_bytes(size=(96, 48), orientation=orientation))
    assert (image.width, image.height) == (48, 96)
    assert image.camera_details["orientation"] == orientation
    for rendition in image.renditions:
        shown = opened(rendition)
        assert shown.height > shown.width
        # Red was on the left of the sensor's picture: after a quarter turn
        # clockwise (6) it is at the top, anticlockwise (8) at the bottom.
        top = shown.getpixel((shown.width // 2, 2))
        assert (top[0] > top[2]) is (orientation == 6)


def test_the_original_is_kept_byte_for_byte(alice):
    data = photo_bytes(gps=PARIS, orientation=6)
    image = upload(alice, data)
    with default_storage.open(image.file.name, "rb") as stored:
        assert stored.read() == data


def test_no_rendition_carries_exif_or_gps(alice):
    image = upload(alice, photo_bytes(gps=PARIS, orientation=6))
    for rendition in image.renditions:
        with default_storage.open(rendition.name, "rb") as stored:
            data = stored.read()
        assert b"Exif" not in data
        assert not dict(PILImage.open(io.BytesIO(data)).getexif())


def test_a_photo_without_exif_has_no_camera_fields(alice, make_upload):
    image = image_upload(owner=alice, file=make_upload("plain.png", fmt="PNG"))
    assert image.taken_at is None
    assert image.camera_model == ""
    assert image.latitude is None


@pytest.mark.parametrize(
    "taken",
    ["0000:00:00 00:00:00", "2024:13:45 10:00:00", "yesterday", "    ", "\x00" * 20],
)
def test_an_unusable_date_is_ignored(alice, taken):
    image = upload(alice, photo_bytes(taken=taken, offset="+99:99"))
    assert image.taken_at is None
    assert image.taken_at_offset is None
    assert image.camera_model == "iPhone 15 Pro"


def test_nonsense_values_are_dropped_not_refused(alice):
    exif = exif_block(gps=(95.0, 200.0), model="x" * 5000)
    details = exif.get_ifd(camera.EXIF_IFD)
    details[camera.F_NUMBER] = IFDRational(1, 0)  # a zero denominator
    details[camera.ISO] = -4
    image = upload(alice, photo_bytes(exif=exif))
    assert image.latitude is None and image.longitude is None
    assert image.f_number is None
    assert image.iso is None
    assert len(image.camera_model) == camera.TEXT_LIMIT


def _at(year: int) -> dt.datetime:
    return dt.datetime(year, 6, 1, 12, tzinfo=dt.UTC)


def test_the_gallery_is_ordered_by_date_taken_then_upload_date(alice, alice_client):
    old = upload(alice, photo_bytes(taken="2001:01:01 00:00:00", model="a"), "old.jpg")
    new = upload(alice, photo_bytes(taken="2025:01:01 00:00:00", model="b"), "new.jpg")
    plain = upload(alice, photo_bytes(taken=None, model="c"), "plain.jpg")
    # Uploaded long ago, no date taken: placed by its upload date.
    Image.objects.filter(pk=plain.pk).update(created_at=_at(2010))
    names = [
        image.original_filename
        for image in alice_client.get("/images/").context["page"].object_list
    ]
    assert names == ["new.jpg", "plain.jpg", "old.jpg"]
    assert list(selectors.image_list(owner=alice)) == [new, plain, old]


def test_the_upload_date_order_is_still_available(alice, alice_client):
    first = upload(alice, photo_bytes(taken="2025:01:01 00:00:00", model="a"))
    second = upload(alice, photo_bytes(taken="2001:01:01 00:00:00", model="b"))
    page = alice_client.get("/images/?sort=newest").context["page"]
    assert list(page.object_list) == [second, first]
    assert "Date taken" in alice_client.get("/images/").content.decode()


def test_the_date_order_is_served_by_the_owner_index(alice):
    upload(alice, photo_bytes())
    # A test table is tiny: with sequential scans off, PostgreSQL shows
    # whether the index can serve the order at all.
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            plan = selectors.image_list(owner=alice).values("pk").explain()
        finally:
            cursor.execute("SET enable_seqscan = on")
    assert "image_owner_taken" in plan


def test_the_image_page_shows_the_camera_details(alice, alice_client):
    image = upload(alice, photo_bytes(taken="2024:05:01 10:20:30", offset="+02:00"))
    page = alice_client.get(f"/images/{image.id}/").content.decode()
    assert "1 May 2024, 10:20 (UTC+02:00)" in page
    assert "Apple iPhone 15 Pro" in page
    assert "f/1.8 · 1/250 s · ISO 80 · 6.9 mm" in page
    assert "Location" not in page  # no GPS in this one


def test_the_owner_sees_the_location_with_a_map_link(alice, alice_client):
    image = upload(alice, photo_bytes(gps=RIO))
    page = alice_client.get(f"/images/{image.id}/").content.decode()
    assert "22.95190° S, 43.21050° W" in page
    assert (
        "https://www.openstreetmap.org/?mlat=-22.951900&amp;mlon=-43.210500"
        "#map=16/-22.951900/-43.210500"
    ) in page


def test_nobody_else_sees_the_location(alice, bob, operator, client):
    image = upload(alice, photo_bytes(gps=RIO))
    details = selectors.image_camera_details(image=image, viewer=bob)
    assert details.location is None
    assert details.rows  # the camera itself is not private
    client.force_login(operator)
    admin_page = client.get(f"/admin/gallery/image/{image.id}/change/")
    assert admin_page.status_code == 200
    assert "22.9519" not in admin_page.content.decode()
    assert "iPhone 15 Pro" in admin_page.content.decode()
