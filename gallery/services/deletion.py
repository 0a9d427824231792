"""Deletion: rows first, objects once the deletion has committed."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

from ..models import Image
from ..storage import delete_objects
from .indexing import count_images, images_unindex

logger = logging.getLogger(__name__)


def image_delete(*, image: Image) -> None:
    """Delete the row, then its objects once the deletion has committed."""
    image_delete_many(images=[image])


def image_delete_many(*, images: Iterable[Image]) -> int:
    images = list(images)
    ids = [image.pk for image in images]
    names = [name for image in images for name in _object_names(image)]
    with transaction.atomic():
        tags_by_owner: dict[int, list[str]] = {}
        removed: Counter[int] = Counter()
        locked = Image.objects.select_for_update().filter(pk__in=ids)
        rows = locked.values_list("owner_id", "tag_names", "trashed_at")
        for owner_id, tag_names, trashed_at in rows:
            # A trashed image's tags and place in the total left them when it
            # was trashed.
            counted = tag_names if trashed_at is None else []
            tags_by_owner.setdefault(owner_id, []).extend(counted)
            removed[owner_id] += trashed_at is None
        images_unindex(image_ids=ids, tags_by_owner=tags_by_owner)
        for owner_id, images_removed in removed.items():
            count_images(owner_id, -images_removed)
        count, _ = Image.objects.filter(pk__in=ids).delete()
        transaction.on_commit(lambda: delete_objects(names))
    return count


def image_delete_for_owner(*, owner: User, ids: Iterable[uuid.UUID]) -> int:
    """Delete the owner's images among ids; other ids are silently ignored."""
    images = Image.objects.filter(owner=owner, pk__in=ids).only(
        "file", "thumbnail", "preview"
    )
    return image_delete_many(images=images)


def image_delete_all(*, owner: User) -> int:
    """Delete every image of the owner, a batch at a time."""
    deleted = 0
    while batch := list(
        Image.objects.filter(owner=owner).only("file", "thumbnail", "preview")[:500]
    ):
        deleted += image_delete_many(images=batch)
    return deleted


def user_delete(*, user: User) -> None:
    """Delete a user with all their images and objects."""
    names = [
        name
        for image in Image.objects.filter(owner=user).only(
            "file", "thumbnail", "preview"
        )
        for name in _object_names(image)
    ]
    with transaction.atomic():
        user.delete()
        transaction.on_commit(lambda: delete_objects(names))


def _object_names(image: Image) -> list[str]:
    return [field.name for field in (image.file, *image.renditions) if field]
