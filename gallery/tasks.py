"""Celery tasks, used when CELERY_BROKER_URL is set."""

from __future__ import annotations

from celery import shared_task

from .analysis import AnalysisError
from .models import Image
from .services import image_analyze


@shared_task(
    autoretry_for=(AnalysisError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
)
def analyze_image(image_id: str) -> str:
    image = Image.objects.filter(pk=image_id).first()
    if image is None:
        return "deleted"  # deleted before its turn came
    image_analyze(image=image, raise_retryable=True)
    return image.analysis_status
