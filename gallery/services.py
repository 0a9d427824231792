"""Writes: every change to images goes through these functions."""

from __future__ import annotations

import logging
import os
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import upload_limit_for

from . import search
from .analysis import AnalysisError, AnalysisResult, AnalysisSkipped, get_analyzer
from .colorspace import parse_hex, rgb_to_lab
from .imaging import make_thumbnail, sha256_of
from .models import AnalysisStatus, Image
from .similarity import embedding_store
from .validators import validate_image_file

logger = logging.getLogger(__name__)


class UploadRefused(Exception):
    """An upload that was not stored; the message is meant for the user."""


class UploadLimitReached(UploadRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"You have reached your limit of {limit} images. "
            "Delete some to upload more."
        )
        self.limit = limit


class DuplicateImage(UploadRefused):
    def __init__(self, existing: Image) -> None:
        super().__init__("You already have this image.")
        self.existing = existing


class StorageUnavailable(UploadRefused):
    def __init__(self) -> None:
        super().__init__(
            "The image store is not answering right now; nothing was saved. "
            "Please try again in a moment."
        )


def clean_filename(name: str) -> str:
    """The last path component, printable, at most 255 characters.

    The name is only ever displayed (escaped by templates); it never becomes
    part of a storage key.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        keep = 255 - len(extension) - 2 if dot and len(extension) <= 10 else 255
        name = f"{stem[:keep]}….{extension}" if keep < 255 else name[:255]
    return name or "untitled"


def image_upload(*, owner, file) -> Image:
    """Validate, store and record one uploaded file, then analyse it.

    Raises ValidationError for a file that is not an acceptable image and
    UploadRefused (UploadLimitReached, DuplicateImage, StorageUnavailable)
    for a valid image that cannot be stored.
    """
    info = validate_image_file(file)
    image = Image(
        owner=owner,
        original_filename=clean_filename(file.name),
        content_type=info.content_type,
        size_bytes=file.size,
        width=info.width,
        height=info.height,
        sha256=sha256_of(file),
    )
    thumbnail = ContentFile(make_thumbnail(file))
    stored: list[str] = []
    try:
        with transaction.atomic():
            # Lock the owner's row so that parallel uploads of one user are
            # counted one after the other and cannot pass the cap together.
            get_user_model().objects.select_for_update().get(pk=owner.pk)
            _refuse_duplicate_or_over_limit(image)
            # The objects are written inside the lock: a slow store delays only
            # this user's other uploads, and a failure here leaves no row.
            try:
                image.file.save(f"{image.id}.{info.extension}", file, save=False)
                stored.append(image.file.name)
                image.thumbnail.save(f"{image.id}.jpg", thumbnail, save=False)
                stored.append(image.thumbnail.name)
            except Exception as error:
                logger.exception("Storing image %s failed", image.id)
                raise StorageUnavailable() from error
            image.full_clean()
            image.save(force_insert=True)
    except BaseException:
        # No row was committed: remove whatever reached storage.
        _delete_objects(stored)
        raise
    image_analysis_schedule(image=image, data=_read_all(file))
    return image


def _refuse_duplicate_or_over_limit(image: Image) -> None:
    mine = Image.objects.filter(owner_id=image.owner_id)
    existing = mine.filter(sha256=image.sha256).first()
    if existing is not None:
        raise DuplicateImage(existing)
    limit = upload_limit_for(image.owner)
    if limit is not None and mine.count() >= limit:
        raise UploadLimitReached(limit)


def _read_all(file) -> bytes:
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data


def image_thumbnail_rebuild(*, image: Image) -> Image:
    """Make the thumbnail again from the stored original.

    When the original cannot be read either, the field is cleared: pages then
    show the original's URL, and the audit reports the missing original.
    """
    try:
        with image.file.open("rb") as original:
            thumbnail = ContentFile(make_thumbnail(original))
        image.thumbnail.save(f"{image.id}.jpg", thumbnail, save=False)
    except Exception:
        logger.exception("Could not rebuild the thumbnail of %s", image.id)
        image.thumbnail = ""
    Image.objects.filter(pk=image.pk).update(thumbnail=image.thumbnail.name or "")
    return image


def image_analysis_schedule(*, image: Image, data: bytes | None = None) -> None:
    """Analyse now, or queue the analysis when a Celery broker is configured.

    Never raises: the image is stored whatever happens to its analysis.
    """
    if settings.CELERY_BROKER_URL:
        image_id = str(image.id)
        transaction.on_commit(lambda: _queue_analysis(image_id))
        return
    _analyze_logging_errors(image, data)


def _queue_analysis(image_id: str) -> None:
    from .tasks import analyze_image

    try:
        analyze_image.delay(image_id)
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
    _finish_analysis(image, AnalysisStatus.DONE, "", analyzer)
    embedding_store(image=image, embedding=result.embedding or _offline_embedding(data))
    return image


def _offline_embedding(data: bytes) -> list[float] | None:
    """Similarity always uses the offline model's embedding, whichever backend
    described the image; without it the image is simply not matched."""
    # Imported here: numpy, onnxruntime and OpenCV load only where analysis runs.
    from .analysis.local import image_embedding

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


def _finish_analysis(image: Image, status: str, error: str, analyzer=None) -> Image:
    image.analysis_status = status
    image.analysis_error = error
    image.analyzer = getattr(analyzer, "name", "")
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
            search_vector=search.search_vector(
                owner_id=image.owner_id,
                description=image.description,
                tag_names=image.tag_names,
                filename=image.original_filename,
            ),
            facet_keys=search.facet_keys(
                owner_id=image.owner_id,
                tag_names=image.tag_names,
                color_names=[
                    image.dominant_foreground,
                    image.dominant_background,
                    *image.dominant_colors,
                ],
                accent_lab=image.accent_lab,
            ),
            **{field: getattr(image, field) for field in ANALYSIS_FIELDS},
        )
        _count_tags(image.owner_id, added=image.tag_names, removed=tags_before)
    return image


def _count_tags(
    owner_id: int, *, added: Iterable[str] = (), removed: Iterable[str] = ()
) -> None:
    """Keep OwnerTag in step with the tags of the owner's images.

    A constant number of statements however many tags change; the upsert
    keeps concurrent changes of one owner's counts from losing each other.
    """
    change = Counter(added)
    change.subtract(Counter(removed))
    names = [name for name, delta in change.items() if delta]
    if not names:
        return
    deltas = [change[name] for name in names]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO gallery_ownertag AS tag (owner_id, name, image_count)
            SELECT %s, change.name, change.delta
            FROM unnest(%s::text[], %s::int[]) AS change(name, delta)
            WHERE change.delta > 0
            ON CONFLICT (owner_id, name)
            DO UPDATE SET image_count = tag.image_count + EXCLUDED.image_count
            """,
            [owner_id, names, deltas],
        )
        cursor.execute(
            """
            UPDATE gallery_ownertag AS tag
            SET image_count = GREATEST(tag.image_count + change.delta, 0)
            FROM unnest(%s::text[], %s::int[]) AS change(name, delta)
            WHERE change.delta < 0 AND tag.owner_id = %s AND tag.name = change.name
            """,
            [names, deltas, owner_id],
        )
        cursor.execute(
            "DELETE FROM gallery_ownertag WHERE owner_id = %s AND image_count = 0",
            [owner_id],
        )


