"""Faces: BlazeFace finds them, FaceRes describes them (npm `@vladmandic/human`).

Both networks ship in the npm package that set-up fetched
(gallery.analysis.local.packages) as TensorFlow.js graphs, converted once to
ONNX by gallery.analysis.local.tfjs and cached in ``GALLERY_MODEL_DIR``, like
the object detector.

* BlazeFace (MediaPipe's "back camera" model, for faces at a distance): a
  256x256 RGB picture scaled to [-1, 1] gives, for 896 anchors on a 16x16 and
  an 8x8 grid, a face score (a logit) and the box's centre offset and size in
  input pixels. The picture is letterboxed (scaled to fit, black padding).
* FaceRes: a 224x224 RGB crop (0-255) around one face gives a 1024-d
  descriptor; crops of one person lie close together (cosine), other people
  far (gallery.services.people groups them).

BlazeFace also fires on cat faces and face-like patterns, so the analyzer keeps
only faces inside a detected person (``inside_people``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ...lazy import Lazy
from .model import THREADS, Model, _configured_model_dir, load_onnx
from .packages import HUMAN, package_dir

INPUT_SIZE = 256
# (stride, anchors per cell) of BlazeFace's two output grids, in output order.
GRIDS = ((16, 2), (32, 6))
# A face score from which a face is kept: BlazeFace's scores are modest on
# photos (0.77-0.89 on the sample portraits, 0.3-0.8 in a crowd), and only
# faces inside a detected person count anyway.
SCORE_THRESHOLD = 0.5
NMS_IOU = 0.3
# Faces smaller than this (pixels of the 512 px working copy) carry too little
# detail for a descriptor worth grouping: the sample portraits' descriptors
# kept a cosine of 0.97 to themselves at 56 px, 0.9 at 40, 0.78 at 32 and
# 0.59 at 24, against 0.2-0.4 between the two people.
MIN_DESCRIBED_SIDE = 32
DESCRIPTOR_SIZE = 224
DESCRIPTOR_DIM = 1024
# The face crop shown on the People page (a JPEG of this side).
THUMBNAIL_SIZE = 160
GRAPH_VERSION = 1
DETECTOR_ONNX = f"blazeface-human-{HUMAN.version}-g{GRAPH_VERSION}.onnx"
DESCRIPTOR_ONNX = f"faceres-human-{HUMAN.version}-g{GRAPH_VERSION}.onnx"


@dataclass(frozen=True)
class Face:
    # Box in the coordinates of the image given to detect_faces().
    x: int
    y: int
    w: int
    h: int
    confidence: float

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


# -- the models ---------------------------------------------------------------


def build_detector_bytes(package_root) -> bytes:
    from .tfjs import convert_files

    return convert_files(
        package_dir(package_root) / "models" / "blazeface.json",
        outputs={
            "Identity": "scores16",
            "Identity_2": "boxes16",
            "Identity_1": "scores32",
            "Identity_3": "boxes32",
        },
        graph_name="blazeface",
        producer_version=str(GRAPH_VERSION),
    ).SerializeToString()


def build_descriptor_bytes(package_root) -> bytes:
    from .tfjs import convert_files

    # Only the descriptor: the graph's age and gender heads are left out.
    return convert_files(
        package_dir(package_root) / "models" / "faceres.json",
        outputs={"global_pooling/Mean": "descriptor"},
        graph_name="faceres",
        producer_version=str(GRAPH_VERSION),
    ).SerializeToString()


def load_face_detector(model_dir, package_root, threads: int = THREADS) -> Model:
    return load_onnx(
        model_dir, DETECTOR_ONNX, lambda: build_detector_bytes(package_root), threads
    )


def load_face_descriptor(model_dir, package_root, threads: int = THREADS) -> Model:
    return load_onnx(
        model_dir,
        DESCRIPTOR_ONNX,
        lambda: build_descriptor_bytes(package_root),
        threads,
    )


def _package_root():
    return _configured_model_dir("GALLERY_PACKAGE_DIR")


_detector = Lazy(
    lambda: load_face_detector(_configured_model_dir(), _package_root()),
    DETECTOR_ONNX,
)
_descriptor = Lazy(
    lambda: load_face_descriptor(_configured_model_dir(), _package_root()),
    DESCRIPTOR_ONNX,
)
get_face_detector = _detector.get
get_face_descriptor = _descriptor.get


def reset_face_models() -> None:
    _detector.reset()
    _descriptor.reset()


# -- detection ----------------------------------------------------------------


def anchors() -> np.ndarray:
    """(896, 2) anchor centres in input pixels, in the network's output order."""
    out = []
    for stride, per_cell in GRIDS:
        cells = INPUT_SIZE // stride
        for gy in range(cells):
            for gx in range(cells):
                out += [(stride * (gx + 0.5), stride * (gy + 0.5))] * per_cell
    return np.asarray(out, np.float32)


