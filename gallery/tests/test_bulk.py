"""Bulk actions on a selection: ticked photos or all results of a search."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.storage import default_storage

from gallery import selectors, services
from gallery.archive import member_names
from gallery.models import Image

pytestmark = pytest.mark.django_db


@pytest.fixture
def unlimited(settings):
    settings.GALLERY_UPLOAD_LIMIT = 0


def upload(owner, make_upload, name, **image):
    return services.image_upload(owner=owner, file=make_upload(name, **image))


def test_all_results_of_a_search_go_to_the_trash_and_nothing_else(
    alice_client, alice, bob, make_upload, unlimited
):
    for n in range(3):
        upload(alice, make_upload, f"beach-{n}.jpg")
    kept = upload(alice, make_upload, "city.jpg")
    theirs = upload(bob, make_upload, "beach-bob.jpg")
    response = alice_client.post("/images/delete/", {"all_results": "1", "q": "beach"})
    assert response.status_code == 302
    live = set(
        Image.objects.filter(trashed_at__isnull=True).values_list("pk", flat=True)
    )
    assert live == {kept.pk, theirs.pk}
    page = alice_client.get("/images/").content.decode()
    assert "Moved 3 images to the trash." in page


def test_the_zip_holds_the_originals_under_their_names(
    alice_client, alice, bob, make_upload, make_image_bytes, unlimited
):
    first = upload(alice, make_upload, "cat.jpg", size=(80, 60))
    second = upload(alice, make_upload, "cat.jpg", size=(90, 60))
    theirs = upload(bob, make_upload, "bobs.jpg")
    response = alice_client.post(
        "/images/download/", {"ids": [first.id, second.id, theirs.id]}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="photos.zip"'
    assert response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["cat (2).jpg", "cat.jpg"]
    with default_storage.open(second.file.name) as stored:
        assert archive.read("cat.jpg") == stored.read()  # newest first
    assert archive.testzip() is None


def test_the_zip_is_written_a_chunk_at_a_time(alice, make_upload, monkeypatch):
    from gallery import archive

    monkeypatch.setattr(archive, "CHUNK", 1000)
    image = upload(alice, make_upload, "big.png", fmt="PNG", size=(400, 300))
    chunks = list(selectors.image_archive(images=Image.objects.filter(pk=image.pk)))
    assert max(len(chunk) for chunk in chunks) <= 1000 + 200
    assert len(chunks) > image.size_bytes // 1000


def test_a_zip_of_too_many_photos_is_refused(
    alice_client, alice, make_upload, monkeypatch, unlimited
):
    monkeypatch.setattr(selectors, "MAX_ARCHIVE_IMAGES", 2)
    ids = [upload(alice, make_upload, f"{n}.jpg").id for n in range(3)]
    response = alice_client.post("/images/download/", {"ids": ids})
    assert response.status_code == 302
    page = alice_client.get("/images/").content.decode()
    assert "A download holds up to 2 photos; 3 are selected." in page


def test_names_in_the_zip_never_collide():
    images = [
        Image(original_filename=name) for name in ["a.jpg", "A.jpg", "a.jpg", "b"]
    ]
    assert member_names(images) == ["a.jpg", "A (2).jpg", "a (3).jpg", "b"]


def test_bulk_reanalysis_analyses_the_selected_photos(
    alice_client, alice, make_upload, settings
):
    from gallery.tests.analyzers import FIXED

    images = [upload(alice, make_upload, f"{n}.jpg") for n in range(2)]
    settings.GALLERY_ANALYZER = FIXED
    response = alice_client.post("/images/reanalyze/", {"ids": [images[0].id]})
    assert response.status_code == 302
    assert Image.objects.get(pk=images[0].pk).analysis_status == "done"
    assert Image.objects.get(pk=images[1].pk).analysis_status != "done"
    assert "Analysing 1 image again." in alice_client.get("/images/").content.decode()


def test_bulk_reanalysis_in_the_request_is_kept_to_a_page(
    alice_client, alice, make_upload, monkeypatch, unlimited
):
    from gallery.services import reanalysis

    monkeypatch.setattr(reanalysis, "MAX_REANALYSES_IN_REQUEST", 2)
    for n in range(3):
        upload(alice, make_upload, f"{n}.jpg")
    alice_client.post("/images/reanalyze/", {"all_results": "1"})
    page = alice_client.get("/images/").content.decode()
    assert "Re-analysing 3 photos at once is more than 2" in page


@pytest.mark.parametrize(
    "url", ["/images/delete/", "/images/reanalyze/", "/images/download/"]
)
def test_a_bulk_action_without_a_selection_says_so(alice_client, url):
    response = alice_client.post(url, {})
    assert response.status_code == 302
    assert "Select at least one image." in alice_client.get("/images/").content.decode()
