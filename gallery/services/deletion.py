"""Deletion: rows first, objects once the deletion has committed.

An object storage refuses to delete is never forgotten: its key goes to the
outbox (PendingDeletion) and is retried, with a growing wait, each time the
app deletes objects again, until storage removes it.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils import timezone

from ..models import STORAGE_PREFIXES, Image, PendingDeletion
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
        transaction.on_commit(lambda: objects_delete(names=names))
    return count


def image_delete_for_owner(*, owner: User, ids: Iterable[uuid.UUID]) -> int:
    """Delete the owner's images among ids; other ids are silently ignored."""
    images = Image.objects.filter(owner=owner, pk__in=ids).only(*STORAGE_PREFIXES)
    return image_delete_many(images=images)


def image_delete_all(*, owner: User) -> int:
    """Delete every image of the owner, a batch at a time."""
    deleted = 0
    while batch := list(
        Image.objects.filter(owner=owner).only(*STORAGE_PREFIXES)[:500]
    ):
        deleted += image_delete_many(images=batch)
    return deleted


def user_delete(*, user: User) -> None:
    """Delete a user with all their images and objects."""
    names = [
        name
        for image in Image.objects.filter(owner=user).only(*STORAGE_PREFIXES)
        for name in _object_names(image)
    ]
    with transaction.atomic():
        user.delete()
        transaction.on_commit(lambda: objects_delete(names=names))


def _object_names(image: Image) -> list[str]:
    return [field.name for field in (image.file, *image.renditions) if field]


# Waits between tries of one pending deletion: 1, 2, 4, … minutes, at most an hour.
RETRY_MAX_MINUTES = 60
# Pending deletions tried after each deletion of objects.
RETRY_BATCH = 20


def objects_delete(*, names: Iterable[str]) -> None:
    """Delete objects whose rows are gone or were never committed.

    Never raises: what storage refuses goes to the outbox. Then the outbox's
    due entries get a try, while storage answers.
    """
    names = list(names)
    for index, name in enumerate(names):
        try:
            default_storage.delete(name)
        except Exception as error:
            logger.warning("Storage refused to delete %s: %r", name, error)
            # Storage is failing: the rest are not even tried now.
            _remember(names[index:], error)
            return
    if names:
        try:
            pending_deletions_retry(limit=RETRY_BATCH)
        except DatabaseError:
            logger.exception("Could not read the pending deletions")


def pending_deletions_retry(*, limit: int | None = None) -> tuple[int, int]:
    """Try the outbox's due deletions, oldest first; (deleted, still pending).

    Stops at the first refusal: storage is down, and the others would wait
    for their timeouts for nothing.
    """
    due = PendingDeletion.objects.filter(next_attempt_at__lte=timezone.now())
    deleted = 0
    for pending in due.order_by("next_attempt_at")[:limit]:
        try:
            default_storage.delete(pending.name)
        except Exception as error:
            pending.attempts += 1
            wait = min(2 ** (pending.attempts - 1), RETRY_MAX_MINUTES)
            pending.next_attempt_at = timezone.now() + timedelta(minutes=wait)
            pending.last_error = repr(error)[:255]
            pending.save(update_fields=["attempts", "next_attempt_at", "last_error"])
            break
        pending.delete()
        deleted += 1
    return deleted, PendingDeletion.objects.count()


def _remember(names: list[str], error: Exception) -> None:
    now = timezone.now()
    try:
        PendingDeletion.objects.bulk_create(
            [
                PendingDeletion(
                    name=name,
                    attempts=1,
                    next_attempt_at=now + timedelta(minutes=1),
                    last_error=repr(error)[:255],
                )
                for name in names
            ],
            ignore_conflicts=True,
        )
    except DatabaseError:
        # Both storage and the database are failing: only the log remembers;
        # storage_audit finds these objects.
        logger.exception("Could not remember the deletion of %s", names)
