"""Uploads: validate, store and record a file, without ever half-writing it."""

from __future__ import annotations

import logging
import os
import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction

from ..camera import image_fields, read_camera_metadata, upright_size
from ..imaging import make_renditions, sha256_of
from ..models import Image
from ..selectors import upload_allowance
from ..storage import delete_objects
from ..validators import refusal_for, validate_image_file
from .analysis import image_analysis_schedule
from .indexing import image_index

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
        super().__init__("You already have this image.")
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


def image_upload(*, owner: User, file: File) -> Image:
    """Validate, store and record one uploaded file, then analyse it.

    Raises ValidationError for a file that is not an acceptable image and
    UploadRefused (UploadLimitReached, DuplicateImage, StorageUnavailable)
    for a valid image that cannot be stored.
    """
    # Before any pixel is decoded: a user at the cap is answered at once.
    # (Checked again under the lock below, where parallel uploads count.)
    allowance = upload_allowance(owner=owner)
    if allowance.reached and allowance.limit is not None:
        raise UploadLimitReached(allowance.limit)
    info = validate_image_file(file)
    camera = read_camera_metadata(file)
    width, height = upright_size((info.width, info.height), camera.orientation)
    image = Image(
        owner=owner,
        original_filename=clean_filename(file.name or ""),
        content_type=info.content_type,
        size_bytes=file.size,
        width=width,
        height=height,
        sha256=sha256_of(file),
        **image_fields(camera),
    )
    try:
        renditions = make_renditions(file)
    except Exception as error:
        # The file passed validation but Pillow cannot turn it into a JPEG.
        logger.warning("Renditions of %s failed: %r", image.id, error)
        raise refusal_for(error) from None
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
                for name, data in renditions.items():
                    field = getattr(image, name)
                    field.save(f"{image.id}.jpg", ContentFile(data), save=False)
                    stored.append(field.name)
            except Exception as error:
                logger.exception("Storing image %s failed", image.id)
                raise StorageUnavailable() from error
            image.full_clean()
            image.save(force_insert=True)
            # Findable by its file name from now on, analysed or not.
            image_index(image=image)
    except BaseException:
        # No row was committed: remove whatever reached storage.
        delete_objects(stored)
        raise
    image_analysis_schedule(image=image, data=_read_all(file))
    return image


def _refuse_duplicate_or_over_limit(image: Image) -> None:
    mine = Image.objects.filter(owner_id=image.owner_id)
    existing = mine.filter(sha256=image.sha256).first()
    if existing is not None:
        raise DuplicateImage(existing)
    allowance = upload_allowance(owner=image.owner)
    if allowance.reached and allowance.limit is not None:
        raise UploadLimitReached(allowance.limit)


def _read_all(file: File) -> bytes:
    file.seek(0)
    data: bytes = file.read()
    file.seek(0)
    return data


def image_renditions_rebuild(*, image: Image) -> Image:
    """Make the preview and thumbnail again from the stored original.

    Existing renditions are replaced. When the original cannot be read, the
    fields are cleared: pages then show the original's URL, and the audit
    reports the missing original.
    """
    try:
        with image.file.open("rb") as original:
            renditions = make_renditions(original)
        for name, data in renditions.items():
            field = getattr(image, name)
            if field:
                field.storage.delete(field.name)
            field.save(f"{image.id}.jpg", ContentFile(data), save=False)
    except Exception:
        logger.exception("Could not rebuild the renditions of %s", image.id)
        image.preview = image.thumbnail = ""
    Image.objects.filter(pk=image.pk).update(
        preview=image.preview.name or "", thumbnail=image.thumbnail.name or ""
    )
    return image
