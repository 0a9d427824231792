"""Fixtures shared by every app's tests."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from image_repo_project.embedded_pg import ensure_embedded_postgres

pytest_plugins = [
    "gallery.tests.s3_server",
    "gallery.tests.fake_azure",
    "gallery.tests.browser",
    "gallery.tests.offline",
]


def pytest_configure(config):
    from django.conf import settings

    # The test servers speak plain HTTP on 127.0.0.1. Set before any server or
    # middleware reads them (the live server lives for the whole session).
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Without DATABASE_URL the suite runs on the embedded PostgreSQL, stopped
    # again when the test run ends (unless a dev server still uses it).
    ensure_embedded_postgres(stop_at_exit=True)


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory):
    """Where the offline model's ONNX graph is cached during the tests."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, model_cache_dir):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "gallery.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_BROKER_URL = ""
    # Renditions and analysis inside the request, so that a test sees them at
    # once; the background worker has its own tests (test_processing).
    settings.GALLERY_PROCESSING = "request"
    # A worker started inside the test process (Celery's) must not lower the
    # priority of the test run itself; the priorities have their own tests.
    settings.GALLERY_WORKER_PRIORITY = "normal"
    # Analysis has its own tests; elsewhere it is off unless a test turns it on.
    settings.GALLERY_ANALYZER = "none"
    settings.GALLERY_MODEL_DIR = model_cache_dir
    settings.GALLERY_UPLOAD_LIMIT = 5


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color=(200, 40, 40), **save
) -> bytes:
    """An image made in memory with Pillow."""
    mode = "RGBA" if fmt == "PNG" and len(color) == 4 else "RGB"
    image = PILImage.new(mode, size, color)
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


_shades = itertools.count()


def upload(
    name: str = "photo.jpg", data: bytes | None = None, **image
) -> SimpleUploadedFile:
    """An uploaded file as Django's request parser would hand it to a view.

    Each call without explicit data or colour makes a different image, so that
    uploads in a test are not duplicates of each other.
    """
    if data is None:
        if "color" not in image:
            shade = next(_shades)
            image["color"] = (shade * 37 % 256, shade * 91 % 256, shade * 13 % 256)
        data = image_bytes(**image)
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.fixture
def make_upload():
    return upload


@pytest.fixture
def make_image_bytes():
    return image_bytes


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="correct horse 1")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="battery staple 2")


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user(
        "olivia", password="operator pass 9", is_staff=True, is_superuser=True
    )


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    from django.test import Client

    other = Client()
    other.force_login(bob)
    return other
