"""Removing where a photo was taken from the original, and nothing else.

For owners who ask for it (the profile's "remove location from originals on
upload"), the EXIF GPS block is blanked where it lies in the file: its entries
and the values they point to become zeros, which reads as an empty GPS block,
and every other byte stays as it was (no re-encoding, the same length). JPEG,
HEIC, AVIF, WebP, PNG and TIFF all carry EXIF as one TIFF-structured block, so
one routine serves them all; PNG chunks get their checksums again. GPS values
in an XMP packet (``exif:GPSLatitude`` …) are blanked with spaces the same way.
"""

from __future__ import annotations

import io
import re
import struct
import zlib

from PIL import Image as PILImage

from . import formats  # noqa: F401  (HEIC/HEIF for Pillow)
from .camera import GPS_IFD, camera_metadata

TIFF_HEADERS = (b"II*\x00", b"MM\x00*")
# Bytes per value of each TIFF field type (1 BYTE … 12 DOUBLE).
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
GPS_TAGS = range(0, 0x20)  # GPSVersionID … GPSHPositioningError
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_XMP_GPS = re.compile(
    rb"(exif:GPS[A-Za-z]*(?:=\"|>))([^\"<]*)",
)


class LocationNotRemoved(Exception):
    """The file still tells where it was taken after blanking (an unusual layout)."""


def without_location(data: bytes) -> bytes:
    """``data`` with its GPS position blanked; raises LocationNotRemoved when
    the result would still carry one."""
    out = bytearray(data)
    for start in _exif_starts(data):
        _blank_gps_block(out, start)
    if b"exif:GPS" in out:
        out = bytearray(_XMP_GPS.sub(lambda m: m[1] + b" " * len(m[2]), bytes(out)))
    if out.startswith(PNG_SIGNATURE):
        _fix_png_checksums(out, data)
    result = bytes(out)
    with PILImage.open(io.BytesIO(result)) as image:
        if camera_metadata(image).has_location:
            raise LocationNotRemoved()
    return result


def _exif_starts(data: bytes) -> list[int]:
    """Where EXIF blocks (a TIFF header) start in the file."""
    starts = [0] if data[:4] in TIFF_HEADERS else []
    with PILImage.open(io.BytesIO(data)) as image:
        blob = image.info.get("exif") or b""
    at = min((i for i in (blob.find(h) for h in TIFF_HEADERS) if i >= 0), default=-1)
    if at < 0:
        return starts
    # The header and the offset of the first directory, as they are in the file.
    prefix = blob[at : at + 8]
    found = data.find(prefix)
    while found >= 0:
        starts.append(found)
        found = data.find(prefix, found + 1)
    return starts


def _blank_gps_block(out: bytearray, start: int) -> None:
    order = "<" if out[start : start + 2] == b"II" else ">"

    def read(fmt: str, offset: int) -> int:
        position = start + offset
        size = struct.calcsize(fmt)
        if offset < 0 or position + size > len(out):
            raise IndexError
        return struct.unpack_from(order + fmt, out, position)[0]

    try:
        first = read("I", 4)
        gps = next(
            (
                read("I", first + 2 + 12 * n + 8)
                for n in range(min(read("H", first), 1000))
                if read("H", first + 2 + 12 * n) == GPS_IFD
            ),
            None,
        )
        if gps is None:
            return
        count = read("H", gps)
        entries = []
        for n in range(count):
            entry = gps + 2 + 12 * n
            tag, kind, values = (
                read("H", entry),
                read("H", entry + 2),
                read("I", entry + 4),
            )
            if tag not in GPS_TAGS or kind not in TYPE_SIZES:
                return  # not a GPS directory after all: leave these bytes alone
            entries.append((entry, TYPE_SIZES[kind] * values))
        for entry, size in entries:
            if size > 4:
                offset = read("I", entry + 8)
                read("B", offset + size - 1)  # in bounds
                out[start + offset : start + offset + size] = bytes(size)
        end = gps + 2 + 12 * count + 4
        read("B", end - 1)
        out[start + gps : start + end] = bytes(end - gps)
    except (IndexError, struct.error):
        return


def _fix_png_checksums(out: bytearray, original: bytes) -> None:
    """New checksums for the chunks whose bytes were changed."""
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(out):
        length = int.from_bytes(out[position : position + 4], "big")
        end = position + 8 + length
        if end + 4 > len(out):
            return
        if out[position + 4 : end] != original[position + 4 : end]:
            checksum = zlib.crc32(out[position + 4 : end])
            out[end : end + 4] = checksum.to_bytes(4, "big")
        if out[position + 4 : position + 8] == b"IEND":
            return
        position = end + 4
