"""Shared pieces of the offline analyzer's tests: a fresh model cache and
images made in memory (faces drawn well enough for OpenCV's cascade)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from gallery.analysis.local import LocalAnalyzer, detect
from gallery.analysis.local import model as model_mod


@pytest.fixture(scope="module")
def offline_model_dir(tmp_path_factory):
    # A fresh cache dir for the module; the process-wide models are reset so
    # they really load from here, and reset again so other modules start clean.
    model_mod.reset_model()
    detect.reset_detector()
    yield tmp_path_factory.mktemp("models")
    model_mod.reset_model()
    detect.reset_detector()


@pytest.fixture
def offline_settings(settings, offline_model_dir):
    settings.GALLERY_MODEL_DIR = offline_model_dir
    settings.GALLERY_ANALYZER = "local"


@pytest.fixture(scope="module")
def analyzer() -> LocalAnalyzer:
    return LocalAnalyzer()


def encode(img: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def draw_face(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    """A simple frontal face: enough structure for the Haar cascade."""
    d.ellipse((cx - r, cy - 1.25 * r, cx + r, cy + 1.25 * r), fill=(224, 172, 140))
    d.chord((cx - 1.05 * r, cy - 1.35 * r, cx + 1.05 * r, cy - 0.2 * r), 180, 360,
            fill=(60, 40, 30))  # fmt: skip
    for side in (-1, 1):
        ex, ey = cx + side * 0.4 * r, cy - 0.15 * r
        d.ellipse(
            (ex - 0.22 * r, ey - 0.1 * r, ex + 0.22 * r, ey + 0.1 * r), fill="white"
        )
        d.ellipse((ex - 0.09 * r, ey - 0.09 * r, ex + 0.09 * r, ey + 0.09 * r),
                  fill=(40, 30, 20))  # fmt: skip
        d.line((ex - 0.25 * r, ey - 0.28 * r, ex + 0.25 * r, ey - 0.3 * r),
               fill=(70, 50, 40), width=max(2, int(0.07 * r)))  # fmt: skip
    d.polygon([(cx, cy - 0.05 * r), (cx - 0.12 * r, cy + 0.35 * r),
               (cx + 0.12 * r, cy + 0.35 * r)], fill=(200, 145, 115))  # fmt: skip
    d.ellipse(
        (cx - 0.32 * r, cy + 0.55 * r, cx + 0.32 * r, cy + 0.72 * r), fill=(170, 80, 80)
    )


def faces_image(n: int, bw: bool = False) -> Image.Image:
    img = Image.new("RGB", (640, 480), (120, 140, 160))
    d = ImageDraw.Draw(img)
    if n == 1:
        draw_face(d, 320, 240, 90)
    else:
        draw_face(d, 200, 240, 80)
        draw_face(d, 450, 230, 85)
    img = img.filter(ImageFilter.GaussianBlur(2))
    return img.convert("L").convert("RGB") if bw else img


def cosine_top1(query: list[float], candidates: list[list[float]]) -> int:
    return int(np.argmax(np.asarray(candidates) @ np.asarray(query)))
