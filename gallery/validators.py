"""Upload validation by content: what the bytes are, not what they claim.

Each check raises ValidationError with its own code so that the upload page
can say exactly why a file was refused.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from . import formats  # noqa: F401  (HEIC/HEIF for Pillow)

# Pillow format name → (content type, file extension).
ALLOWED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
    "BMP": ("image/bmp", "bmp"),
    "TIFF": ("image/tiff", "tiff"),
    "HEIF": ("image/heic", "heic"),
    "AVIF": ("image/avif", "avif"),
}
# For <input accept=…>: a hint to the browser's file picker, not a check.
# Extensions too: some pickers do not know HEIC's content type.
ACCEPT_ATTRIBUTE = ",".join(
    [content_type for content_type, _ in ALLOWED_FORMATS.values()]
    + [".heic", ".heif", ".avif"]
)


@dataclass(frozen=True)
class ImageInfo:
    format: str
    content_type: str
    extension: str
    width: int
    height: int


def validate_image_file(file) -> ImageInfo:
    """Check size, real format, pixel count and integrity of an uploaded file."""
    max_bytes = settings.GALLERY_MAX_UPLOAD_MB * 1024 * 1024
    if file.size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if file.size > max_bytes:
        raise ValidationError(
            "The file is %(size)s; the limit is %(limit)s.",
            code="file_too_large",
            params={
                "size": filesizeformat(file.size),
                "limit": filesizeformat(max_bytes),
            },
        )
    file.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own bomb threshold; we apply ours below.
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(file) as image:
                info = _check_header(image)
                _check_decodes(image)
    except PILImage.DecompressionBombError:
        raise ValidationError(
            "The image has far too many pixels to be stored.", code="too_many_pixels"
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(
            "This is not an image we can store. "
            "Use JPEG, HEIC, AVIF, PNG, GIF, WebP, BMP or TIFF.",
            code="not_an_image",
        ) from None
    finally:
        file.seek(0)
    return info


def _check_header(image: PILImage.Image) -> ImageInfo:
    if image.format not in ALLOWED_FORMATS:
        raise ValidationError(
            "%(format)s images are not supported. Use JPEG, HEIC, AVIF, PNG, "
            "GIF, WebP, BMP or TIFF.",
            code="unsupported_format",
            params={"format": image.format or "This kind of"},
        )
    width, height = image.size
    # Checked from the header alone, before any pixel is decoded.
    if width * height > settings.GALLERY_MAX_PIXELS:
        raise ValidationError(
            "The image is %(width)s×%(height)s pixels; the limit is %(limit)s "
            "megapixels.",
            code="too_many_pixels",
            params={
                "width": width,
                "height": height,
                "limit": settings.GALLERY_MAX_PIXELS // 1_000_000,
            },
        )
    if width < 1 or height < 1:
        raise ValidationError("The image has no pixels.", code="empty")
    content_type, extension = ALLOWED_FORMATS[image.format]
    return ImageInfo(image.format, content_type, extension, width, height)


def _check_decodes(image: PILImage.Image) -> None:
    """Decode the pixels to catch truncated or corrupt files."""
    # JPEG can decode at 1/8 scale: every byte is still read, in far less memory.
    image.draft("RGB", (image.width // 8 or 1, image.height // 8 or 1))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(
            "The image is damaged or incomplete (%(reason)s).",
            code="corrupt",
            params={"reason": str(error) or error.__class__.__name__},
        ) from None
