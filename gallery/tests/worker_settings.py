"""Settings of a background worker that a test starts as a process of its own.

The test's database and media directory come from the environment, so the
worker sees what the test wrote; analysis takes TEST_ANALYSIS_SECONDS.
"""

from __future__ import annotations

import os

from image_repo_project.settings import *  # noqa: F403
from image_repo_project.settings import DATABASES, STORAGES

DATABASES["default"]["NAME"] = os.environ["TEST_WORKER_DATABASE"]
STORAGES["default"] = {
    "BACKEND": "gallery.storage.PrivateFileSystemStorage",
    "OPTIONS": {"location": os.environ["TEST_WORKER_MEDIA"]},
}
GALLERY_ANALYZER = "gallery.tests.analyzers.SlowAnalyzer"
GALLERY_PROCESSING = "worker"
CELERY_BROKER_URL = ""
GALLERY_WORKER_PRIORITY = "normal"
