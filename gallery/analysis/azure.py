"""Azure Computer Vision v3.2 backend, through the official SDK.

Azure accepts JPEG, PNG, GIF and BMP under 4 MB, larger than 50x50 and smaller
than 16000x16000. The original is sent as is when it fits; otherwise a JPEG copy
(EXIF-rotated, downscaled, re-encoded) is sent. The SDK's own retries are
switched off and replaced by bounded ones here, because with urllib3 2.x it
retries connection errors blindly but never error statuses, and its default
timeout is 100 s.
"""

from __future__ import annotations

import email.utils
import io
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError
from requests import exceptions as rex

from ..colorspace import COLOR_NAMES
from ..imaging import to_rgb
from .base import (
    AnalysisError,
    AnalysisResult,
    AnalysisSkipped,
    BaseAnalyzer,
    Colors,
    Tag,
)

logger = logging.getLogger(__name__)

# MPO is how Pillow names the multi-picture JPEGs many phones write.
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "GIF", "BMP"})
# Azure says "less than 4 MB"; stay under the decimal reading to be safe.
MAX_BYTES = 4_000_000
MIN_SIDE = 51  # sides must be greater than 50 px
MAX_SIDE = 15_999  # ... and smaller than 16000 px
COPY_MAX_SIDE = 4096  # plenty for analysis, and keeps the copy small
JPEG_QUALITIES = (85, 75, 65, 50, 35)
RETRY_AFTER_CAP = 30.0  # longer hints are handed to the caller, not slept
BACKOFF_BASE = 1.0
BACKOFF_CAP = 20.0
VISUAL_FEATURES = ["Description", "Tags", "Color"]
_COLOR_ALIASES = {"grey": "gray"}  # Azure answers "Grey"; our vocabulary is "gray"


def _sleep(seconds: float) -> None:
    # Module-level so tests can patch it (or pass ``sleep=`` to the analyzer).
    time.sleep(seconds)


# --- payload ---------------------------------------------------------------


