"""The sample photos in gallery/tests/data/photos (see the README there)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

PHOTOS = Path(__file__).with_name("data") / "photos"


def photo_bytes(name: str) -> bytes:
    return (PHOTOS / name).read_bytes()


def two_people_bytes() -> bytes:
    """The astronaut and the cameraman side by side: two people."""
    left = Image.open(PHOTOS / "astronaut.jpg").convert("RGB")
    right = Image.open(PHOTOS / "cameraman.jpg").convert("RGB")
    both = Image.new("RGB", (left.width + right.width, max(left.height, right.height)))
    both.paste(left, (0, 0))
    both.paste(right, (left.width, 0))
    out = io.BytesIO()
    both.save(out, "JPEG", quality=90)
    return out.getvalue()
