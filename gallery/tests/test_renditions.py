"""WebP renditions at each size, shown by srcset with signed URLs, deleted with
their image; images stored with the older JPEG renditions keep showing and
can be given new ones (local storage and S3)."""

from __future__ import annotations

import html
import io
import re
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import Image as PILImage

from bench import synthetic
from gallery import services, storage
from gallery.imaging import RENDITION_SIZES, rendition_size
from gallery.models import Image

pytestmark = pytest.mark.django_db

# A 3:2 landscape photo larger than the preview.
WIDTH, HEIGHT = 2400, 1600
SIZES = {
    "preview": (1600, 1067),
    "thumbnail": (480, 320),
    "thumbnail_small": (240, 160),
}


def photo(seed: int = 1, size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    return synthetic.jpeg_bytes(synthetic.photo_like(seed, *size))


def upload(owner, seed: int = 1, name: str = "photo.jpg", **kwargs) -> Image:
    image = services.image_upload(
        owner=owner, file=SimpleUploadedFile(name, photo(seed, **kwargs))
    )
    image.refresh_from_db()
    return image


def opened(name: str) -> PILImage.Image:
    with default_storage.open(name, "rb") as stored:
        shown = PILImage.open(io.BytesIO(stored.read()))
        shown.load()
    return shown


def cards(response) -> list[dict[str, str]]:
    """The attributes of each card's link and image, in page order."""
    found = []
    page = response.content.decode()
    for link, img in re.findall(
        r"<a ([^>]*data-viewer-link[^>]*)>\s*<img ([^>]*)>", page
    ):
        attributes = re.findall(r'([\w-]+)="([^"]*)"', link + " " + img)
        card = {key: html.unescape(value) for key, value in attributes}
        card["lazy"] = "lazy" if 'loading="lazy"' in img else "eager"
        found.append(card)
    return found


def srcset(card) -> list[tuple[str, int]]:
    return [
        (url, int(width[:-1]))
        for url, width in (entry.split() for entry in card["srcset"].split(", "))
    ]


def test_each_rendition_is_webp_at_its_size(alice):
    image = upload(alice)
    assert image.has_current_renditions
    for name, size in SIZES.items():
        field = getattr(image, name)
        assert field.name.endswith(".webp")
        shown = opened(field.name)
        assert (shown.format, shown.mode, shown.size) == ("WEBP", "RGB", size)
        assert size == rendition_size(WIDTH, HEIGHT, RENDITION_SIZES[name])


def test_a_small_original_is_never_enlarged(alice):
    image = upload(alice, size=(300, 200))
    for name in SIZES:
        assert opened(getattr(image, name).name).size == (
            (240, 160) if name == "thumbnail_small" else (300, 200)
        )


def test_the_cards_offer_every_rendition_by_width_with_signed_urls(
    alice, alice_client, settings
):
    settings.GALLERY_UPLOAD_LIMIT = 0
    images = [upload(alice, seed) for seed in range(10)]
    response = alice_client.get("/images/")
    shown = cards(response)
    assert len(shown) == 10
    newest = images[-1]
    card = shown[0]
    assert card["alt"] == newest.alt_text
    assert (card["width"], card["height"]) == (str(WIDTH), str(HEIGHT))
    assert card["sizes"].endswith("192px")
    candidates = srcset(card)
    assert [width for _, width in candidates] == [240, 480, 1600]
    names = [storage.read_media_token(url.split("/")[2]).name for url, _ in candidates]
    assert names == [
        newest.thumbnail_small.name,
        newest.thumbnail.name,
        newest.preview.name,
    ]
    for url, _ in candidates:
        answer = Client().get(url)
        assert answer.status_code == 200
        assert answer["Content-Type"] == "image/webp"
    # The viewer gets the preview with its own size.
    assert card["data-preview"] == candidates[-1][0]
    assert (card["data-width"], card["data-height"]) == ("1600", "1067")
    # The first row loads at once, the rest as it scrolls into view.
    assert [card["lazy"] for card in shown] == ["eager"] * 8 + ["lazy"] * 2


def test_images_with_the_older_jpeg_renditions_still_show(alice, alice_client):
    image = upload(alice)
    make_jpeg_renditions(image)
    card = cards(alice_client.get("/images/"))[0]
    candidates = srcset(card)
    assert [width for _, width in candidates] == [480, 1600]
    for url, _ in candidates:
        answer = Client().get(url)
        assert answer.status_code == 200
        assert answer["Content-Type"] == "image/jpeg"
    assert storage.read_media_token(card["src"].split("/")[2]).name == (
        f"thumbnails/{alice.id}/{image.id}.jpg"
    )
    assert alice_client.get(f"/images/{image.id}/").status_code == 200


def test_reanalyze_renditions_replaces_older_jpeg_renditions(
    alice, bob, django_capture_on_commit_callbacks
):
    image = upload(alice)
    current = upload(bob, seed=2)
    old = make_jpeg_renditions(image)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reanalyze", "--renditions", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == "Made the renditions of 1 image.\n"
    image.refresh_from_db()
    assert image.has_current_renditions
    for name, size in SIZES.items():
        assert opened(getattr(image, name).name).size == size
    for name in old:
        assert not default_storage.exists(name)
    assert Image.objects.get(pk=current.pk).thumbnail.name == current.thumbnail.name


def test_the_worker_replaces_older_jpeg_renditions_when_it_analyses_again(
    alice, django_capture_on_commit_callbacks
):
    image = upload(alice)
    old = make_jpeg_renditions(image)
    with django_capture_on_commit_callbacks(execute=True):
        services.image_analysis_schedule(image=image)
    image.refresh_from_db()
    assert image.has_current_renditions
    assert not any(default_storage.exists(name) for name in old)


def test_deleting_an_image_removes_every_rendition(
    alice, alice_client, django_capture_on_commit_callbacks
):
    image = upload(alice)
    names = [image.file.name] + [field.name for field in image.renditions]
    assert len(names) == 4 and all(default_storage.exists(name) for name in names)
    alice_client.post(f"/images/{image.id}/delete/")  # to the trash
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/images/trash/empty/")
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def make_jpeg_renditions(image: Image) -> list[str]:
    """Turn the image into one stored before WebP renditions: a JPEG preview
    and thumbnail, no small thumbnail. Returns the JPEGs' names."""
    for field in image.renditions:
        default_storage.delete(field.name)
    names = []
    for name in ("preview", "thumbnail"):
        key = f"{name}s/{image.owner_id}/{image.id}.jpg"
        picture = PILImage.new("RGB", SIZES[name], (90, 120, 200))
        out = io.BytesIO()
        picture.save(out, "JPEG")
        default_storage.save(key, ContentFile(out.getvalue()))
        names.append(key)
    Image.objects.filter(pk=image.pk).update(
        preview=names[0], thumbnail=names[1], thumbnail_small=""
    )
    image.refresh_from_db()
    return names


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_on_s3_renditions_are_webp_presigned_and_deleted(
    s3_server, settings, alice, alice_client
):
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage_settings()}
    call_command("s3_setup", stdout=io.StringIO(), stderr=io.StringIO())
    image = upload(alice)
    client = s3_server.client()
    for name, size in SIZES.items():
        key = getattr(image, name).name
        head = client.head_object(Bucket=s3_server.bucket, Key=key)
        assert head["ContentType"] == "image/webp"
        assert opened(key).size == size
    candidates = srcset(cards(alice_client.get("/images/"))[0])
    assert [width for _, width in candidates] == [240, 480, 1600]
    for url, _ in candidates:
        assert "X-Amz-Signature=" in url
        answer = urllib_get(url)
        assert answer.startswith(b"RIFF") and answer[8:12] == b"WEBP"
    names = [image.file.name] + [field.name for field in image.renditions]
    services.image_delete(image=image)
    listed = client.list_objects_v2(Bucket=s3_server.bucket).get("Contents", [])
    assert not {item["Key"] for item in listed} & set(names)


def urllib_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
    return body
