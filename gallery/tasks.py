"""Celery tasks, used when CELERY_BROKER_URL is set."""

from __future__ import annotations

from celery import shared_task

from .analysis import AnalysisError
from .models import Image
from .services import image_analyze, trash_purge
from .services.analysis import ANALYSIS_TASK

MAX_RETRIES = 5


def retry_delay(error: AnalysisError, retries: int) -> float:
    """The service's Retry-After when it gave one, else exponential backoff."""
    return error.retry_after or min(300, 5 * 2**retries)


@shared_task(name=ANALYSIS_TASK, bind=True, acks_late=True, max_retries=MAX_RETRIES)
def analyze_image(self, image_id: str) -> str:
    image = Image.objects.filter(pk=image_id).first()
    if image is None:
        return "deleted"  # deleted before its turn came
    try:
        image_analyze(image=image, raise_retryable=True)
    except AnalysisError as error:
        # The image is kept with status failed meanwhile; the retry may fix it.
        raise self.retry(
            exc=error, countdown=retry_delay(error, self.request.retries)
        ) from error
    return image.analysis_status


@shared_task(name="gallery.purge_trash")
def purge_trash() -> int:
    """What `manage.py purge_trash` does, for a Celery beat schedule."""
    return trash_purge()
