"""Reads: the queries behind the gallery, search and detail pages."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Image


def image_list(*, owner) -> QuerySet[Image]:
    """The owner's images, newest first."""
    return Image.objects.filter(owner=owner).order_by("-created_at", "-id")


def image_count(*, owner) -> int:
    return Image.objects.filter(owner=owner).count()
