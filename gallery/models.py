from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

# PostgreSQL text search configuration: English stemming ("cats" finds "cat").
SEARCH_CONFIG = "english"


def image_key(instance: Image, filename: str) -> str:
    """Storage key: owner id and image uuid only, never user-supplied text."""
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"images/{instance.owner_id}/{instance.id}.{extension}"


def thumbnail_key(instance: Image, filename: str) -> str:
    return f"thumbnails/{instance.owner_id}/{instance.id}.jpg"


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
    original_filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size_bytes = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    analysis_status = models.CharField(
        max_length=10, choices=AnalysisStatus.choices, default=AnalysisStatus.PENDING
    )
    analyzer = models.CharField(max_length=50, blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)
    analysis_error = models.TextField(blank=True)
    description = models.TextField(blank=True)
    description_confidence = models.FloatField(null=True, blank=True)
    # [{"name": "cat", "confidence": 0.93}, …] best first; tag_names mirrors
    # the names so that PostgreSQL can index tag filters.
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
    # Description (A), tags (B) and filename (C) for full-text search.
    search_vector = SearchVectorField(null=True, editable=False)
    # A unit-length float32 image embedding (gallery.similarity), little-endian.
    # Where PostgreSQL has pgvector, a vector column mirrors it (migration 0002).
    embedding = models.BinaryField(null=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="image_owner_newest"),
            models.Index(fields=["owner", "sha256"], name="image_owner_sha256"),
            GinIndex(fields=["tag_names"], name="image_tag_names"),
            GinIndex(fields=["search_vector"], name="image_search_vector"),
            models.Index(
                fields=["owner", "original_filename"], name="image_owner_name"
            ),
            models.Index(fields=["owner", "size_bytes"], name="image_owner_size"),
        ]

    def __str__(self) -> str:
        return self.original_filename

    @property
    def is_pending(self) -> bool:
        return self.analysis_status in (AnalysisStatus.PENDING, AnalysisStatus.RUNNING)

    @property
    def display_url(self) -> str:
        """A short-lived URL of the thumbnail (the original when there is none)."""
        shown = self.thumbnail or self.file
        return shown.url

    @property
    def alt_text(self) -> str:
        return self.description or self.original_filename
