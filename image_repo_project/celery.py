"""Celery application: analysis runs on workers when CELERY_BROKER_URL is set."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image_repo_project.settings")

app = Celery("image_repo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
