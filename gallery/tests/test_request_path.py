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
    # The row is inserted with its search fields, not updated after.
    assert not [sql for sql in statements if sql.startswith('UPDATE "gallery_image"')]
    assert len(statements) <= 13, statements


def test_a_new_image_is_found_by_its_file_name_before_any_analysis(
    in_background, alice, alice_client, make_upload
):
    photo = make_upload("harbour-at-dusk.jpg")
    assert alice_client.post("/images/upload/", {"images": [photo]}).status_code == 200
    image = Image.objects.get(owner=alice)
    assert image.processing and image.analysis_status == "pending"
    page = alice_client.get("/images/?q=harbour")
    assert [found.pk for found in page.context["page"].object_list] == [image.pk]


# Run in a fresh interpreter: the web worker's own imports, then one upload
# through the middleware and the view, as gunicorn would serve it.
WEB_WORKER_UPLOAD = """
import io, json, os, sys
from django.conf import settings
settings.DATABASES["default"].update(json.loads(os.environ["TEST_DATABASE"]))
settings.ALLOWED_HOSTS = ["localhost"]
settings.SECURE_SSL_REDIRECT = False
# As the tests' settings: no collectstatic manifest is needed for the page.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
from image_repo_project.wsgi import application  # noqa: F401  (django.setup)
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver
from PIL import Image

get_resolver().url_patterns  # every view module the URL conf names
user = get_user_model().objects.create_user("wendy", password="x")
client = Client(SERVER_NAME="localhost")
client.force_login(user)
photo = io.BytesIO()
Image.new("RGB", (640, 480), (20, 120, 60)).save(photo, "JPEG")
file = SimpleUploadedFile("photo.jpg", photo.getvalue(), "image/jpeg")
page = client.post("/images/upload/", {"images": [file]}).content.decode()
assert "Stored:" in page, page
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.django_db(transaction=True)
def test_a_web_worker_uploading_never_imports_the_analysis_libraries(tmp_path):
    """numpy, onnxruntime and OpenCV are the background worker's (about 16 MB
    of a web worker's memory for numpy alone): an upload does without them."""
    import json
    import os
    import subprocess
    import sys

    from django.db import connection

    database = {
        key: connection.settings_dict[key]
        for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")
    }
    result = subprocess.run(
        [sys.executable, "-c", WEB_WORKER_UPLOAD],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "image_repo_project.settings",
            "TEST_DATABASE": json.dumps(database),
            "IMG_REPO_DATA_DIR": str(tmp_path),
            "GALLERY_PROCESSING": "worker",
            "CELERY_BROKER_URL": "",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    assert "PIL" in imported  # the upload did decode its file
    assert not {"numpy", "onnxruntime", "cv2", "onnx"} & set(imported)