def prepare_payload(data: bytes) -> tuple[bytes, str]:
    """Return (bytes to send, format) for ``data``; never modifies the original.

    Raises AnalysisSkipped for images Azure cannot take, AnalysisError for bytes
    that are not a decodable image.
    """
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt, (width, height) = im.format or "", im.size
            if min(width, height) < MIN_SIDE:
                raise AnalysisSkipped(
                    f"image is {width}x{height} px; Azure Computer Vision needs "
                    f"both sides larger than {MIN_SIDE - 1} px"
                )
            fits = (
                fmt in ACCEPTED_FORMATS
                and len(data) < MAX_BYTES
                and max(width, height) <= MAX_SIDE
            )
            if fits:
                return data, "JPEG" if fmt == "MPO" else fmt
            return _jpeg_copy(im), "JPEG"
    except (AnalysisSkipped, AnalysisError):
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise AnalysisError(
            f"not a usable image: {exc}", retryable=False, code="invalid_image"
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated/corrupt data
        raise AnalysisError(
            f"image could not be decoded: {exc}", retryable=False, code="invalid_image"
        ) from exc


def _target_size(width: int, height: int) -> tuple[int, int]:
    """Largest size with long side ≤ COPY_MAX_SIDE that keeps the short side valid."""
    long_side, short_side = max(width, height), min(width, height)
    if long_side * MIN_SIDE > MAX_SIDE * short_side:
        raise AnalysisSkipped(
            f"image is {width}x{height} px; no downscaled copy can be both "
            f"smaller than {MAX_SIDE + 1} px and larger than {MIN_SIDE - 1} px"
        )
    # Extreme strips would get a short side ≤ 50 at COPY_MAX_SIDE: allow a longer
    # long side (still < 16000) so the short side stays at MIN_SIDE.
    target_long = min(
        long_side, max(COPY_MAX_SIDE, -(-long_side * MIN_SIDE // short_side))
    )
    scale = target_long / long_side
    return max(MIN_SIDE, round(width * scale)), max(MIN_SIDE, round(height * scale))


def _jpeg_copy(im: Image.Image) -> bytes:
    """An RGB JPEG copy under MAX_BYTES: downscale, then step quality down."""
    size = _target_size(*im.size)
    if im.format in ("JPEG", "MPO"):
        im.draft("RGB", size)  # decode at a reduced scale: far less memory
    im.seek(0)  # first frame of animations
    copy = ImageOps.exif_transpose(im)  # orientation on the copy only
    copy = to_rgb(copy)
    # exif_transpose may have swapped the axes: recompute for the copy.
    size = _target_size(*copy.size)
    while True:
        if copy.size != size:
            copy = copy.resize(size, Image.Resampling.LANCZOS)
        for quality in JPEG_QUALITIES:
            out = io.BytesIO()
            copy.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() < MAX_BYTES:
                return out.getvalue()
        smaller = (round(size[0] * 0.7), round(size[1] * 0.7))
        if min(smaller) < MIN_SIDE:
            raise AnalysisSkipped("no JPEG copy of this image fits Azure's 4 MB limit")
        size = smaller


# --- response mapping --------------------------------------------------------


def _color_name(value: str | None) -> str:
    name = (value or "").strip().lower()
    return _COLOR_ALIASES.get(name, name)


def _hex_color(value: str | None) -> str:
    digits = (value or "").strip().lstrip("#").lower()
    if len(digits) != 6 or any(c not in "0123456789abcdef" for c in digits):
        raise AnalysisError(
            f"Azure returned an invalid accent colour {value!r}",
            retryable=False,
            code="invalid_response",
        )
    return f"#{digits}"


def _clamp(value: float | None) -> float:
    return min(1.0, max(0.0, float(value or 0.0)))


def map_analysis(analysis) -> AnalysisResult:
    """Map the SDK's ImageAnalysis to our AnalysisResult."""
    captions = list(getattr(analysis.description, "captions", None) or [])
    best = max(captions, key=lambda c: c.confidence or 0.0, default=None)
    description, confidence = "", 0.0
    if best is not None and (best.text or "").strip():
        # Sentence case, no trailing period: consistent with the offline backend.
        text = best.text.strip().rstrip(".").strip()
        description, confidence = text[:1].upper() + text[1:], _clamp(best.confidence)
    tags = sorted(
        (Tag(t.name, _clamp(t.confidence)) for t in analysis.tags or [] if t.name),
        key=lambda t: t.confidence,
        reverse=True,
    )
    color = analysis.color
    if color is None:
        raise AnalysisError(
            "Azure returned no colour block", retryable=False, code="invalid_response"
        )
    dominant = [_color_name(c) for c in color.dominant_colors or []]
    colors = Colors(
        dominant_foreground=_color_name(color.dominant_color_foreground),
        dominant_background=_color_name(color.dominant_color_background),
        dominant_colors=[c for c in dict.fromkeys(dominant) if c in COLOR_NAMES],
        accent_color=_hex_color(color.accent_color),
        is_bw=bool(color.is_bw_img),
    )
    return AnalysisResult(description, confidence, tags, colors, embedding=None)


# --- error classification ----------------------------------------------------


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _config_error(message: str, endpoint: str) -> AnalysisError:
    # Loud: nothing will work until an operator fixes the settings. Never log the key.
    logger.error(
        "Azure Computer Vision misconfigured: %s (endpoint %s)", message, endpoint
    )
    return AnalysisError(message, retryable=False, code="configuration")


def classify_http_error(exc: Exception, endpoint: str) -> AnalysisError:
    """AnalysisError for a ComputerVisionErrorResponseException."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or 0
    err = getattr(getattr(exc, "error", None), "error", None)
    code = str(getattr(err, "code", "") or "")
    inner = str(getattr(getattr(err, "innererror", None), "code", "") or "")
    detail = str(getattr(err, "message", "") or exc)
    headers = getattr(response, "headers", None) or {}
    retry_after = parse_retry_after(headers.get("Retry-After"))
    if status in (401, 403):
        return _config_error(
            f"HTTP {status}: Azure refused the credentials; check AZURE_CV_KEY and "
            "that AZURE_CV_ENDPOINT is the resource the key belongs to",
            endpoint,
        )
    if status == 404:
        return _config_error(
            "HTTP 404: no Computer Vision v3.2 API at AZURE_CV_ENDPOINT", endpoint
        )
    if status in (408, 429) or status >= 500:
        return AnalysisError(
            f"Azure Computer Vision HTTP {status}: {detail}",
            retryable=True,
            retry_after=retry_after,
            code=inner or code or f"http_{status}",
        )
    return AnalysisError(
        f"Azure Computer Vision rejected the image (HTTP {status}): {detail}",
        retryable=False,
        code=inner or code or f"http_{status}",
    )


def classify_request_error(exc: Exception, endpoint: str) -> AnalysisError:
    """AnalysisError for msrest's ClientRequestError (wraps a requests exception)."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, rex.RequestException):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, rex.Timeout):
        message = f"Azure Computer Vision timed out: {cause}"
        return AnalysisError(message, retryable=True, code="timeout")
    if isinstance(cause, (rex.InvalidURL, rex.MissingSchema, rex.InvalidSchema)):
        return _config_error(f"AZURE_CV_ENDPOINT is not usable: {cause}", endpoint)
    if isinstance(cause, (rex.ConnectionError, rex.ChunkedEncodingError)):
        message = f"Azure Computer Vision unreachable: {cause}"
        return AnalysisError(message, retryable=True, code="connection")
    message = f"Azure Computer Vision request failed: {exc}"
    return AnalysisError(message, retryable=False, code="request")


# --- the analyzer -------------------------------------------------------------


class AzureAnalyzer(BaseAnalyzer):
    """Description, tags and colours from Azure Computer Vision v3.2.

    Settings are read on every call, so one instance follows settings changes;
    each call builds its own client, so instances are safe across threads.
    """

    name = "azure"
    version = "v3.2"

    def __init__(self, *, sleep: Callable[[float], None] | None = None) -> None:
        self._sleep = sleep

    def _settings(self) -> tuple[str, str, float, int]:
        key = settings.AZURE_CV_KEY
        endpoint = (settings.AZURE_CV_ENDPOINT or "").rstrip("/")
        timeout = float(getattr(settings, "AZURE_CV_TIMEOUT", 15))
        retries = max(0, int(getattr(settings, "AZURE_CV_MAX_RETRIES", 3)))
        if not key or not endpoint:
            raise _config_error(
                "AZURE_CV_KEY and AZURE_CV_ENDPOINT must both be set", endpoint
            )
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _config_error("AZURE_CV_ENDPOINT must be an http(s) URL", endpoint)
        return key, endpoint, timeout, retries

    def _client(self, key: str, endpoint: str, timeout: float):
        from azure.cognitiveservices.vision.computervision import ComputerVisionClient
        from msrest.authentication import CognitiveServicesCredentials

        client = ComputerVisionClient(endpoint, CognitiveServicesCredentials(key))
        # (connect, read): the default would wait 100 s.
        client.config.connection.timeout = (timeout, timeout)  # type: ignore[assignment]
        # No SDK/urllib3 retries: ours are the only ones. msrest hands this very
        # Retry object to the session it creates in the constructor, so mutate it
        # in place (replacing it would only affect sessions created later).
        policy = client.config.retry_policy
        policy.retries = 0  # total, connect and read
        policy.policy.status = policy.policy.other = 0
        policy.policy.status_forcelist = set()
        return client

    def analyze(self, data: bytes) -> AnalysisResult:
        payload, _fmt = prepare_payload(data)
        key, endpoint, timeout, retries = self._settings()
        sleep = self._sleep or _sleep
        client = self._client(key, endpoint, timeout)
        try:
            for attempt in range(retries + 1):
                try:
                    return self._attempt(client, payload, endpoint)
                except AnalysisError as exc:
                    if not exc.retryable or attempt == retries:
                        raise
                    if (
                        exc.retry_after is not None
                        and exc.retry_after > RETRY_AFTER_CAP
                    ):
                        raise  # the caller can reschedule; we don't block that long
                    delay = exc.retry_after
                    if delay is None:
                        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
                    logger.warning(
                        "Azure CV attempt %d/%d failed (%s); retrying in %.1f s",
                        attempt + 1,
                        retries + 1,
                        exc,
                        delay,
                    )
                    sleep(delay)
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            client.close()

    def _attempt(self, client, payload: bytes, endpoint: str) -> AnalysisResult:
        from azure.cognitiveservices.vision.computervision.models import (
            ComputerVisionErrorResponseException,
        )
        from msrest.exceptions import ClientRequestError

        try:
            # A fresh stream per attempt: the SDK consumes it as a generator.
            analysis = client.analyze_image_in_stream(
                io.BytesIO(payload), visual_features=VISUAL_FEATURES, language="en"
            )
        except ComputerVisionErrorResponseException as exc:
            raise classify_http_error(exc, endpoint) from exc
        except ClientRequestError as exc:
            raise classify_request_error(exc, endpoint) from exc
        except Exception as exc:  # anything else the SDK may raise
            raise AnalysisError(
                f"Azure Computer Vision failed unexpectedly: {exc!r}",
                retryable=False,
                code="unexpected",
            ) from exc
        return map_analysis(analysis)
