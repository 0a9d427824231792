"""What the upload request does before it answers: no more than it must."""

from __future__ import annotations

import pytest
from PIL import ImageFile

from gallery import services
from gallery.models import Image
from gallery.storage import PrivateFileSystemStorage

pytestmark = pytest.mark.django_db


@pytest.fixture
def decodes(monkeypatch):
    """The size of every pixel decode Pillow does, in order."""
    sizes: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def counting_load(image):
        if image.tile:  # pixels not decoded yet: this call decodes them
            sizes.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    return sizes


@pytest.fixture
def writes(monkeypatch):
    """The name of every object written to the local storage."""
    names: list[str] = []
    real_save = PrivateFileSystemStorage._save

    def counting_save(storage, name, content):
        saved = real_save(storage, name, content)
        names.append(saved)
        return saved

    monkeypatch.setattr(PrivateFileSystemStorage, "_save", counting_save)
    return names


@pytest.fixture
def in_background(settings):
    settings.GALLERY_PROCESSING = "worker"
    settings.GALLERY_ANALYZER = "gallery.tests.analyzers.FixedAnalyzer"


def test_the_request_decodes_a_jpeg_once_at_an_eighth_of_its_size(
    in_background, alice, alice_client, make_upload, decodes, writes
):
    photo = make_upload("big.jpg", size=(2048, 1536))
    response = alice_client.post("/images/upload/", {"images": [photo]})
    assert response.status_code == 200
    image = Image.objects.get(owner=alice)
    # Validation reads every byte at 1/8 scale; nothing else touches pixels.
    assert decodes == [(256, 192)]
    assert writes == [image.file.name]


def test_the_request_decodes_a_png_once(
    in_background, alice, alice_client, make_upload, decodes, writes
):
    photo = make_upload("drawing.png", fmt="PNG", size=(300, 200))
    alice_client.post("/images/upload/", {"images": [photo]})
    image = Image.objects.get(owner=alice)
    assert decodes == [(300, 200)]
    assert writes == [image.file.name]


def test_the_worker_decodes_once_for_renditions_and_analysis(
    in_background, settings, alice, make_upload, decodes, writes
):
    settings.GALLERY_ANALYZER = "local"
    image = services.image_upload(owner=alice, file=make_upload(size=(2048, 1536)))
    decodes.clear()
    writes.clear()
    assert services.image_process_next()
    image.refresh_from_db()
    assert image.analysis_status == "done"
    assert len(decodes) == 1
    assert sorted(writes) == sorted(field.name for field in image.renditions)


def test_an_upload_asks_the_database_only_what_it_must(
    in_background, settings, alice, make_upload
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.GALLERY_UPLOAD_LIMIT = 50
    with CaptureQueriesContext(connection) as queries:
        services.image_upload(owner=alice, file=make_upload())
    statements = [query["sql"] for query in queries.captured_queries]
    # The cap: before any decode, and again under the owner's lock.
    assert sum('FROM "accounts_profile"' in sql for sql in statements) == 2
    # The same bytes already stored: before the write, and again under the lock.
    assert sum("sha256" in sql and sql.startswith("SELECT") for sql in statements) == 2
    # Nothing asks whether the owner or the new id exist.
    assert not [sql for sql in statements if sql.startswith("SELECT 1 AS")]
    assert len(statements) <= 14, statements