def image_delete(*, image: Image) -> None:
    """Delete the row, then its objects once the deletion has committed."""
    image_delete_many(images=[image])


def image_delete_many(*, images: Iterable[Image]) -> int:
    images = list(images)
    names = [name for image in images for name in _object_names(image)]
    with transaction.atomic():
        rows = Image.objects.select_for_update().filter(
            pk__in=[image.pk for image in images]
        )
        tags_by_owner: dict[int, list[str]] = {}
        for owner_id, tag_names in rows.values_list("owner_id", "tag_names"):
            tags_by_owner.setdefault(owner_id, []).extend(tag_names)
        count = rows.delete()[1].get(Image._meta.label, 0)
        for owner_id, tag_names in tags_by_owner.items():
            _count_tags(owner_id, removed=tag_names)
        transaction.on_commit(lambda: _delete_objects(names))
    return count


def image_delete_for_owner(*, owner, ids: Iterable[uuid.UUID]) -> int:
    """Delete the owner's images among ids; other ids are silently ignored."""
    images = Image.objects.filter(owner=owner, pk__in=ids).only("file", "thumbnail")
    return image_delete_many(images=images)


def image_delete_all(*, owner) -> int:
    """Delete every image of the owner, a batch at a time."""
    deleted = 0
    while batch := list(
        Image.objects.filter(owner=owner).only("file", "thumbnail")[:500]
    ):
        deleted += image_delete_many(images=batch)
    return deleted


def user_delete(*, user) -> None:
    """Delete a user with all their images and objects."""
    names = [
        name
        for image in Image.objects.filter(owner=user).only("file", "thumbnail")
        for name in _object_names(image)
    ]
    with transaction.atomic():
        user.delete()
        transaction.on_commit(lambda: _delete_objects(names))


def _object_names(image: Image) -> list[str]:
    return [name for name in (image.file.name, image.thumbnail.name) if name]


def _delete_objects(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            # The row is gone; the object is an orphan that storage_audit finds.
            logger.exception("Could not delete %s from storage", name)
