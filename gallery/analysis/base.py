"""The contract every image analyzer fulfils.

An analyzer receives the bytes of one stored image and returns an
``AnalysisResult``: a one-sentence description with its confidence, tags with
confidences, and the image's colours in Azure Computer Vision's vocabulary.
Backends live one module (or package) per vendor and are loaded lazily by
dotted path through ``gallery.analysis.get_analyzer()``.

Rules every backend follows:

* ``analyze()`` never modifies or stores the image; it may send a smaller copy
  to a remote service.
* Failures raise ``AnalysisError``. ``retryable`` is True when the same call
  may succeed later (rate limits, 5xx, timeouts, refused connections) and
  ``retry_after`` carries the server's hint in seconds when it gave one.
  Permanent failures (an image the service refuses, wrong credentials) have
  ``retryable=False``.
* An image the backend deliberately does not analyse (too small, say) raises
  ``AnalysisSkipped`` with the reason; the image is kept and marked skipped.
* ``faces`` lists the faces a backend can describe for grouping into people
  (empty when it cannot); their boxes are fractions of the picture.
* Tags carry a ``count`` when the backend counted the things ("dog" x2).
* Confidences are floats in [0, 1]. Colour names are Azure's twelve
  (``gallery.colorspace.COLOR_NAMES``); ``accent_color`` is ``#rrggbb`` in
  lower case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image as PILImage

# The size of every image embedding (the offline model projects to it; the
# similarity tables store it).
EMBEDDING_DIM = 256


@dataclass(frozen=True)
class Tag:
    name: str
    confidence: float
    # How many of it the picture shows, when the backend counted (objects).
    count: int = 1


@dataclass(frozen=True)
class Colors:
    dominant_foreground: str
    dominant_background: str
    dominant_colors: list[str]
    accent_color: str
    is_bw: bool


@dataclass(frozen=True)
class FaceFound:
    """A face and what recognises it: its box as fractions of the picture
    (left, top, width, height), a unit-length descriptor (faces of one person
    lie close by cosine) and a small JPEG of it for people to look at."""

    box: tuple[float, float, float, float]
    confidence: float
    descriptor: list[float] = field(repr=False)
    thumbnail: bytes = field(repr=False)


@dataclass(frozen=True)
class AnalysisResult:
    description: str
    description_confidence: float
    tags: list[Tag]
    colors: Colors
    # A unit-length image embedding for similarity search, when the backend
    # computes one (the offline model does; Azure does not).
    embedding: list[float] | None = field(default=None, repr=False)
    # The faces the backend can tell apart (the offline one can), for people.
    faces: list[FaceFound] = field(default_factory=list, repr=False)


class AnalysisError(Exception):
    """Analysis failed. ``retryable`` says whether trying again may help."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.code = code


class AnalysisSkipped(Exception):
    """The backend chose not to analyse this image; the message says why."""


class BaseAnalyzer:
    """Base class for analyzers. Subclasses set ``name`` and ``version`` and
    implement analyze().

    Instances are created once per process by ``get_analyzer()`` and must be
    safe to call from several threads; heavy resources (models, clients) are
    loaded lazily on first use, never at import time.
    """

    name: str = ""
    # Changes whenever the same image would be described differently, so
    # results of an older analyzer can be found and renewed.
    version: str = ""

    def analyze(self, data: bytes) -> AnalysisResult:
        raise NotImplementedError

    def analyze_decoded(
        self, data: bytes, *, pixels: PILImage.Image | None = None
    ) -> AnalysisResult:
        """analyze(), given ``data`` already decoded when the caller has it
        (upright RGB, any size; see gallery.imaging.decode_upright). Backends
        that work on pixels override this to skip their own decode."""
        return self.analyze(data)
