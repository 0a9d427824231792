"""Upload validation by content: what the bytes are, not what they claim.

Each check raises ValidationError with its own code so that the upload page
can say exactly why a file was refused. Pillow parses untrusted bytes, so
every exception it raises, whatever its type, becomes a refusal of that one
file in our words: nothing a file contains can turn into a server error.

The work done for one file is bounded before any pixel is decoded: the byte
size, the pixel count and the decode budget (pixels × bytes per pixel of the
decoded mode, summed over every frame, ``GALLERY_MAX_DECODE_MB``) are read
from the headers first.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

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
SUPPORTED = "Use JPEG, HEIC, AVIF, PNG, GIF, WebP, BMP or TIFF."
# Frames or pages checked at most; an image with more is refused.
MAX_FRAMES = 1000
INCOMPLETE = (
    "The file is incomplete: it ends before the image does. "
    "Upload it again, or export it again from the program that made it."
)
DAMAGED = (
    "The image is damaged and cannot be read. "
    "Export it again from the program that made it, or choose another file."
)


@dataclass(frozen=True)
class ImageInfo:
    format: str
    content_type: str
    extension: str
    width: int
    height: int
    frames: int = 1


def validate_image_file(file) -> ImageInfo:
    """Check size, real format, pixel count, decode cost and integrity.

    Every frame or page is decoded once; files that end early (including
    PNGs without their IEND chunk and GIFs without their trailer) are refused
    as incomplete.
    """
    _check_size(file)
    file.seek(0)
    try:
        _check_container_length(file)
        with warnings.catch_warnings():
            # Pillow warns above its own bomb threshold; we apply ours below.
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(file) as image:
                info = _check_header(image)
                frames = _check_frames(image)
        _check_end_marker(file, info.format)
    except ValidationError:
        raise
    except PILImage.DecompressionBombError:
        raise ValidationError(
            "The image has far too many pixels to be stored.", code="too_many_pixels"
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(
            f"This is not an image we can store. {SUPPORTED}", code="not_an_image"
        ) from None
    except MemoryError:
        raise ValidationError(
            "The image needs more memory to open than this server allows.",
            code="too_costly",
        ) from None
    except Exception as error:
        raise refusal_for(error) from None
    finally:
        file.seek(0)
    return ImageInfo(
        info.format, info.content_type, info.extension, info.width, info.height, frames
    )


def refusal_for(error: Exception) -> ValidationError:
    """Pillow's many failures, in our words: incomplete, or damaged."""
    text = str(error).lower()
    if isinstance(error, EOFError) or any(
        word in text for word in ("truncated", "end of file", "premature", "short")
    ):
        return ValidationError(INCOMPLETE, code="incomplete")
    return ValidationError(DAMAGED, code="corrupt")


def _check_size(file) -> None:
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


def _check_header(image: PILImage.Image) -> ImageInfo:
    if image.format not in ALLOWED_FORMATS:
        raise ValidationError(
            f"%(format)s images are not supported. {SUPPORTED}",
            code="unsupported_format",
            params={"format": image.format or "This kind of"},
        )
    width, height = image.size
    if width < 1 or height < 1:
        raise ValidationError("The image has no pixels.", code="empty")
    _check_pixels(image)
    content_type, extension = ALLOWED_FORMATS[image.format]
    return ImageInfo(image.format, content_type, extension, width, height)


def _check_pixels(image: PILImage.Image) -> None:
    """Refuse, from the header alone, a frame too large to decode."""
    width, height = image.size
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


def decode_cost(image: PILImage.Image) -> int:
    """Bytes that decoding the current frame needs: pixels × bytes per pixel.

    Bytes per pixel are those of Pillow's decoded mode (RGB is stored in four
    bytes) or of the file's samples when they are wider (16-bit RGBA: eight).
    """
    width, height = image.size
    return width * height * max(_mode_bytes(image.mode), _sample_bytes(image))


def _mode_bytes(mode: str) -> int:
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def _sample_bytes(image: PILImage.Image) -> int:
    bits = 8
    for tile in getattr(image, "tile", None) or ():
        rawmode = tile[3][0] if isinstance(tile[3], tuple) and tile[3] else tile[3]
        if isinstance(rawmode, str) and "16" in rawmode:
            bits = 16
    if bits == 8:
        return 0
    return len(image.getbands()) * bits // 8


