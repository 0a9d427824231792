"""Celery tasks, used when CELERY_BROKER_URL is set."""

from __future__ import annotations

from celery import shared_task

from .analysis import AnalysisError
from .services import image_process_claimed, trash_purge
from .services.processing import PROCESS_TASK

MAX_RETRIES = 5
# The name analysis tasks were queued under before renditions joined them;
# tasks still waiting in a broker under it are processed the same way.
ANALYSIS_TASK = "gallery.tasks.analyze_image"


def retry_delay(error: AnalysisError, retries: int) -> float:
    """The service's Retry-After when it gave one, else exponential backoff."""
    return error.retry_after or min(300, 5 * 2**retries)


@shared_task(name=PROCESS_TASK, bind=True, acks_late=True, max_retries=MAX_RETRIES)
def process_image(self, image_id: str) -> str:
    """Renditions and analysis of one image (gallery.services.processing)."""
    try:
        done = image_process_claimed(image_id=image_id, raise_retryable=True)
    except AnalysisError as error:
        # The image is kept with status failed meanwhile; the retry may fix it.
        raise self.retry(
            exc=error, countdown=retry_delay(error, self.request.retries)
        ) from error
    return "processed" if done else "nothing to do"


@shared_task(name=ANALYSIS_TASK, bind=True, acks_late=True, max_retries=MAX_RETRIES)
def analyze_image(self, image_id: str) -> str:
    return process_image.run(image_id)


@shared_task(name="gallery.purge_trash")
def purge_trash() -> int:
    """What `manage.py purge_trash` does, for a Celery beat schedule."""
    return trash_purge()
