"""Pillow helpers shared by uploads and analysis: one home for pixel conversions."""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image as PILImage
from PIL import ImageOps

from . import formats  # noqa: F401  (HEIC/HEIF for Pillow)

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
        current = to_rgb(current)
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


def to_rgb(image: PILImage.Image) -> PILImage.Image:
    """Any Pillow mode as 8-bit RGB, as a viewer would show it.

    Transparency is composited over white; deep greyscale (16-bit, 32-bit
    integer, float) is scaled to 8 bits by its range instead of clipped.
    """
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I;16") or mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if mode == "F":
            low = float(np.nanmin(values, initial=0.0))
            values = values - low
            top = max(float(np.nanmax(values, initial=0.0)), 1e-9)
        else:
            deep = mode.startswith("I;16") or values.max(initial=0) > 255
            top = 65535.0 if deep else 255.0
        scaled = np.clip(np.nan_to_num(values) * (255.0 / top), 0, 255)
        return PILImage.fromarray(scaled.astype(np.uint8), "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        mode == "P" and "transparency" in image.info
    ):
        if mode == "La":  # premultiplied: Pillow converts it only to LA
            image = image.convert("LA")
        rgba = image.convert("RGBA")
        background = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    return image.convert("RGB")  # L, 1, P, CMYK, YCbCr, LAB, HSV, RGBX…
