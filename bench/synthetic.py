"""Deterministic synthetic images, made in memory with numpy + Pillow only.

Shared by ``bench/make_efficientnet_reference.py`` (which records reference
logits with PyTorch), ``gallery/tests/test_offline_model.py`` (which checks the
ONNX graph against them) and ``bench/analysis.py`` (timings). Changing any
generator invalidates ``gallery/tests/data/efficientnet_reference.json``: the
fixture stores a checksum of every image so the test notices.
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def gradient(size: int = 224) -> Image.Image:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / (size - 1)
    rgb = np.stack([x, y, 1.0 - (x + y) / 2], axis=-1)
    return Image.fromarray((rgb * 255).round().astype(np.uint8), "RGB")


def shapes(size: int = 224) -> Image.Image:
    img = Image.new("RGB", (size, size), (40, 110, 60))
    d = ImageDraw.Draw(img)
    s = size / 224
    d.ellipse((30 * s, 30 * s, 120 * s, 120 * s), fill=(230, 200, 30))
    d.rectangle((110 * s, 100 * s, 200 * s, 190 * s), fill=(200, 30, 40))
    d.polygon(
        [(20 * s, 200 * s), (90 * s, 140 * s), (150 * s, 210 * s)], fill=(30, 60, 200)
    )
    return img


def checkerboard(size: int = 224, cell: int = 16) -> Image.Image:
    y, x = np.mgrid[0:size, 0:size]
    board = (((x // cell) + (y // cell)) % 2 * 255).astype(np.uint8)
    return Image.fromarray(board, "L").convert("RGB")


def noise(seed: int = 1, size: int = 224) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8), "RGB")


def photo_like(seed: int, width: int = 640, height: int = 480) -> Image.Image:
    """A blurred scene of random shapes over a two-tone gradient, with sensor noise.

    Different seeds give clearly different pictures; the same seed always gives
    the same one.
    """
    rng = np.random.default_rng(seed)
    # Draw at a modest size, then scale up: big images stay cheap to make.
    w0 = min(width, 480)
    h0 = max(1, round(w0 * height / width))
    top, bottom = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0.0, 1.0, h0)[:, None, None]
    bg = (top * (1 - t) + bottom * t).repeat(w0, axis=1)
    img = Image.fromarray(bg.astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(6, 12))):
        x0, y0 = rng.uniform(-0.1, 0.9) * w0, rng.uniform(-0.1, 0.9) * h0
        bw, bh = rng.uniform(0.1, 0.5) * w0, rng.uniform(0.1, 0.5) * h0
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            d.ellipse((x0, y0, x0 + bw, y0 + bh), fill=colour)
        elif kind == 1:
            d.rectangle((x0, y0, x0 + bw, y0 + bh), fill=colour)
        else:
            pts = [(x0 + rng.uniform(0, bw), y0 + rng.uniform(0, bh)) for _ in range(3)]
            d.polygon(pts, fill=colour)
    for _ in range(int(rng.integers(20, 40))):  # thin "detail" lines
        x0, y0, x1, y1 = rng.uniform(0, 1, 4) * [w0, h0, w0, h0]
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        d.line((x0, y0, x1, y1), fill=colour, width=int(rng.integers(1, 4)))
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    if (width, height) != img.size:
        img = img.resize((width, height), Image.Resampling.BICUBIC)
    grain = rng.normal(0.0, 5.0, (height, width, 1)).astype(np.float32)
    arr = np.clip(np.asarray(img, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def jpeg_bytes(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def pixels_sha256(img: Image.Image) -> str:
    return hashlib.sha256(np.asarray(img.convert("RGB")).tobytes()).hexdigest()


# The reference fixture's images: name -> factory. Images of 224 x 224 go to the
# network as they are; "photo_320x240" goes through the crop-and-resize step.
REFERENCE_IMAGES = {
    "gradient": gradient,
    "shapes": shapes,
    "checkerboard": checkerboard,
    "noise": noise,
    "photo_224": lambda: photo_like(7, 224, 224),
    "photo_320x240": lambda: photo_like(11, 320, 240),
}

# The detector's reference fixture (bench/make_centernet_reference.py):
# 512 x 512 images go to the network as they are, others are letterboxed.
DETECTOR_REFERENCE_IMAGES = {
    "shapes_512": lambda: shapes(512),
    "photo_512": lambda: photo_like(5, 512, 512),
    "photo_640x360": lambda: photo_like(9, 640, 360),
}
