"""Analysis runs: run the configured analyzer and record what it found."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..analysis import (
    AnalysisError,
    AnalysisResult,
    AnalysisSkipped,
    BaseAnalyzer,
    get_analyzer,
)
from ..colorspace import parse_hex, rgb_to_lab
from ..models import AnalysisStatus, Image
from .indexing import (
    KEEP_EMBEDDING,
    EmbeddingUpdate,
    image_index,
    image_text_index,
)
from .people import image_faces_record

logger = logging.getLogger(__name__)

# The Celery task that runs image_analyze on a worker (gallery.tasks). Queued
# by name, so that the services never import the task module that imports them.
ANALYSIS_TASK = "gallery.tasks.analyze_image"


def image_analysis_schedule(*, image: Image, data: bytes | None = None) -> None:
    """Analyse now, or queue the analysis when a Celery broker is configured.

    Never raises: the image is stored whatever happens to its analysis.
    """
    if settings.CELERY_BROKER_URL:
        image_id = str(image.id)
        transaction.on_commit(lambda: _queue_analysis(image_id))
        return
    _analyze_logging_errors(image, data)


# Without a worker every analysis runs inside the request, so a bulk
# re-analysis there is kept to what one request can do.
MAX_INLINE_REANALYSES = 24


class TooManyToAnalyseNow(Exception):
    """More images than the request can analyse itself, and no worker."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"Re-analysing {count} photos at once needs a background worker "
            f"(CELERY_BROKER_URL); without one, choose up to "
            f"{MAX_INLINE_REANALYSES} at a time or run `manage.py reanalyze`."
        )


def image_reanalyze_many(*, images: QuerySet[Image]) -> int:
    """Analyse ``images`` again: queued when a broker is configured, else
    here, up to MAX_INLINE_REANALYSES (TooManyToAnalyseNow beyond)."""
    if settings.CELERY_BROKER_URL:
        ids = [str(pk) for pk in images.values_list("pk", flat=True)]
        transaction.on_commit(lambda: _queue_analyses(ids))
        return len(ids)
    chosen = list(images[: MAX_INLINE_REANALYSES + 1])
    if len(chosen) > MAX_INLINE_REANALYSES:
        raise TooManyToAnalyseNow(images.count())
    for image in chosen:
        _analyze_logging_errors(image, None)
    return len(chosen)


def _queue_analyses(image_ids: list[str]) -> None:
    for image_id in image_ids:
        _queue_analysis(image_id)


def _queue_analysis(image_id: str) -> None:
    try:
        current_app.send_task(ANALYSIS_TASK, args=[image_id])
    except Exception:
        # The broker is down: analyse here rather than leave the image pending.
        logger.exception("Could not queue the analysis of %s", image_id)
        image = Image.objects.filter(pk=image_id).first()
        if image is not None:
            _analyze_logging_errors(image, None)


def _analyze_logging_errors(image: Image, data: bytes | None) -> None:
    try:
        image_analyze(image=image, data=data)
    except Exception:
        logger.exception("Analysis of %s stopped unexpectedly", image.id)


def image_analyze(
    *, image: Image, data: bytes | None = None, raise_retryable: bool = False
) -> Image:
    """Run the configured analyzer on the image and store what it found.

    An analysis failure never loses the image: it keeps its file and gets
    status ``failed`` with the reason, so it can be analysed again. With
    ``raise_retryable`` a retryable AnalysisError is raised after that, for a
    task queue to retry.
    """
    analyzer = get_analyzer()
    if analyzer is None:
        return _finish_analysis(image, AnalysisStatus.SKIPPED, "Analysis is off.")
    _set_status(image, AnalysisStatus.RUNNING)
    try:
        if data is None:
            with image.file.open("rb") as stored:
                data = stored.read()
        result = analyzer.analyze(data)
    except AnalysisSkipped as reason:
        return _finish_analysis(image, AnalysisStatus.SKIPPED, str(reason), analyzer)
    except AnalysisError as error:
        logger.warning("Analysis of %s failed: %s", image.id, error)
        _finish_analysis(image, AnalysisStatus.FAILED, str(error), analyzer)
        if raise_retryable and error.retryable:
            raise
        return image
    except OSError as error:
        logger.warning("Could not read %s for analysis: %s", image.id, error)
        return _finish_analysis(
            image,
            AnalysisStatus.FAILED,
            "The stored image could not be read.",
            analyzer,
        )
    except Exception:
        # A bug or an unexpected storage error: never leave the row "running".
        _finish_analysis(
            image, AnalysisStatus.FAILED, "Analysis stopped unexpectedly.", analyzer
        )
        raise
    _apply_result(image, result)
    embedding = result.embedding or _offline_embedding(data)
    _finish_analysis(image, AnalysisStatus.DONE, "", analyzer, embedding=embedding)
    _store_text_embedding(image)
    _record_faces(image, result)
    return image


