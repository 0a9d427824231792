"""ZIP archives of originals, streamed: one chunk at a time, never a whole
file (let alone every file) in memory.

zipfile writes to any object with ``write``; without ``tell`` it uses data
descriptors after each member instead of seeking back, which is what lets the
archive leave as it is made. Photos are already compressed, so members are
stored, not deflated.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils import timezone

from .models import Image

CHUNK = 1024 * 1024


class _Outbox:
    """A write-only file whose written bytes are collected for the stream."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        chunks, self._chunks = self._chunks, []
        yield from chunks


def member_names(images: Iterable[Image]) -> list[str]:
    """Each image's original name, numbered where two would collide."""
    seen: set[str] = set()
    names = []
    for image in images:
        name = image.original_filename or f"{image.pk}"
        stem, dot, extension = name.rpartition(".")
        if not dot:
            stem, extension = name, ""
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{stem} ({n}){dot}{extension}"
        seen.add(candidate.lower())
        names.append(candidate)
    return names


def zip_stream(images: list[Image]) -> Iterator[bytes]:
    """The bytes of a ZIP of the images' originals, as they are read."""
    outbox = _Outbox()
    sink: Any = outbox  # write-only on purpose: zipfile then streams
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for image, name in zip(images, member_names(images), strict=True):
            taken = timezone.localtime(image.created_at)
            info = zipfile.ZipInfo(name, date_time=taken.timetuple()[:6])
            with (
                image.file.open("rb") as source,
                archive.open(info, "w", force_zip64=True) as member,
            ):
                while chunk := source.read(CHUNK):
                    member.write(chunk)
                    yield from outbox.drain()
            yield from outbox.drain()
    yield from outbox.drain()
