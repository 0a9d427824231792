"""Shared pieces of the offline analyzer's tests: a fresh model cache and
images made in memory."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gallery.analysis.local import LocalAnalyzer, detect, faces
from gallery.analysis.local import model as model_mod


@pytest.fixture(scope="module")
def offline_model_dir(tmp_path_factory):
    # A fresh cache dir for the module; the process-wide models are reset so
    # they really load from here, and reset again so other modules start clean.
    model_mod.reset_model()
    detect.reset_detector()
    faces.reset_face_models()
    yield tmp_path_factory.mktemp("models")
    model_mod.reset_model()
    detect.reset_detector()
    faces.reset_face_models()


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


def cosine_top1(query: list[float], candidates: list[list[float]]) -> int:
    return int(np.argmax(np.asarray(candidates) @ np.asarray(query)))
