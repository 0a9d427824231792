"""Pillow helpers shared by uploads and analysis."""

from __future__ import annotations

import hashlib
import io

from PIL import Image as PILImage
from PIL import ImageOps

THUMBNAIL_SIZE = (480, 480)


def sha256_of(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def make_thumbnail(file) -> bytes:
    """A JPEG no larger than THUMBNAIL_SIZE, upright, in RGB."""
    file.seek(0)
    with PILImage.open(file) as image:
        image.draft("RGB", THUMBNAIL_SIZE)
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail(THUMBNAIL_SIZE)
        if upright.mode != "RGB":
            upright = flatten_to_rgb(upright)
        out = io.BytesIO()
        upright.save(out, "JPEG", quality=82, optimize=True)
    file.seek(0)
    return out.getvalue()


def flatten_to_rgb(image: PILImage.Image) -> PILImage.Image:
    """RGB, with any transparency composited on white."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = PILImage.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits rather than clip.
        return image.point(lambda value: value / 256).convert("RGB")
    return image.convert("RGB")
