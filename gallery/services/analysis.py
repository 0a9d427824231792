"""Analysis runs: run the configured analyzer and record what it found."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage

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
    image_text_vector,
)
from .people import image_faces_record

logger = logging.getLogger(__name__)


def image_analyze(
    *,
    image: Image,
    data: bytes | None = None,
    pixels: PILImage.Image | None = None,
    raise_retryable: bool = False,
) -> Image:
    """Run the configured analyzer on the image and store what it found.

    An analysis failure never loses the image: it keeps its file and gets
    status ``failed`` with the reason, so it can be analysed again. With
    ``raise_retryable`` a retryable AnalysisError is raised after that, for a
    task queue to retry. ``pixels``, when given, are ``data`` already decoded
    (upright RGB, see imaging.decode_upright): backends that work on pixels
    use them instead of decoding again.
    """
    analyzer = get_analyzer()
    if analyzer is None:
        return _finish_analysis(image, AnalysisStatus.SKIPPED, "Analysis is off.")
    try:
        if data is None:
            with image.file.open("rb") as stored:
                data = stored.read()
        result = analyzer.analyze_decoded(data, pixels=pixels)
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
    embedding = result.embedding or _offline_embedding(data, pixels)
    # Faces first: a worker that dies before the analysis below is recorded
    # leaves the image queued, and the next attempt records its faces again.
    _record_faces(image, result)
    _finish_analysis(
        image,
        AnalysisStatus.DONE,
        "",
        analyzer,
        embedding=embedding,
        text_vector=_text_vector(image),
    )
    return image


def _record_faces(image: Image, result: AnalysisResult) -> None:
    """People are grouped from the faces; a failure here loses no analysis."""
    try:
        image_faces_record(image=image, faces=result.faces)
    except Exception:
        logger.exception("Faces of %s not recorded", image.id)


def _text_vector(image: Image) -> Sequence[float] | None:
    """Search by meaning needs the words embedded; without them the image is
    still found by its words, so a failure here is logged, not raised."""
    try:
        return image_text_vector(image=image)
    except Exception:
        logger.exception("No text embedding for %s", image.id)
        return None


def _offline_embedding(
    data: bytes, pixels: PILImage.Image | None
) -> Sequence[float] | None:
    """Similarity always uses the offline model's embedding, whichever backend
    described the image; without it the image is simply not matched."""
    # Imported here: numpy, onnxruntime and OpenCV load only where analysis runs.
    from ..analysis.local import image_embedding

    try:
        return image_embedding(data, pixels=pixels)
    except AnalysisError as error:
        logger.warning("No embedding: %s", error)
        return None


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
    "processing",
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
    text_vector: EmbeddingUpdate = KEEP_EMBEDDING,
) -> Image:
    """Record the outcome, derived fields and embeddings in one transaction."""
    image.analysis_status = status
    image.analysis_error = error
    # Analysis comes last in an image's processing (services.processing).
    image.processing = False
    image.analyzer = getattr(analyzer, "name", "")
    image.analyzer_version = getattr(analyzer, "version", "")
    image.analyzed_at = timezone.now()
    with transaction.atomic():
        # update() rather than save(): the image may have been deleted
        # meanwhile, and a save() would bring its row back without its file.
        row = (
            Image.objects.select_for_update()
            .filter(pk=image.pk)
            .values_list("tag_names", "trashed_at")
            .first()
        )
        if row is None:
            return image
        # Trashed meanwhile: indexing must not count its tags again.
        tags_before, image.trashed_at = row
        Image.objects.filter(pk=image.pk).update(
            **{field: getattr(image, field) for field in ANALYSIS_FIELDS}
        )
        image_index(image=image, tags_before=tags_before, embedding=embedding)
        if text_vector is not KEEP_EMBEDDING:
            image_text_index(image=image, vector=text_vector)
    return image