def _check_frames(image: PILImage.Image) -> int:
    """Decode every frame or page; refuse when their total cost passes the budget."""
    budget = settings.GALLERY_MAX_DECODE_MB * 1024 * 1024
    spent = 0
    frame = 0
    while True:
        _check_pixels(image)
        spent += decode_cost(image)
        if spent > budget:
            raise ValidationError(
                "Opening this image would need about %(needed)s of memory; "
                "the limit is %(limit)s. Use a smaller or 8-bit version.",
                code="too_costly",
                params={
                    "needed": filesizeformat(spent),
                    "limit": filesizeformat(budget),
                },
            )
        if frame == 0 and image.format == "JPEG":
            # JPEG decodes at 1/8 scale: every byte is still read, in far
            # less memory.
            image.draft("RGB", (image.width // 8 or 1, image.height // 8 or 1))
        image.load()
        frame += 1
        if not getattr(image, "is_animated", False):
            return frame
        if frame >= MAX_FRAMES:
            raise ValidationError(
                "The image has more than %(limit)s frames.",
                code="too_many_frames",
                params={"limit": MAX_FRAMES},
            )
        try:
            image.seek(frame)
        except EOFError:
            return frame


def _check_container_length(file) -> None:
    """A WebP says its own length: one cut anywhere is told apart from damage."""
    head = file.read(12)
    file.seek(0)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
        if int.from_bytes(head[4:8], "little") + 8 > size:
            raise ValidationError(INCOMPLETE, code="incomplete")


def _check_end_marker(file, fmt: str) -> None:
    """Pillow stops reading at the last frame; the file must still end properly."""
    if fmt == "PNG" and not _png_is_complete(file):
        raise ValidationError(INCOMPLETE, code="incomplete")
    if fmt == "GIF" and not _gif_is_complete(file):
        raise ValidationError(INCOMPLETE, code="incomplete")
    if fmt == "TIFF" and not _tiff_is_complete(file):
        raise ValidationError(INCOMPLETE, code="incomplete")


def _png_is_complete(file) -> bool:
    """Walk the chunks up to IEND (bytes after it are ignored)."""
    file.seek(8)
    while True:
        head = file.read(8)
        if len(head) < 8:
            return False
        length = int.from_bytes(head[:4], "big")
        if head[4:8] == b"IEND":
            return len(file.read(4)) == 4
        file.seek(length + 4, 1)


def _gif_is_complete(file) -> bool:
    """Walk the blocks up to the trailer (bytes after it are ignored)."""
    file.seek(0)
    header = file.read(13)
    if len(header) < 13:
        return False
    if header[10] & 0x80:
        file.seek(3 * (2 << (header[10] & 7)), 1)
    while True:
        kind = file.read(1)
        if kind == b";":
            return True
        if kind == b"!":
            if len(file.read(1)) < 1 or not _skip_sub_blocks(file):
                return False
        elif kind == b",":
            descriptor = file.read(9)
            if len(descriptor) < 9:
                return False
            if descriptor[8] & 0x80:
                file.seek(3 * (2 << (descriptor[8] & 7)), 1)
            if len(file.read(1)) < 1 or not _skip_sub_blocks(file):
                return False
        else:
            return False


def _skip_sub_blocks(file) -> bool:
    while True:
        size = file.read(1)
        if not size:
            return False
        if size == b"\0":
            return True
        if len(file.read(size[0])) < size[0]:
            return False


def _tiff_is_complete(file) -> bool:
    """Every page's directory, strips and tiles lie wholly inside the file.

    Pillow takes a directory chain that points past the end of the file for
    its last page, so a multi-page TIFF cut after its first page would pass.
    """
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    header = file.read(16)
    order: Literal["little", "big"] = "little" if header[:2] == b"II" else "big"
    big = int.from_bytes(header[2:4], order) == 43  # BigTIFF
    word, count_size, entry_size = (8, 8, 20) if big else (4, 2, 12)
    offset = int.from_bytes(header[8:16] if big else header[4:8], order)
    for _ in range(MAX_FRAMES):
        if offset == 0:
            return True
        file.seek(offset)
        directory = file.read(count_size)
        entries = int.from_bytes(directory, order)
        length = count_size + entries * entry_size + word
        directory += file.read(length - count_size)
        if len(directory) < length:
            return False
        values: dict[int, list[int]] = {}
        for index in range(entries):
            entry = directory[count_size + index * entry_size :][:entry_size]
            tag = int.from_bytes(entry[:2], order)
            if tag in _TIFF_DATA_TAGS:
                values[tag] = _tiff_values(file, entry, order, word)
        for starts_tag, counts_tag in ((273, 279), (324, 325)):
            spans = zip(
                values.get(starts_tag, []), values.get(counts_tag, []), strict=False
            )
            if any(start + count > size for start, count in spans):
                return False
        offset = int.from_bytes(directory[-word:], order)
    return False


# StripOffsets, StripByteCounts, TileOffsets, TileByteCounts.
_TIFF_DATA_TAGS = (273, 279, 324, 325)
# TIFF field types: SHORT, LONG, LONG8.
_TIFF_TYPE_SIZES = {3: 2, 4: 4, 16: 8}


def _tiff_values(file, entry: bytes, order: Literal["little", "big"], word: int):
    width = _TIFF_TYPE_SIZES.get(int.from_bytes(entry[2:4], order))
    if width is None:
        return []
    count = min(int.from_bytes(entry[4 : 4 + word], order), 1 << 20)
    inline = entry[4 + word :]
    if count * width <= word:
        raw = inline[: count * width]
    else:
        file.seek(int.from_bytes(inline, order))
        raw = file.read(count * width)
    return [
        int.from_bytes(raw[i : i + width], order) for i in range(0, len(raw), width)
    ]
