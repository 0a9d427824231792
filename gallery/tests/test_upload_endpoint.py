"""The upload page's JSON endpoint: one file per request, the form's service."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import Client
from PIL import Image as PILImage

from gallery import services
from gallery.models import Image

pytestmark = pytest.mark.django_db
URL = "/images/upload/file/"


def send(client, file):
    return client.post(URL, {"image": file}, headers={"accept": "application/json"})


def test_a_stored_file_answers_its_id_link_and_thumbnail(
    alice_client, alice, make_upload
):
    response = send(alice_client, make_upload("beach.jpg"))
    assert response.status_code == 201
    answer = response.json()
    image = Image.objects.get(owner=alice)
    assert answer["status"] == "stored"
    assert answer["name"] == "beach.jpg"
    assert answer["image_id"] == str(image.id)
    assert answer["url"] == f"/images/{image.id}/"
    assert alice_client.get(answer["thumbnail_url"]).status_code == 200
    assert answer["uploads_left"] == 4


def test_a_refused_file_says_why_in_our_words(alice_client, alice):
    response = send(alice_client, SimpleUploadedFile("notes.jpg", b"plain text"))
    assert response.status_code == 422
    answer = response.json()
    assert answer["status"] == "refused"
    assert "not an image we can store" in answer["message"]
    assert answer["image_id"] is None
    assert answer["retryable"] is False
    assert not Image.objects.exists()


def test_a_duplicate_links_to_the_image_you_have(alice_client, alice, make_image_bytes):
    data = make_image_bytes(color=(1, 2, 3))
    first = send(alice_client, SimpleUploadedFile("a.jpg", data)).json()
    response = send(alice_client, SimpleUploadedFile("copy.jpg", data))
    assert response.status_code == 409
    answer = response.json()
    assert answer["status"] == "duplicate"
    assert answer["url"] == first["url"]
    assert answer["message"] == "You already have this image."


def test_the_cap_is_judged_per_file(alice_client, alice, make_upload, settings):
    settings.GALLERY_UPLOAD_LIMIT = 1
    assert send(alice_client, make_upload()).status_code == 201
    response = send(alice_client, make_upload())
    assert response.status_code == 422
    assert "limit of 1 images" in response.json()["message"]
    assert response.json()["uploads_left"] == 0


def test_an_unreachable_store_is_worth_a_retry(
    alice_client, alice, make_upload, monkeypatch
):
    def fail(**kwargs):
        raise services.StorageUnavailable()

    monkeypatch.setattr(services, "image_upload", fail)
    response = send(alice_client, make_upload())
    assert response.status_code == 503
    assert response.json()["retryable"] is True
    assert "nothing was saved" in response.json()["message"]


def test_no_file_is_a_clear_400(alice_client):
    response = alice_client.post(URL, {})
    assert response.status_code == 400
    assert response.json()["message"] == "Choose a file to upload."


def test_it_needs_a_signed_in_post(alice_client, make_upload):
    assert send(Client(), make_upload()).status_code == 302
    assert alice_client.get(URL).status_code == 405


def test_large_uploads_are_streamed_to_disk(alice_client, alice, monkeypatch):
    seen = []
    real_upload = services.image_upload

    def spy(*, owner, file):
        seen.append(type(file))
        return real_upload(owner=owner, file=file)

    monkeypatch.setattr(services, "image_upload", spy)
    noise = PILImage.frombytes("RGB", (1024, 1024), os.urandom(3 * 1024 * 1024))
    out = io.BytesIO()
    noise.save(out, "PNG", compress_level=0)
    assert (
        send(alice_client, SimpleUploadedFile("big.png", out.getvalue())).status_code
        == 201
    )
    assert seen == [TemporaryUploadedFile]


def test_the_page_offers_the_queue_and_the_plain_form(alice_client):
    page = alice_client.get("/images/upload/").content.decode()
    assert "Drop photos here" in page
    assert 'data-upload-url="/images/upload/file/"' in page
    assert 'data-uploads-left="5"' in page
    assert 'name="images"' in page and 'enctype="multipart/form-data"' in page
    assert 'capture="environment"' in page
    assert ".heic" in page
