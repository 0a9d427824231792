"""Pillow helpers shared by uploads and analysis: one home for pixel conversions."""

from __future__ import annotations

import contextlib
import hashlib
import io
from typing import Any

from PIL import Image as PILImage
from PIL import ImageOps

from . import formats  # noqa: F401  (HEIC/HEIF for Pillow)

# Renditions stored beside each original, largest first, each fitting a
# square of this many pixels: the preview is what the viewer and the image's
# page show (originals can be huge, and browsers do not show TIFF); the two
# thumbnails are what the gallery's cards choose from by screen (srcset). See
# the README's "Renditions" for the sizes' reasons and figures.
RENDITION_SIZES = {"preview": 1600, "thumbnail": 480, "thumbnail_small": 240}
# Renditions are WebP at libwebp's effort 2 of 0-6: the default 4 costs about
# half as much time again for 5% fewer bytes (README, "Renditions"). Images
# stored before WebP keep JPEG renditions (the name's extension says which)
# until they are made again.
RENDITION_SAVE: dict[str, Any] = {"format": "WEBP", "quality": 80, "method": 2}
RENDITION_EXTENSION = "webp"


def sha256_of(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def make_renditions(file) -> dict[str, bytes]:
    """RENDITION_SIZES as WebP, upright and in RGB, from one decode."""
    file.seek(0)
    upright = decode_upright(file.read(), min_side=RENDITION_SIZES["preview"])
    file.seek(0)
    return renditions_of(upright)


def rendition_size(width: int, height: int, box: int) -> tuple[int, int]:
    """The size of a rendition of a ``width`` × ``height`` picture that fits a
    ``box`` square: never enlarged, the aspect kept to the nearest pixel.

    Renditions are made at exactly this size, so pages know each one's width
    and height (srcset, the viewer) from the image's own."""
    longer = max(width, height)
    if longer <= box:
        return width, height
    scale = box / longer
    return max(1, round(width * scale)), max(1, round(height * scale))


def renditions_of(
    upright: PILImage.Image,
    *,
    size: tuple[int, int] | None = None,
    save: dict[str, Any] | None = None,
) -> dict[str, bytes]:
    """RENDITION_SIZES as WebP from an upright RGB image (see decode_upright).

    ``size`` is the original's upright size when ``upright`` was decoded at
    a reduced scale: the renditions then have exactly the sizes the image's
    row implies (rendition_size), whatever the decoder's rounding. ``save``
    replaces RENDITION_SAVE's format and options (bench/renditions.py).
    """
    current = upright
    width, height = size or upright.size
    renditions = {}
    for name, box in RENDITION_SIZES.items():
        # Each smaller rendition is made from the one before it.
        target = rendition_size(width, height, box)
        if current.size != target:
            current = current.resize(
                target, PILImage.Resampling.BICUBIC, reducing_gap=2.0
            )
        out = io.BytesIO()
        current.save(out, **(save or RENDITION_SAVE))
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
        import numpy as np  # here only: the web worker's uploads never need it

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
