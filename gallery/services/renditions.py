"""Renditions: made from the original's upright pixels, written, recorded on
the row; the objects they replace are deleted once the row no longer names
them. The one home for storing renditions (the worker, the audit's repairs
and ``reanalyze --renditions`` all come here)."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image as PILImage

from ..imaging import (
    RENDITION_EXTENSION,
    RENDITION_SIZES,
    decode_upright,
    renditions_of,
)
from ..models import Image
from ..storage import read_object
from .deletion import objects_delete

logger = logging.getLogger(__name__)


def renditions_store(*, image: Image, pixels: PILImage.Image) -> bool:
    """Write every rendition of RENDITION_SIZES, then record them on the row.

    ``pixels`` are the upright picture (gallery.imaging.decode_upright). On
    failure the row is left as it was and what was written for it is removed;
    renditions it replaces (older JPEGs) are removed once it is recorded.
    True when the renditions are stored and recorded.
    """
    before = {name: getattr(image, name).name or "" for name in RENDITION_SIZES}
    written: list[str] = []
    try:
        made = renditions_of(pixels, size=(image.width, image.height))
        for name, content in made.items():
            field = getattr(image, name)
            field.save(
                f"{image.id}.{RENDITION_EXTENSION}", ContentFile(content), save=False
            )
            written.append(field.name)
    except Exception:
        logger.exception("Could not make the renditions of %s", image.id)
        for name, key in before.items():
            setattr(image, name, key)
        objects_delete(names=[key for key in written if key not in before.values()])
        return False
    recorded = Image.objects.filter(pk=image.pk).update(
        **{name: getattr(image, name).name for name in RENDITION_SIZES}
    )
    if not recorded:
        # Deleted meanwhile: its deletion could not know about these objects.
        objects_delete(names=written)
        return False
    _delete_later([key for key in before.values() if key and key not in written])
    return True


def image_renditions_rebuild(*, image: Image) -> Image:
    """Make the renditions again from the stored original, replacing any
    (older JPEG renditions included).

    When the original cannot be read or decoded, the renditions are cleared
    and removed: pages then show the original's URL, and the audit reports a
    missing original.
    """
    try:
        pixels = decode_upright(
            read_object(image.file.name), min_side=RENDITION_SIZES["preview"]
        )
    except Exception:
        logger.exception("Could not read the original of %s", image.id)
        pixels = None
    if pixels is not None and renditions_store(image=image, pixels=pixels):
        return image
    stale = [field.name for field in image.renditions if field]
    for name in RENDITION_SIZES:
        setattr(image, name, "")
    Image.objects.filter(pk=image.pk).update(**dict.fromkeys(RENDITION_SIZES, ""))
    _delete_later(stale)
    return image


def _delete_later(names: list[str]) -> None:
    """Remove objects the row stopped naming, once that has committed."""
    if names:
        transaction.on_commit(lambda: objects_delete(names=names))
