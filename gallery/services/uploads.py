"""Uploads: validate, store and record a file, without ever half-writing it."""

from __future__ import annotations

import logging
import os
import unicodedata
from dataclasses import replace

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F

from ..camera import image_fields, read_camera_metadata, upright_size
from ..imaging import sha256_of
from ..location import LocationNotRemoved, without_location
from ..models import Image
from ..selectors import removes_location, upload_allowance
from ..validators import validate_image_file
from .deletion import objects_delete
from .indexing import count_images, image_insert
from .processing import image_processing_schedule

logger = logging.getLogger(__name__)


class UploadRefused(Exception):
    """An upload that was not stored; the message is meant for the user."""

    code = "refused"


class UploadLimitReached(UploadRefused):
    code = "limit_reached"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"You have reached your limit of {limit} images. "
            "Delete some to upload more."
        )
        self.limit = limit


class DuplicateImage(UploadRefused):
    code = "duplicate"

    def __init__(self, existing: Image) -> None:
        if existing.trashed_at is None:
            super().__init__("You already have this image.")
        else:
            super().__init__("This image is in your trash: restore it from there.")
        self.existing = existing


class StorageUnavailable(UploadRefused):
    code = "storage_unavailable"

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


def image_upload(*, owner: User, file: File, enforce_limit: bool = True) -> Image:
    """Validate, store and record one uploaded file; its renditions and
    analysis follow (services.processing).

    ``enforce_limit=False`` lets an operator's import pass the owner's cap.

    Raises ValidationError for a file that is not an acceptable image and
    UploadRefused (UploadLimitReached, DuplicateImage, StorageUnavailable)
    for a valid image that cannot be stored.
    """
    # Before any pixel is decoded: a user at the cap is answered at once.
    # (Checked again under the lock below, where parallel uploads count.)
    if enforce_limit:
        _refuse_over_limit(owner)
    info = validate_image_file(file)
    camera = read_camera_metadata(file)
    width, height = upright_size((info.width, info.height), camera.orientation)
    # The hash of the file as sent: sending it again is recognised even when
    # its stored copy lost its location below.
    sha256 = sha256_of(file)
    if camera.has_location and removes_location(owner=owner):
        file = _without_location(file)
        camera = replace(
            camera,
            latitude=None,
            longitude=None,
            extra={
                key: value for key, value in camera.extra.items() if key != "altitude"
            },
        )
    image = Image(
        owner=owner,
        original_filename=clean_filename(file.name or ""),
        content_type=info.content_type,
        size_bytes=file.size,
        width=width,
        height=height,
        sha256=sha256,
        processing=True,
        **image_fields(camera),
    )
    # Refused early, without a write (the cap was checked above); both are
    # checked again under the lock.
    _refuse_duplicate(image)
    stored: list[str] = []
    try:
        # The original is written before the owner's row is locked: a slow or
        # hanging store holds no lock (the timeouts bound the wait), and a
        # failure here leaves no row.
        _store_original(image, file, info.extension, stored)
        with transaction.atomic():
            # Lock the owner's row so that parallel uploads of one user are
            # counted one after the other and cannot pass the cap together.
            get_user_model().objects.select_for_update().get(pk=owner.pk)
            _refuse_duplicate(image)
            if enforce_limit:
                _refuse_over_limit(owner)
            # The owner was just locked and the id is new: only the fields'
            # own rules are left to check, without a query.
            image.full_clean(exclude=["owner"], validate_unique=False)
            # Findable by its file name from now on, analysed or not.
            image_insert(image=image)
            count_images(owner.pk, 1)
    except BaseException:
        # No row was committed: remove whatever reached storage.
        objects_delete(names=stored)
        raise
    image_processing_schedule(image=image, original=file)
    return image


def _store_original(
    image: Image, file: File, extension: str, stored: list[str]
) -> None:
    """Write the original; ``stored`` lists it once it got there."""
    try:
        image.file.save(f"{image.id}.{extension}", file, save=False)
        stored.append(image.file.name)
    except Exception as error:
        logger.exception("Storing image %s failed", image.id)
        raise StorageUnavailable() from error


def _refuse_duplicate(image: Image) -> None:
    # The trash included: the same bytes again point to the trashed copy.
    mine = Image.objects.filter(owner_id=image.owner_id, sha256=image.sha256)
    # Only the id: nearly every upload is new, and building the query for a
    # whole row costs the request about a millisecond of CPU each time.
    first = mine.order_by(F("trashed_at").asc(nulls_first=True))
    existing_id = first.values_list("pk", flat=True).first()
    if existing_id is not None:
        raise DuplicateImage(Image.objects.get(pk=existing_id))


def _refuse_over_limit(owner: User) -> None:
    allowance = upload_allowance(owner=owner)
    if allowance.reached and allowance.limit is not None:
        raise UploadLimitReached(allowance.limit)


def _without_location(file: File) -> File:
    """The file with its GPS position blanked, the same size, every other byte
    kept (gallery.location)."""
    try:
        data = without_location(_read_all(file))
    except LocationNotRemoved:
        raise ValidationError(
            "This file keeps its location in a way we cannot remove, and you "
            "asked for locations to be removed, so it was not stored.",
            code="location_kept",
        ) from None
    return ContentFile(data, name=file.name)


def _read_all(file: File) -> bytes:
    file.seek(0)
    data: bytes = file.read()
    file.seek(0)
    return data
