"""Pillow helpers shared by uploads and analysis."""

from __future__ import annotations

import hashlib
import io

from PIL import Image as PILImage
from PIL import ImageOps

# Renditions stored beside each original, largest first: the preview is what
# the image's page shows (originals can be huge, and browsers do not show
# TIFF), the thumbnail is what the gallery's cards show.
RENDITION_SIZES = {"preview": (1600, 1600), "thumbnail": (480, 480)}


def sha256_of(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def make_renditions(file) -> dict[str, bytes]:
    """JPEGs of RENDITION_SIZES, upright and in RGB, from one decode."""
    file.seek(0)
    with PILImage.open(file) as image:
        image.draft("RGB", RENDITION_SIZES["preview"])
        current = ImageOps.exif_transpose(image)
        if current.mode != "RGB":
            current = flatten_to_rgb(current)
        renditions = {}
        for name, size in RENDITION_SIZES.items():
            # Each smaller rendition is made from the one before it.
            current = current.copy()
            current.thumbnail(size)
            out = io.BytesIO()
            current.save(out, "JPEG", quality=82, optimize=True)
            renditions[name] = out.getvalue()
    file.seek(0)
    return renditions


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