def _record_faces(image: Image, result: AnalysisResult) -> None:
    """People are grouped from the faces; a failure here loses no analysis."""
    try:
        image_faces_record(image=image, faces=result.faces)
    except Exception:
        logger.exception("Faces of %s not recorded", image.id)


def _store_text_embedding(image: Image) -> None:
    """Search by meaning needs the words embedded; without them the image is
    still found by its words, so a failure here is logged, not raised."""
    try:
        image_text_index(image=image)
    except Exception:
        logger.exception("No text embedding for %s", image.id)


def _offline_embedding(data: bytes) -> Sequence[float] | None:
    """Similarity always uses the offline model's embedding, whichever backend
    described the image; without it the image is simply not matched."""
    # Imported here: numpy, onnxruntime and OpenCV load only where analysis runs.
    from ..analysis.local import image_embedding

    try:
        return image_embedding(data)
    except AnalysisError as error:
        logger.warning("No embedding: %s", error)
        return None


def _set_status(image: Image, status: str) -> None:
    image.analysis_status = status
    Image.objects.filter(pk=image.pk).update(analysis_status=status)


def _apply_result(image: Image, result: AnalysisResult) -> None:
    image.description = result.description
    image.description_confidence = result.description_confidence
    image.tags = [
        {"name": tag.name, "confidence": round(tag.confidence, 4)}
        | ({"count": tag.count} if tag.count > 1 else {})
        for tag in result.tags
    ]
    image.tag_names = [tag.name.lower() for tag in result.tags]
    colors = result.colors
    image.dominant_foreground = colors.dominant_foreground
    image.dominant_background = colors.dominant_background
    image.dominant_colors = list(colors.dominant_colors)
    image.accent_color = colors.accent_color
    accent = parse_hex(colors.accent_color or "")
    image.accent_lab = list(rgb_to_lab(accent)) if accent else None
    image.is_bw = colors.is_bw


ANALYSIS_FIELDS = [
    "analysis_status",
    "analyzer",
    "analyzer_version",
    "analyzed_at",
    "analysis_error",
    "description",
    "description_confidence",
    "tags",
    "tag_names",
    "dominant_foreground",
    "dominant_background",
    "dominant_colors",
    "accent_color",
    "accent_lab",
    "is_bw",
]


def _finish_analysis(
    image: Image,
    status: str,
    error: str,
    analyzer: BaseAnalyzer | None = None,
    *,
    embedding: EmbeddingUpdate = KEEP_EMBEDDING,
) -> Image:
    image.analysis_status = status
    image.analysis_error = error
    image.analyzer = getattr(analyzer, "name", "")
    image.analyzer_version = getattr(analyzer, "version", "")
    image.analyzed_at = timezone.now()
    with transaction.atomic():
        # update() rather than save(): the image may have been deleted
        # meanwhile, and a save() would bring its row back without its file.
        tags_before = (
            Image.objects.select_for_update()
            .filter(pk=image.pk)
            .values_list("tag_names", flat=True)
            .first()
        )
        if tags_before is None:
            return image
        Image.objects.filter(pk=image.pk).update(
            **{field: getattr(image, field) for field in ANALYSIS_FIELDS}
        )
        image_index(image=image, tags_before=tags_before, embedding=embedding)
    return image