_ANCHORS = anchors()


def letterbox(img: Image.Image) -> tuple[np.ndarray, float, int, int]:
    """(1, 256, 256, 3) input in [-1, 1], and the scale and padding used."""
    if img.mode != "RGB":
        img = img.convert("RGB")
    w, h = img.size
    scale = INPUT_SIZE / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.float32)
    px, py = (INPUT_SIZE - nw) // 2, (INPUT_SIZE - nh) // 2
    small = img.resize((nw, nh), Image.Resampling.BILINEAR)
    canvas[py : py + nh, px : px + nw] = np.asarray(small, np.float32)
    return (canvas / 127.5 - 1.0)[None], scale, px, py


def decode(
    scores: np.ndarray, boxes: np.ndarray, threshold: float = SCORE_THRESHOLD
) -> np.ndarray:
    """(896,) logits and (896, 16) regressions -> (n, 5) rows of x1, y1, x2,
    y2 (input pixels), score, best first, overlapping boxes suppressed."""
    probability = 1.0 / (1.0 + np.exp(-np.clip(scores, -80, 80)))
    cx = _ANCHORS[:, 0] + boxes[:, 0]
    cy = _ANCHORS[:, 1] + boxes[:, 1]
    half_w, half_h = boxes[:, 2] / 2, boxes[:, 3] / 2
    rows = np.stack(
        [cx - half_w, cy - half_h, cx + half_w, cy + half_h, probability], axis=1
    )
    rows = rows[rows[:, 4] >= threshold]
    rows = rows[np.argsort(-rows[:, 4], kind="stable")]
    kept: list[np.ndarray] = []
    for row in rows:
        if all(_iou(row, other) <= NMS_IOU for other in kept):
            kept.append(row)
    return np.asarray(kept, np.float32).reshape(-1, 5)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def detect_faces(img: Image.Image, model: Model | None = None) -> list[Face]:
    """Faces in ``img`` (any mode), largest first."""
    batch, scale, px, py = letterbox(img)
    s16, b16, s32, b32 = (model or get_face_detector()).session.run(
        ["scores16", "boxes16", "scores32", "boxes32"], {"input": batch}
    )
    rows = decode(
        np.concatenate([s16[0, :, 0], s32[0, :, 0]]), np.concatenate([b16[0], b32[0]])
    )
    w, h = img.size
    faces = []
    for x1, y1, x2, y2, score in rows:
        left = float(np.clip((x1 - px) / scale, 0, w))
        top = float(np.clip((y1 - py) / scale, 0, h))
        right = float(np.clip((x2 - px) / scale, 0, w))
        bottom = float(np.clip((y2 - py) / scale, 0, h))
        if right - left >= 1 and bottom - top >= 1:
            faces.append(
                Face(
                    x=round(left),
                    y=round(top),
                    w=round(right - left),
                    h=round(bottom - top),
                    confidence=round(float(score), 3),
                )
            )
    faces.sort(key=lambda f: f.w * f.h, reverse=True)
    return faces


def inside_people(
    faces: list[Face], people: Sequence[tuple[float, float, float, float]]
) -> list[Face]:
    """The faces whose centre lies in one of the people's boxes (x1, y1, x2, y2)."""
    return [
        f
        for f in faces
        if any(
            x1 <= f.center[0] <= x2 and y1 <= f.center[1] <= y2
            for x1, y1, x2, y2 in people
        )
    ]


# -- description --------------------------------------------------------------


def face_crop(img: Image.Image, face: Face, size: int) -> Image.Image:
    """A square ``size`` crop centred on the face (black beyond the picture)."""
    side = max(face.w, face.h)
    cx, cy = face.center
    box = (
        round(cx - side / 2),
        round(cy - side / 2),
        round(cx - side / 2) + side,
        round(cy - side / 2) + side,
    )
    crop = img.convert("RGB").crop(box)
    return crop.resize((size, size), Image.Resampling.BILINEAR)


def describe_face(
    img: Image.Image, face: Face, model: Model | None = None
) -> list[float]:
    """The face's unit-length 1024-d FaceRes descriptor."""
    crop = np.asarray(face_crop(img, face, DESCRIPTOR_SIZE), np.float32)[None]
    (descriptor,) = (model or get_face_descriptor()).session.run(
        ["descriptor"], {"input": crop}
    )
    vector = descriptor[0]
    vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
    return vector.astype(float).tolist()


def face_thumbnail(img: Image.Image, face: Face) -> bytes:
    """A small JPEG of the face, for the People page."""
    out = io.BytesIO()
    face_crop(img, face, THUMBNAIL_SIZE).save(out, "JPEG", quality=85)
    return out.getvalue()


def describable(face: Face) -> bool:
    return min(face.w, face.h) >= MIN_DESCRIBED_SIDE
