"""Celery application: renditions and analysis run on workers when
CELERY_BROKER_URL is set."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image_repo_project.settings")

app = Celery("image_repo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _lower_the_priority(**kwargs) -> None:
    """Like `process_images`: on shared cores, uploads are answered first."""
    from gallery.services import processing

    processing.worker_priority_lower()
