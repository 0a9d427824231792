"""Decode uploaded bytes into a small, upright RGB working copy with Pillow.

Every later step (classifier at 224 px, faces at <= 480 px, colours at 64 px)
needs far fewer pixels than a camera gives, so JPEGs are decoded at a reduced
scale by libjpeg itself (``draft``), which makes a 12-megapixel photo cost
about as much as a 1-megapixel one.
"""

from __future__ import annotations

import contextlib
import io
import warnings

from PIL import Image, ImageOps

from ...imaging import to_rgb
from ..base import AnalysisError

# Longest side of the working copy handed to the analysis steps.
WORK_SIZE = 512
# JPEGs are decoded at a reduced scale, but never below this longer side.
MIN_DECODE_SIZE = 448
# Refuse absurd pixel counts before decoding (uploads are checked earlier, but
# the analyzer may be called on anything).
MAX_PIXELS = 100_000_000


def working_copy(rgb: Image.Image, work_size: int = WORK_SIZE) -> Image.Image:
    """An upright RGB image shrunk so that its longer side <= work_size."""
    if max(rgb.size) > work_size:
        rgb = rgb.copy()
        rgb.thumbnail((work_size, work_size), Image.Resampling.BILINEAR, 2.0)
    return rgb


def _invalid(message: str) -> AnalysisError:
    return AnalysisError(message, retryable=False, code="invalid_image")


def decode(data: bytes, work_size: int = WORK_SIZE) -> Image.Image:
    """Decode ``data`` into an upright RGB image whose longer side <= work_size.

    Raises AnalysisError(retryable=False) for anything Pillow cannot decode.
    """
    if not data:
        raise _invalid("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > MAX_PIXELS:
                raise _invalid("The image has too many pixels to analyse.")
            if img.format == "JPEG":
                # libjpeg scales by 1/2, 1/4 or 1/8 while decoding, far cheaper
                # than decoding everything and resizing. Take the strongest
                # reduction that keeps the longer side >= MIN_DECODE_SIZE.
                w, h = img.size
                s = next(
                    s
                    for s in (8, 4, 2, 1)
                    if max(w, h) // s >= MIN_DECODE_SIZE or s == 1
                )
                img.draft("RGB", (max(1, w // s), max(1, h // s)))
            img.load()
            upright: Image.Image = img
            with contextlib.suppress(Exception):  # broken EXIF: keep as stored
                upright = ImageOps.exif_transpose(img)
            return working_copy(to_rgb(upright), work_size)
    except AnalysisError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _invalid("The image has too many pixels to analyse.") from exc
    except Exception as exc:  # Pillow raises many types for bad data
        raise _invalid(f"The image could not be decoded: {exc}") from exc
