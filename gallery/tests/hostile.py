"""A corpus of hostile and unusual files, built in code (no binary fixtures).

Used by the upload tests and by ``make bench-hostile``.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

from PIL import Image as PILImage

from gallery import formats  # noqa: F401  (HEIC/HEIF for Pillow)


def encoded(image: PILImage.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def noise(size=(160, 120), seed_angle: int = 0) -> PILImage.Image:
    # Noise compresses badly, so a cut lands inside pixel data, not padding.
    return PILImage.effect_noise(size, 60).convert("RGB").rotate(seed_angle)


def frames(count: int = 3) -> list[PILImage.Image]:
    return [noise(seed_angle=90 * n) for n in range(count)]


def still_images() -> dict[str, bytes]:
    picture = noise()
    return {
        "baseline.jpg": encoded(picture, "JPEG"),
        "progressive.jpg": encoded(picture, "JPEG", progressive=True),
        "picture.png": encoded(picture, "PNG"),
        "picture.gif": encoded(picture.convert("P"), "GIF"),
        "picture.webp": encoded(picture, "WEBP"),
        "picture.bmp": encoded(picture, "BMP"),
        "picture.tiff": encoded(picture, "TIFF"),
        # Phone formats: HEIC (pillow-heif) and AVIF (Pillow's own).
        "picture.heic": encoded(picture, "HEIF"),
        "picture.avif": encoded(picture, "AVIF"),
    }


def animated_images() -> dict[str, bytes]:
    first, *rest = frames()
    return {
        "animated.gif": encoded(
            first.convert("P"),
            "GIF",
            save_all=True,
            append_images=[f.convert("P") for f in rest],
        ),
        "animated.png": encoded(first, "PNG", save_all=True, append_images=rest),
        "animated.webp": encoded(first, "WEBP", save_all=True, append_images=rest),
        "pages.tiff": encoded(first, "TIFF", save_all=True, append_images=rest),
    }


def cut_offsets(length: int, *, padded: bool = False) -> list[int]:
    """Where to cut a file: inside the header, through the data, and at the end.

    Pillow pads a TIFF's end with four bytes no page uses: cutting those
    leaves a whole image.
    """
    fixed = [1, 2, 4, 8, 12, 16, 26, 64, 100]
    fractions = [length * n // 10 for n in range(1, 10)]
    tail = [length - 12] + ([length - 6] if padded else [length - 2, length - 1])
    return sorted({n for n in fixed + fractions + tail if 0 < n < length})


def truncations() -> Iterator[tuple[str, bytes]]:
    for name, data in {**still_images(), **animated_images()}.items():
        for offset in cut_offsets(len(data), padded=name.endswith(".tiff")):
            yield f"{name} cut at {offset}", data[:offset]


def png_without_iend() -> bytes:
    data = encoded(noise(), "PNG")
    assert data.endswith(b"IEND\xaeB`\x82")
    return data[:-12]


def gif_without_trailer() -> bytes:
    data = encoded(noise().convert("P"), "GIF")
    assert data.endswith(b";")
    return data[:-1]


def mode_images() -> dict[str, bytes]:
    """Every Pillow mode a supported format can hold."""
    size = (64, 48)
    made = {
        "bits.png": encoded(PILImage.new("1", size, 1), "PNG"),
        "grey.png": encoded(PILImage.new("L", size, 90), "PNG"),
        "palette.png": encoded(PILImage.new("P", size, 3), "PNG"),
        "grey16.png": encoded(PILImage.new("I;16", size, 40000), "PNG"),
        "grey-alpha.png": encoded(PILImage.new("LA", size, (90, 128)), "PNG"),
        "rgba.png": encoded(PILImage.new("RGBA", size, (9, 90, 200, 60)), "PNG"),
        "grey16-big-endian.tiff": encoded(PILImage.new("I;16B", size), "TIFF"),
        "int32.tiff": encoded(PILImage.new("I", size, 70000), "TIFF"),
        "float.tiff": encoded(PILImage.new("F", size, 0.5), "TIFF"),
        "cmyk.tiff": encoded(PILImage.new("CMYK", size, (0, 90, 90, 0)), "TIFF"),
        "ycbcr.tiff": encoded(PILImage.new("YCbCr", size, (90, 120, 130)), "TIFF"),
        "lab.tiff": encoded(PILImage.new("LAB", size, (50, 10, 10)), "TIFF"),
        "palette-alpha.tiff": encoded(PILImage.new("PA", size, (3, 128)), "TIFF"),
        "cmyk.jpg": encoded(PILImage.new("CMYK", size, (0, 90, 90, 0)), "JPEG"),
        "grey.jpg": encoded(PILImage.new("L", size, 90), "JPEG"),
        "rgba.webp": encoded(PILImage.new("RGBA", size, (9, 90, 200, 60)), "WEBP"),
        "bits.bmp": encoded(PILImage.new("1", size, 1), "BMP"),
        "palette.gif": encoded(PILImage.new("P", size, 3), "GIF"),
    }
    return made


def png_16bit_rgba(width: int, height: int) -> bytes:
    """A 16-bit RGBA PNG of zeros: tiny on disk, eight bytes a pixel decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    packer = zlib.compressobj(1)
    row = b"\0" * (1 + width * 8)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", body)
        + chunk(b"IEND", b"")
    )


POLYGLOT_TAIL = b"<html><script>alert(document.domain)</script></html>"


def polyglot_jpeg() -> bytes:
    """A valid JPEG with an HTML page after its end marker."""
    return encoded(noise(), "JPEG") + POLYGLOT_TAIL
