"""The trash: deleting moves images here; restore them, or they go for good.

A trashed image keeps its row and objects, with ``trashed_at`` set. It is out
of the gallery, search, similar images and the tag counts, its page answers
404, and it does not count against the upload limit (the limit is about the
library a person sees; restoring checks the limit again). After
GALLERY_TRASH_DAYS days, ``manage.py purge_trash`` (cron, or the Celery beat
task gallery.tasks.purge_trash) deletes it with its objects. With
GALLERY_TRASH_DAYS=0 there is no trash: deleting is at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..models import STORAGE_PREFIXES, Image
from ..selectors import upload_allowance
from .deletion import image_delete_many
from .indexing import count_images, count_tags
from .uploads import UploadRefused

PURGE_BATCH = 500


class RestoreOverLimit(UploadRefused):
    code = "limit_reached"

    def __init__(self, limit: int, left: int) -> None:
        super().__init__(
            f"Restoring these would pass your limit of {limit} images "
            f"({left} more fit). Delete some images first, or restore fewer."
        )


def trash_enabled() -> bool:
    return settings.GALLERY_TRASH_DAYS > 0


def images_trash(*, owner: User, ids: Iterable[uuid.UUID]) -> int:
    """Move the owner's images among ids to the trash (other ids are ignored);
    without a trash (GALLERY_TRASH_DAYS=0) delete them at once."""
    live = Image.objects.filter(owner=owner, pk__in=list(ids), trashed_at__isnull=True)
    if not trash_enabled():
        return image_delete_many(images=live.only(*STORAGE_PREFIXES))
    with transaction.atomic():
        rows = list(live.select_for_update().values_list("pk", "tag_names"))
        Image.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            trashed_at=timezone.now()
        )
        count_tags(owner.pk, removed=[tag for _, tags in rows for tag in tags])
        count_images(owner.pk, -len(rows))
    return len(rows)


def images_trash_all(*, owner: User) -> int:
    live = Image.objects.filter(owner=owner, trashed_at__isnull=True)
    return images_trash(owner=owner, ids=live.values_list("pk", flat=True))


def images_restore(*, owner: User, ids: Iterable[uuid.UUID]) -> int:
    """Bring trashed images back, if the upload limit has room for them all."""
    with transaction.atomic():
        # The same lock as uploads: a restore and an upload are counted in turn.
        get_user_model().objects.select_for_update().get(pk=owner.pk)
        trashed = Image.objects.filter(
            owner=owner, pk__in=list(ids), trashed_at__isnull=False
        )
        rows = list(trashed.values_list("pk", "tag_names"))
        allowance = upload_allowance(owner=owner)
        left, limit = allowance.left, allowance.limit
        if left is not None and limit is not None and len(rows) > left:
            raise RestoreOverLimit(limit, left)
        Image.objects.filter(pk__in=[pk for pk, _ in rows]).update(trashed_at=None)
        count_tags(owner.pk, added=[tag for _, tags in rows for tag in tags])
        count_images(owner.pk, len(rows))
    return len(rows)


def trash_delete(*, owner: User, ids: Iterable[uuid.UUID]) -> int:
    """Delete trashed images of the owner for good, with their objects."""
    trashed = Image.objects.filter(
        owner=owner, pk__in=list(ids), trashed_at__isnull=False
    )
    return image_delete_many(images=trashed.only(*STORAGE_PREFIXES))


def trash_empty(*, owner: User) -> int:
    return _delete_in_batches(
        Image.objects.filter(owner=owner, trashed_at__isnull=False)
    )


def trash_purge(*, now: dt.datetime | None = None) -> int:
    """Delete for good every image trashed more than GALLERY_TRASH_DAYS ago."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.GALLERY_TRASH_DAYS)
    return _delete_in_batches(Image.objects.filter(trashed_at__lte=cutoff))


def _delete_in_batches(images: QuerySet[Image]) -> int:
    deleted = 0
    while batch := list(images.only(*STORAGE_PREFIXES)[:PURGE_BATCH]):
        deleted += image_delete_many(images=batch)
    return deleted
