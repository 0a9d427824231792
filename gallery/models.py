from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property

from .imaging import RENDITION_EXTENSION, RENDITION_SIZES, rendition_size

# The top-level storage prefix of each file field: one directory per owner
# under each, keys made of ids only (see storage_key), never user-supplied text.
STORAGE_PREFIXES = {
    "file": "images",
    "preview": "previews",
    "thumbnail": "thumbnails",
    "thumbnail_small": "small-thumbnails",
}

# When a photo was taken, or uploaded when its camera did not say: the
# gallery's default order (gallery.selectors.SORTS) and the timeline's date.
# The image_owner_taken index is on this expression, so the order is an index
# scan.
TAKEN_OR_UPLOADED = Coalesce("taken_at", "created_at")
# The rows out of the trash: all the gallery lists, counts and searches.
LIVE = Q(trashed_at__isnull=True)


def storage_key(field: str, instance: Image, extension: str) -> str:
    return f"{STORAGE_PREFIXES[field]}/{instance.owner_id}/{instance.id}.{extension}"


def image_key(instance: Image, filename: str) -> str:
    """The original's key; its extension is the detected format's."""
    return storage_key("file", instance, filename.rsplit(".", 1)[-1].lower())


def thumbnail_key(instance: Image, filename: str) -> str:
    return storage_key("thumbnail", instance, RENDITION_EXTENSION)


def thumbnail_small_key(instance: Image, filename: str) -> str:
    return storage_key("thumbnail_small", instance, RENDITION_EXTENSION)


def preview_key(instance: Image, filename: str) -> str:
    return storage_key("preview", instance, RENDITION_EXTENSION)


class AnalysisStatus(models.TextChoices):
    PENDING = "pending", "Analysing…"
    RUNNING = "running", "Analysing…"
    DONE = "done", "Analysed"
    FAILED = "failed", "Analysis failed"
    SKIPPED = "skipped", "Not analysed"


