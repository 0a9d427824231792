"""Pillow helpers shared by uploads and analysis: one home for pixel conversions."""

from __future__ import annotations

import contextlib
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
    upright = decode_upright(file.read(), min_side=max(RENDITION_SIZES["preview"]))
    file.seek(0)
    return renditions_of(upright)


def renditions_of(upright: PILImage.Image) -> dict[str, bytes]:
    """JPEGs of RENDITION_SIZES from an upright RGB image (see decode_upright)."""
    current = upright
    renditions = {}
    for name, size in RENDITION_SIZES.items():
        # Each smaller rendition is made from the one before it.
        current = current.copy()
        current.thumbnail(size)
        out = io.BytesIO()
        current.save(out, "JPEG", quality=82, optimize=True)
        renditions[name] = out.getvalue()
    return renditions


def decode_upright(data: bytes, *, min_side: int) -> PILImage.Image:
    """Decode ``data`` once into upright 8-bit RGB.

    JPEGs are decoded at the strongest reduction libjpeg offers (1/2, 1/4,
    1/8) that keeps the longer side at least ``min_side``, far cheaper than
    decoding everything and resizing; other formats at full size. Broken EXIF
    leaves the image as stored. Raises what Pillow raises for bad data.
    """
    with PILImage.open(io.BytesIO(data)) as image:
        width, height = image.size
        longer = max(width, height)
        if longer > min_side:
            ratio = min_side / longer
            image.draft(
                "RGB", (max(1, int(width * ratio)), max(1, int(height * ratio)))
            )
        image.load()
        upright: PILImage.Image = image
        with contextlib.suppress(Exception):
            upright = ImageOps.exif_transpose(image)
        rgb = to_rgb(upright)
        if rgb is image:
            rgb = image.copy()  # outlive the file it was decoded from
        return rgb


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
