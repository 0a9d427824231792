"""Background processing: renditions and analysis after the upload's response.

The image row is the job. An upload commits its row with ``processing=True``;
a worker claims the oldest such row with a PostgreSQL advisory lock held by its
database session, stores the renditions the image lacks, runs the analysis and
clears the flag in the transaction that records the analysis. Nothing else
records the job, so nothing can disagree with the row:

* a worker killed mid-job loses its session, PostgreSQL releases the lock, and
  the next claim takes the same image again (renditions are written under the
  same keys, replacing a half-finished attempt's);
* several workers, on one machine or many, never work on one image at once:
  the lock is tried, never waited for;
* an image that keeps killing its worker is given up after MAX_ATTEMPTS claims
  and marked failed, so one poisoned file cannot stall the queue.

Idle workers sleep on LISTEN: a committed upload sends NOTIFY on CHANNEL. With
a Celery broker configured, the upload also queues PROCESS_TASK, which claims
the image the same way, so Celery workers and ``process_images`` can run side
by side. With ``GALLERY_PROCESSING=request`` the upload request does the work
itself before it answers, as the original app did.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import uuid
from collections.abc import Iterator

from celery import current_app
from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F
from PIL import Image as PILImage

from ..analysis import AnalysisError
from ..imaging import RENDITION_SIZES, decode_upright
from ..models import AnalysisStatus, Image
from ..storage import read_object
from .analysis import image_analyze
from .renditions import renditions_store

logger = logging.getLogger(__name__)

CHANNEL = "gallery_processing"
MAX_ATTEMPTS = 3
# Queued by name, so that the services never import the task module.
PROCESS_TASK = "gallery.tasks.process_image"
# How many waiting images one look at the queue considers.
CLAIM_CANDIDATES = 16


def image_processing_schedule(*, image: Image, original: File | None = None) -> None:
    """Have the renditions and the analysis of a committed image made.

    With ``GALLERY_PROCESSING=request`` they are made here and now (from
    ``original`` when given, so the stored copy is not read back); otherwise a
    background worker is woken once the surrounding transaction commits.
    Never raises: the image is stored whatever happens to its processing.
    """
    if settings.GALLERY_PROCESSING == "request":
        data = _read_all(original) if original is not None else None
        _process_logging_errors(image, data)
        return
    image_id = str(image.id)
    transaction.on_commit(lambda: _wake_a_worker(image_id))


def image_analysis_schedule(*, image: Image) -> None:
    """Analyse the image again (and make any missing rendition), in the background
    or in the request according to ``GALLERY_PROCESSING``."""
    image.analysis_status = AnalysisStatus.PENDING
    image.processing = True
    image.processing_attempts = 0
    Image.objects.filter(pk=image.pk).update(
        analysis_status=AnalysisStatus.PENDING, processing=True, processing_attempts=0
    )
    image_processing_schedule(image=image)


def _wake_a_worker(image_id: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, image_id])
    if not settings.CELERY_BROKER_URL:
        return
    try:
        current_app.send_task(PROCESS_TASK, args=[image_id])
    except Exception:
        # The broker is down: do it here rather than leave the image waiting.
        logger.exception("Could not queue the processing of %s", image_id)
        image_process_claimed(image_id=image_id)


def _process_logging_errors(image: Image, data: bytes | None) -> None:
    try:
        image_process(image=image, data=data)
    except Exception:
        logger.exception("Processing of %s stopped unexpectedly", image.id)


def image_process(
    *, image: Image, data: bytes | None = None, raise_retryable: bool = False
) -> Image:
    """Store the renditions the image lacks, then analyse it if it waits for that.

    ``processing`` is cleared in the transaction that records the analysis.
    With ``raise_retryable`` a retryable AnalysisError is raised after the
    failure is recorded, and the job stays open for the task queue's retry.
    """
    if data is None:
        data = _read_original(image)
    # One decode for everything that needs pixels: renditions and analysis.
    pixels = _decode(image, data) if data is not None else None
    if not image.has_current_renditions and pixels is not None:
        renditions_store(image=image, pixels=pixels)
    # Failed with the job still open: a retryable failure awaiting its retry.
    if image.analysis_status in (AnalysisStatus.DONE, AnalysisStatus.SKIPPED):
        Image.objects.filter(pk=image.pk).update(processing=False)
        image.processing = False
        return image
    try:
        return image_analyze(
            image=image, data=data, pixels=pixels, raise_retryable=raise_retryable
        )
    except AnalysisError:
        Image.objects.filter(pk=image.pk).update(processing=True)
        raise


def _read_original(image: Image) -> bytes | None:
    """The original's bytes; None when storage cannot give them (the analysis
    then records the failure)."""
    try:
        return read_object(image.file.name)
    except Exception:
        logger.exception("Could not read the original of %s", image.id)
        return None


def _decode(image: Image, data: bytes) -> PILImage.Image | None:
    """The upright pixels at the preview's scale; None when they cannot be
    decoded (the analysis then records why)."""
    try:
        return decode_upright(data, min_side=RENDITION_SIZES["preview"])
    except Exception:
        logger.exception("Could not decode %s", image.id)
        return None


def image_process_claimed(
    *, image_id: str | uuid.UUID, raise_retryable: bool = False
) -> bool:
    """Process one image unless another worker holds it or it has nothing left
    to do. True when this call did (or gave up) the work."""
    with _claimed(image_id) as claimed:
        if not claimed:
            return False
        image = Image.objects.filter(pk=image_id, processing=True).first()
        if image is None:
            return False  # finished by another worker, or deleted
        Image.objects.filter(pk=image.pk).update(
            processing_attempts=F("processing_attempts") + 1
        )
        image.processing_attempts += 1
        if image.processing_attempts > MAX_ATTEMPTS:
            _give_up(image)
        else:
            image_process(image=image, raise_retryable=raise_retryable)
        return True


def image_process_next() -> bool:
    """Claim the oldest waiting image and process it; False when none waits."""
    waiting = (
        Image.objects.filter(processing=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:CLAIM_CANDIDATES]
    )
    return any(image_process_claimed(image_id=pk) for pk in list(waiting))


def _give_up(image: Image) -> None:
    logger.error("Gave up processing %s after %d attempts", image.id, MAX_ATTEMPTS)
    Image.objects.filter(pk=image.pk).update(
        processing=False,
        analysis_status=AnalysisStatus.FAILED,
        analysis_error="Processing stopped unexpectedly several times.",
    )


@contextlib.contextmanager
def _claimed(image_id: str | uuid.UUID) -> Iterator[bool]:
    """A session-level advisory lock on the image: released by PostgreSQL when
    this process dies, so a killed worker never keeps an image."""
    key = int.from_bytes(uuid.UUID(str(image_id)).bytes[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (claimed,) = cursor.fetchone()
    try:
        yield claimed
    finally:
        if claimed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def processing_worker_run(
    *, stop: threading.Event, drain: bool = False, idle_seconds: float = 30.0
) -> int:
    """Process waiting images until ``stop`` is set; with ``drain``, until none
    waits. Sleeps on LISTEN between uploads. Returns how many it processed."""
    done = 0
    listening = False
    while not stop.is_set():
        if not listening:
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            listening = True
        if image_process_next():
            done += 1
            continue
        if drain:
            break
        _wait_for_notification(stop, idle_seconds)
    return done


def worker_priority_lower() -> None:
    """Give this background worker process GALLERY_WORKER_PRIORITY.

    "idle" (Linux SCHED_IDLE) runs it only on CPU time nothing else wants: an
    upload's request, database and storage work each take the core the moment
    they wake, where a nice value alone still makes them wait their turn.
    Threads started afterwards (the ONNX runtime's) inherit it.
    """
    priority = settings.GALLERY_WORKER_PRIORITY
    if priority == "idle" and hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    elif priority in ("idle", "low"):
        os.nice(10)


def _wait_for_notification(stop: threading.Event, seconds: float) -> None:
    raw = connection.connection
    if raw.notifies:  # arrived while the last query ran
        raw.notifies.clear()
        return
    # Short slices, so that a stop request is seen within a second.
    for _ in range(max(1, int(seconds))):
        if stop.is_set():
            return
        if select.select([raw], [], [], 1.0)[0]:
            raw.poll()
            raw.notifies.clear()
            return


def _read_all(file: File) -> bytes:
    file.seek(0)
    data: bytes = file.read()
    file.seek(0)
    return data