class Image(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    file = models.FileField(upload_to=image_key, max_length=255)
    thumbnail = models.FileField(upload_to=thumbnail_key, max_length=255, blank=True)
    preview = models.FileField(upload_to=preview_key, max_length=255, blank=True)
    # Empty for images whose renditions predate it (JPEG preview and
    # thumbnail only): see the README's "Renditions".
    thumbnail_small = models.FileField(
        upload_to=thumbnail_small_key, max_length=255, blank=True
    )
    original_filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size_bytes = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # From the photo's EXIF (gallery.camera). taken_at is the instant when the
    # camera gave its time zone (taken_at_offset, minutes east of UTC), else
    # the camera's wall clock read as UTC.
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_at_offset = models.SmallIntegerField(null=True, blank=True)
    camera_make = models.CharField(max_length=100, blank=True)
    camera_model = models.CharField(max_length=100, blank=True)
    lens = models.CharField(max_length=100, blank=True)
    focal_length = models.FloatField(null=True, blank=True)
    f_number = models.FloatField(null=True, blank=True)
    exposure_time = models.FloatField(null=True, blank=True)
    iso = models.PositiveIntegerField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # The rest of what gallery.camera reads (altitude, software, …).
    camera_details = models.JSONField(default=dict, blank=True)
    # Set while the image is in the trash (gallery.services.trash).
    trashed_at = models.DateTimeField(null=True, blank=True)

    analysis_status = models.CharField(
        max_length=10, choices=AnalysisStatus.choices, default=AnalysisStatus.PENDING
    )
    analyzer = models.CharField(max_length=50, blank=True)
    # The analyzer's version (BaseAnalyzer.version), so operators can see which
    # results predate a better analyzer and `reanalyze --outdated` can find them.
    analyzer_version = models.CharField(max_length=50, blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)
    analysis_error = models.TextField(blank=True)
    description = models.TextField(blank=True)
    description_confidence = models.FloatField(null=True, blank=True)
    # [{"name": "cat", "confidence": 0.93}, …] best first; tag_names mirrors
    # the names (lower case) for counting and facet_keys.
    tags = models.JSONField(default=list, blank=True)
    tag_names = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    dominant_foreground = models.CharField(max_length=20, blank=True)
    dominant_background = models.CharField(max_length=20, blank=True)
    dominant_colors = ArrayField(
        models.CharField(max_length=20), default=list, blank=True
    )
    accent_color = models.CharField(max_length=7, blank=True)
    # The accent colour in CIELAB, for "nearest colour" search by hex.
    accent_lab = ArrayField(models.FloatField(), size=3, null=True, blank=True)
    is_bw = models.BooleanField(null=True, blank=True)
    # Description (A), tags (B) and file name (C), with every lexeme prefixed
    # by the owner (gallery.search): one GIN index then finds one owner's
    # matches without touching anybody else's.
    search_vector = SearchVectorField(null=True, editable=False)
    # Owner-prefixed keys of the exact filters (tags, colour names, colour
    # cells), for the same reason: see gallery.search.facet_keys().
    facet_keys = ArrayField(
        models.CharField(max_length=150), default=list, blank=True, editable=False
    )
    # True from the upload until its renditions and analysis are stored: the
    # row is the background job (gallery.services.processing), so a job can
    # never be lost apart from its image.
    processing = models.BooleanField(default=False, editable=False)
    # Claims of the job so far; a job that keeps killing its worker stops.
    processing_attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The gallery's orders hold only the rows out of the trash (what it
            # lists), with -id: its deep pages walk the offset in the index
            # alone (an index-only scan, no row read per image skipped).
            models.Index(
                fields=["owner", "-created_at", "-id"],
                name="image_owner_newest",
                condition=LIVE,
            ),
            models.Index(
                F("owner"),
                TAKEN_OR_UPLOADED.desc(),
                F("id").desc(),
                name="image_owner_taken",
                # PostgreSQL reads an expression's columns from the index
                # only when they are in it.
                include=["taken_at", "created_at"],
                condition=LIVE,
            ),
            models.Index(fields=["owner", "sha256"], name="image_owner_sha256"),
            # The trash page and the purge read only trashed rows.
            models.Index(
                fields=["owner", "-trashed_at"],
                name="image_owner_trashed",
                condition=models.Q(trashed_at__isnull=False),
            ),
            GinIndex(fields=["facet_keys"], name="image_facet_keys"),
            GinIndex(fields=["search_vector"], name="image_search_vector"),
            models.Index(
                fields=["owner", "original_filename", "id"],
                name="image_owner_name",
                condition=LIVE,
            ),
            models.Index(
                fields=["owner", "-size_bytes", "-id"],
                name="image_owner_size",
                condition=LIVE,
            ),
            # The background queue, oldest first; empty when the worker keeps up.
            models.Index(
                fields=["created_at"],
                condition=models.Q(processing=True),
                name="image_processing_queue",
            ),
        ]

    def __str__(self) -> str:
        return self.original_filename

    @property
    def is_pending(self) -> bool:
        return self.analysis_status in (AnalysisStatus.PENDING, AnalysisStatus.RUNNING)

    @property
    def awaits_thumbnail(self) -> bool:
        """The background worker has not stored the renditions yet."""
        return self.processing and not self.thumbnail

    @property
    def display_url(self) -> str:
        """A short-lived URL of the thumbnail (the original when there is none)."""
        shown = self.thumbnail or self.file
        return shown.url

    @property
    def preview_url(self) -> str:
        """A short-lived URL of the preview (the original when there is none)."""
        shown = self.preview or self.file
        return shown.url

    @property
    def renditions(self) -> list:
        """The renditions' fields, largest first (gallery.imaging.RENDITION_SIZES)."""
        return [getattr(self, name) for name in RENDITION_SIZES]

    @property
    def has_current_renditions(self) -> bool:
        """Every rendition of RENDITION_SIZES is stored, in today's format."""
        suffix = f".{RENDITION_EXTENSION}"
        return all(field and field.name.endswith(suffix) for field in self.renditions)

    @cached_property
    def _shown_renditions(self) -> list[tuple[FieldFile, int, int]]:
        """(field, width, height) of each stored rendition, smallest first, one
        per width (a small original's renditions can all be its own size)."""
        by_width: dict[int, tuple[FieldFile, int, int]] = {}
        for name, box in reversed(RENDITION_SIZES.items()):
            field = getattr(self, name)
            if field:
                width, height = rendition_size(self.width, self.height, box)
                by_width.setdefault(width, (field, width, height))
        return list(by_width.values())

    @property
    def srcset(self) -> str:
        """The renditions as an ``<img srcset>``: short-lived URLs with their
        widths; empty when there are none (the card shows the original)."""
        return ", ".join(
            f"{field.url} {width}w" for field, width, _ in self._shown_renditions
        )

    @property
    def preview_size(self) -> tuple[int, int]:
        """The width and height of what preview_url shows."""
        if self.preview:
            return rendition_size(self.width, self.height, RENDITION_SIZES["preview"])
        return self.width, self.height

    @property
    def alt_text(self) -> str:
        return self.description or self.original_filename


