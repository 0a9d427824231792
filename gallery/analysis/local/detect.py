"""COCO-80 object detection: the CenterNet of ``@vladmandic/human`` on onnxruntime.

The network (MobileNetV3 + CenterNet head, TensorFlow.js graph, float16
weights) is converted once to ONNX by gallery.analysis.local.tfjs from the
npm files that set-up fetched (gallery.analysis.local.packages) and cached in
``GALLERY_MODEL_DIR``. It takes a 512x512 RGB picture (0-255, no
normalisation) and gives, on a 128x128 grid, a heat map per class
(``keypoints``) and the distances from each cell to its box's four sides
(``wh``). Decoding follows the model's own TensorFlow tail: a cell is a
detection where its score is the maximum of its 3x3 neighbourhood (done in the
graph); the best 100 are kept (numpy). Then we threshold and suppress
overlapping boxes.

Pictures are letterboxed (scaled to fit, padded), not stretched: stretching
turns a cat into a dog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ...lazy import Lazy
from .model import THREADS, Model, _configured_model_dir, load_onnx
from .packages import HUMAN, package_dir

logger = logging.getLogger(__name__)

INPUT_SIZE = 512
STRIDE = 4  # 512 / 128: one heat-map cell per 4x4 pixels
TOP_K = 100
# Grey padding: the mean of the picture would leak its colour into the border.
PAD_VALUE = 114
# Scores are modest for this small model: 0.25 keeps the real objects in our
# checks and drops nearly every ghost.
SCORE_THRESHOLD = 0.25
NMS_IOU = 0.4
# Two labels on (nearly) the same box are two guesses at one object.
SAME_OBJECT_IOU = 0.7
GRAPH_VERSION = 1
ONNX_NAME = f"centernet-human-{HUMAN.version}-g{GRAPH_VERSION}.onnx"

COCO_LABELS = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck",
    "boat", "traffic light", "fire hydrant", "stop sign", "parking meter", "bench",
    "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra",
    "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove",
    "skateboard", "surfboard", "tennis racket", "bottle", "wine glass", "cup",
    "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse",
    "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
)  # fmt: skip


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    # Box in the coordinates of the picture given to detect_objects().
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def area(self) -> float:
        return max(0.0, self.x2 - self.x1) * max(0.0, self.y2 - self.y1)


@dataclass(frozen=True)
class Letterbox:
    scale: float  # input pixels per picture pixel
    pad_x: int
    pad_y: int


def letterbox(img: Image.Image) -> tuple[np.ndarray, Letterbox]:
    """(1, 512, 512, 3) float32 input and how the picture was placed in it."""
    if img.mode != "RGB":
        img = img.convert("RGB")
    w, h = img.size
    scale = INPUT_SIZE / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = img.resize((nw, nh), Image.Resampling.BILINEAR)
    canvas = np.full((INPUT_SIZE, INPUT_SIZE, 3), PAD_VALUE, dtype=np.float32)
    px, py = (INPUT_SIZE - nw) // 2, (INPUT_SIZE - nh) // 2
    canvas[py : py + nh, px : px + nw] = np.asarray(resized, dtype=np.float32)
    return canvas[None], Letterbox(scale, px, py)


def decode(
    peaks: np.ndarray, wh: np.ndarray, k: int = TOP_K, min_score: float = 0.0
) -> np.ndarray:
    """The graph's decode tail in numpy: (k, 6) rows of x1, y1, x2, y2 (in the
    512 input), score, class; best first.

    ``peaks`` is the (128, 128, 80) class heat maps with every cell that is not
    the maximum of its 3x3 neighbourhood set to 0; ``wh`` (128, 128, 4) the
    distances from each cell to its box's left, top, right and bottom sides.
    Rows under ``min_score`` are left out (0 keeps the graph's exact 100).
    """
    _, w, classes = peaks.shape
    flat = peaks.ravel()
    if min_score > 0:
        # Far cheaper than partitioning 1.3 million scores.
        candidates = np.flatnonzero(flat >= min_score)
    else:
        candidates = np.arange(flat.size)
    k = min(k, candidates.size)
    if k == 0:
        return np.zeros((0, 6), np.float32)
    top = candidates[np.argpartition(-flat[candidates], k - 1)[:k]]
    # Ties broken by index, as TensorFlow's TopKV2 does.
    top = top[np.lexsort((top, -flat[top]))]
    cls = top % classes
    cell = top // classes
    y, x = cell // w, cell % w
    d = wh.reshape(-1, 4)[cell]
    cx, cy = x * float(STRIDE), y * float(STRIDE)
    return np.stack(
        [cx - d[:, 0], cy - d[:, 1], cx + d[:, 2], cy + d[:, 3], flat[top], cls],
        axis=1,
    ).astype(np.float32)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def suppress(
    rows: np.ndarray,
    *,
    threshold: float = SCORE_THRESHOLD,
    iou: float = NMS_IOU,
    same_object_iou: float = SAME_OBJECT_IOU,
) -> np.ndarray:
    """Rows above ``threshold`` that no better row of the same class overlaps
    by more than ``iou`` (nor of any class by more than ``same_object_iou``)."""
    rows = rows[rows[:, 4] >= threshold]
    rows = rows[np.argsort(-rows[:, 4], kind="stable")]
    kept: list[np.ndarray] = []
    for row in rows:
        if kept:
            others = np.asarray(kept)
            overlap = _iou(row[:4], others[:, :4])
            same_class = others[:, 5] == row[5]
            if np.any(same_class & (overlap > iou)) or np.any(
                overlap > same_object_iou
            ):
                continue
        kept.append(row)
    return np.asarray(kept, dtype=np.float32).reshape(-1, 6)


def to_detections(rows: np.ndarray, box: Letterbox, size: tuple[int, int]):
    """Rows in input coordinates -> Detections in the picture's, clipped."""
    w, h = size
    out = []
    for x1, y1, x2, y2, score, cls in rows:
        x1, x2 = ((v - box.pad_x) / box.scale for v in (x1, x2))
        y1, y2 = ((v - box.pad_y) / box.scale for v in (y1, y2))
        out.append(
            Detection(
                label=COCO_LABELS[int(cls)],
                score=round(float(score), 4),
                x1=float(np.clip(x1, 0, w)),
                y1=float(np.clip(y1, 0, h)),
                x2=float(np.clip(x2, 0, w)),
                y2=float(np.clip(y2, 0, h)),
            )
        )
    return [d for d in out if d.area > 0]


# -- the model ----------------------------------------------------------------


def build_onnx_bytes(package_root) -> bytes:
    from .tfjs import convert_files

    folder = package_dir(package_root)
    model = convert_files(
        folder / "models" / "centernet.json",
        # The graph's own peak finding (3x3 max pool, keep the maxima) is
        # converted; its top-k and gathers are done in numpy (decode()).
        outputs={"tower_0/mul_1": "peaks", "tower_0/wh": "wh"},
        graph_name="centernet",
        producer_version=str(GRAPH_VERSION),
    )
    return model.SerializeToString()


def load_detector(model_dir, package_root, threads: int = THREADS) -> Model:
    return load_onnx(
        model_dir, ONNX_NAME, lambda: build_onnx_bytes(package_root), threads
    )


def run_detector(model: Model, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1, 512, 512, 3) -> peaks (128, 128, 80), wh (128, 128, 4)."""
    peaks, wh = model.session.run(
        ["peaks", "wh"], {"input": np.ascontiguousarray(batch, np.float32)}
    )
    return peaks[0], wh[0]


def _load_configured_detector() -> Model:
    model = load_detector(
        _configured_model_dir(), _configured_model_dir("GALLERY_PACKAGE_DIR")
    )
    return model


_detector = Lazy(_load_configured_detector, ONNX_NAME)
# The process-wide detector, loaded on first use.
get_detector = _detector.get
reset_detector = _detector.reset


def detect_objects(img: Image.Image, model: Model | None = None) -> list[Detection]:
    """COCO objects in ``img`` above the score threshold, best first."""
    batch, box = letterbox(img)
    keypoints, wh = run_detector(model or get_detector(), batch)
    rows = decode(keypoints, wh, min_score=SCORE_THRESHOLD)
    return to_detections(suppress(rows), box, img.size)
