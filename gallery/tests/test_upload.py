"""Uploading: what is stored, what is refused, and that nothing is half-written."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from gallery.models import Image

pytestmark = pytest.mark.django_db


def post(client, *files):
    return client.post("/images/upload/", {"images": list(files)})


def stored_names(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_form_says_how_many_uploads_are_left(alice_client):
    page = alice_client.get("/images/upload/").content.decode()
    assert "You can upload 5 more images." in page


def test_it_stores_one_image_with_its_metadata(alice_client, alice, make_upload):
    response = post(alice_client, make_upload("beach.jpg", size=(640, 480)))
    assert response.status_code == 200
    assert "Stored:" in response.content.decode()
    image = Image.objects.get(owner=alice)
    assert (image.width, image.height) == (640, 480)
    assert image.content_type == "image/jpeg"
    assert image.original_filename == "beach.jpg"
    assert image.file.name == f"images/{alice.id}/{image.id}.jpg"
    assert default_storage.exists(image.file.name)
    assert default_storage.exists(image.thumbnail.name)
    assert default_storage.exists(image.preview.name)
    assert image.size_bytes == default_storage.size(image.file.name)
    assert len(image.sha256) == 64


def test_it_stores_several_files_from_one_post(alice_client, alice, make_upload):
    response = post(alice_client, make_upload("a.jpg"), make_upload("b.png", fmt="PNG"))
    assert response.content.decode().count("Stored:") == 2
    assert Image.objects.filter(owner=alice).count() == 2


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"])
def test_it_accepts_each_supported_format(alice_client, alice, make_upload, fmt):
    post(alice_client, make_upload(f"x.{fmt.lower()}", fmt=fmt))
    assert Image.objects.filter(owner=alice).count() == 1


def test_a_png_named_jpg_is_stored_as_png(alice_client, alice, make_upload):
    post(alice_client, make_upload("really-a-png.jpg", fmt="PNG"))
    image = Image.objects.get(owner=alice)
    assert image.content_type == "image/png"
    assert image.file.name.endswith(".png")


def zip_bytes():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    return out.getvalue()


def truncated_jpeg(make_image_bytes):
    data = make_image_bytes(size=(800, 600), color=(10, 120, 200))
    return data[: len(data) // 2]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("name", "make_data", "message"),
    [
        ("empty.jpg", lambda _: b"", "The file is empty."),
        ("archive.jpg", lambda _: zip_bytes(), "This is not an image we can store."),
        ("drawing.svg", lambda _: SVG, "This is not an image we can store."),
        ("page.jpg", lambda _: b"<html><body>hi</body></html>", "not an image"),
        ("doc.pdf", lambda _: b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "not an image"),
        ("half.jpg", truncated_jpeg, "The file is incomplete"),
        (
            "icon.ico",
            lambda make: make("ICO", size=(32, 32)),
            "ICO images are not supported.",
        ),
    ],
)
def test_it_refuses_what_is_not_an_acceptable_image(
    alice_client, make_upload, make_image_bytes, tmp_path, name, make_data, message
):
    response = post(alice_client, make_upload(name, data=make_data(make_image_bytes)))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not stored:" in page
    assert message in page
    assert Image.objects.count() == 0
    assert (
        stored_names(tmp_path / "media") == []
        if (tmp_path / "media").exists()
        else True
    )


def test_it_refuses_a_file_over_the_size_limit(alice_client, make_upload, settings):
    settings.GALLERY_MAX_UPLOAD_MB = 1
    noisy = PILImage.effect_noise((1200, 1200), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 1024 * 1024
    response = post(alice_client, make_upload("big.png", data=out.getvalue()))
    assert response.status_code == 400
    assert "the limit is 1.0\xa0MB" in response.content.decode()
    assert Image.objects.count() == 0


def test_it_refuses_a_pixel_bomb_without_decoding_it(
    alice_client, make_upload, settings
):
    settings.GALLERY_MAX_PIXELS = 1_000_000
    # A 1-bit 10000×10000 PNG compresses to a few kilobytes.
    bomb = PILImage.new("1", (10000, 10000))
    out = io.BytesIO()
    bomb.save(out, "PNG")
    assert len(out.getvalue()) < 200_000
    response = post(alice_client, make_upload("bomb.png", data=out.getvalue()))
    assert response.status_code == 400
    assert "The image is 10000×10000 pixels" in response.content.decode()
    assert Image.objects.count() == 0


def test_it_refuses_a_bomb_beyond_pillows_own_limit(alice_client, make_upload):
    bomb = PILImage.new("1", (30000, 30000))
    out = io.BytesIO()
    bomb.save(out, "PNG")
    response = post(alice_client, make_upload("huge.png", data=out.getvalue()))
    assert response.status_code == 400
    assert "pixels" in response.content.decode()
    assert Image.objects.count() == 0


def test_good_and_bad_files_in_one_post_are_judged_one_by_one(
    alice_client, alice, make_upload
):
    response = post(
        alice_client, make_upload("good.jpg"), make_upload("bad.jpg", data=b"nope")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stored:" in page
    assert "Not stored:" in page
    assert list(Image.objects.values_list("original_filename", flat=True)) == [
        "good.jpg"
    ]


def test_a_post_without_files_explains_what_to_do(alice_client):
    response = alice_client.post("/images/upload/", {})
    assert response.status_code == 400
    assert "Choose at least one image to upload." in response.content.decode()


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../x.jpg", "x.jpg"),
        ("C:\\Users\\me\\holiday.jpg", "holiday.jpg"),
        ("été à la plage 🏖.jpg", "été à la plage 🏖.jpg"),
        ("<img src=x onerror=alert(1)>.jpg", "<img src=x onerror=alert(1)>.jpg"),
        ("line\nbreak.jpg", "linebreak.jpg"),
    ],
)
def test_hostile_filenames_are_kept_safely(
    alice_client, alice, make_upload, given, kept
):
    post(alice_client, make_upload(given))
    image = Image.objects.get(owner=alice)
    assert image.original_filename == kept
    assert image.file.name == f"images/{alice.id}/{image.id}.jpg"
    for url in ("/images/", f"/images/{image.id}/"):
        page = alice_client.get(url).content.decode()
        assert "<img src=x onerror" not in page


def test_a_300_character_filename_is_shortened_keeping_its_extension(
    alice_client, alice, make_upload
):
    post(alice_client, make_upload("a" * 300 + ".jpeg"))
    name = Image.objects.get(owner=alice).original_filename
    assert len(name) <= 255
    assert name.endswith(".jpeg")


def test_an_upload_without_csrf_token_is_refused(alice, make_upload):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post("/images/upload/", {"images": [make_upload()]})
    assert response.status_code == 403
    assert Image.objects.count() == 0


def test_uploading_the_same_bytes_again_links_to_the_existing_image(
    alice_client, alice, make_image_bytes, make_upload
):
    data = make_image_bytes(color=(1, 2, 3))
    post(alice_client, make_upload("first.jpg", data=data))
    response = post(alice_client, make_upload("again.jpg", data=data))
    existing = Image.objects.get(owner=alice)
    page = response.content.decode()
    assert "You already have this image." in page
    assert f"/images/{existing.id}/" in page
    assert Image.objects.count() == 1


def test_visitors_cannot_upload(client, make_upload):
    response = client.post("/images/upload/", {"images": [make_upload()]})
    assert response.status_code == 302
    assert Image.objects.count() == 0


def encoded(image, fmt, **params):
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def animated_gif():
    frames = [PILImage.new("P", (40, 30), color) for color in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        (
            "cmyk.jpg",
            lambda: encoded(PILImage.new("CMYK", (50, 40), (0, 90, 90, 0)), "JPEG"),
        ),
        ("grey16.png", lambda: encoded(PILImage.new("I;16", (50, 40), 40000), "PNG")),
        ("alpha.png", lambda: encoded(PILImage.new("LA", (50, 40), (90, 128)), "PNG")),
        (
            "alpha.webp",
            lambda: encoded(PILImage.new("RGBA", (50, 40), (9, 90, 200, 60)), "WEBP"),
        ),
        ("bits.tiff", lambda: encoded(PILImage.new("1", (50, 40), 1), "TIFF")),
        ("float.tiff", lambda: encoded(PILImage.new("F", (50, 40), 0.5), "TIFF")),
        ("animated.gif", animated_gif),
        ("tiny.png", lambda: encoded(PILImage.new("RGB", (1, 1), (1, 2, 3)), "PNG")),
        ("tall.png", lambda: encoded(PILImage.new("RGB", (3, 3000), (1, 2, 3)), "PNG")),
    ],
)
def test_unusual_images_are_stored_with_renditions(
    alice_client, alice, make_upload, settings, name, make
):
    settings.GALLERY_ANALYZER = "local"
    response = post(alice_client, make_upload(name, data=make()))
    assert response.status_code == 200, response.content.decode()[-500:]
    image = Image.objects.get(owner=alice)
    for rendition in image.renditions:
        with default_storage.open(rendition.name) as stored:
            assert PILImage.open(stored).format == "WEBP"
    assert image.analysis_status in ("done", "skipped")
    assert alice_client.get(f"/images/{image.id}/").status_code == 200