class ImageEmbedding(models.Model):
    """An image's unit-length embedding for similarity (gallery.similarity).

    Kept apart from Image so that gallery rows stay narrow. Where PostgreSQL
    has pgvector, migration 0003 adds a ``vector`` column and the vector is
    stored there instead of in ``data``.
    """

    # DO_NOTHING lets a bulk delete of images be one statement: the services
    # delete embeddings first, and a user's go with the owner (CASCADE below).
    image = models.OneToOneField(
        Image, on_delete=models.DO_NOTHING, primary_key=True, related_name="embedding"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # 8-bit values with a scale (gallery.similarity.to_bytes); empty where the
    # pgvector column holds the vector.
    data = models.BinaryField(null=True)

    def __str__(self) -> str:
        return f"Embedding of {self.image_id}"


class ImageTextEmbedding(models.Model):
    """The embedding of an image's words (description, tags, colours) for
    search by meaning (gallery.semantic); kept apart for the same reasons as
    ImageEmbedding. Where PostgreSQL has pgvector, migration 0006 adds a
    ``vector`` column and the vector is stored there instead of in ``data``.
    """

    image = models.OneToOneField(
        Image,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        related_name="text_embedding",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    data = models.BinaryField(null=True)

    def __str__(self) -> str:
        return f"Text embedding of {self.image_id}"


class OwnerLibrary(models.Model):
    """How many images an owner has: the gallery's total, and the version of
    what the gallery caches about the library.

    Kept by the services that store and delete images (gallery.services.indexing
    .count_images), so a page view never counts the library. ``version``
    changes (to a new random value) whenever the total or the tag counts do
    (count_images, count_tags): the months and tag chips a page shows are
    cached against it (gallery.selectors.library_cached).
    """

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    image_count = models.PositiveIntegerField(default=0)
    version = models.UUIDField(db_default=RandomUUID())

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.image_count} images"


class OwnerTag(models.Model):
    """How many of an owner's images carry a tag: the gallery's tag chips.

    Kept up to date by the services that change tags or delete images, so the
    chips cost one index range scan whatever the size of the library.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=100)
    image_count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="owner_tag_unique")
        ]
        indexes = [
            models.Index(fields=["owner", "-image_count", "name"], name="owner_tag_top")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.image_count})"


class PendingDeletion(models.Model):
    """A storage object whose row is gone but that storage refused to delete.

    The outbox of deletions: retried automatically (see
    services.deletion.pending_deletions_retry) until storage removes the object.
    """

    name = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Someone whose face appears in an owner's photos: the faces that
    gallery.services.people grouped together, named by the owner or not."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "name"], name="person_owner_name")]

    def __str__(self) -> str:
        return self.name or f"Unnamed person {self.id}"


class Face(models.Model):
    """A face in an image: where it is, what recognises it, and whose it is.

    Rows go with their image (the indexing service deletes them first, as it
    does embeddings) or all at once when the owner turns face grouping off.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    image = models.ForeignKey(Image, on_delete=models.DO_NOTHING, related_name="faces")
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="faces",
    )
    # The box as fractions of the picture.
    left = models.FloatField()
    top = models.FloatField()
    width = models.FloatField()
    height = models.FloatField()
    confidence = models.FloatField()
    # The face descriptor, 8-bit with a scale (gallery.similarity.to_bytes).
    descriptor = models.BinaryField()
    # A small JPEG of the face for the People page.
    thumbnail = models.BinaryField()
    # The owner said this is not the person it was grouped with: it stays
    # out of every person and is not grouped again.
    removed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "person"], name="face_owner_person"),
        ]

    def __str__(self) -> str:
        return f"Face in {self.image_id}"
