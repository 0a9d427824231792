"""The Azure backend, through the real SDK, against the fake Azure server."""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from PIL import Image

from gallery.analysis import AnalysisError, AnalysisSkipped, get_analyzer
from gallery.analysis.azure import (
    MAX_BYTES,
    AzureAnalyzer,
    parse_retry_after,
    prepare_payload,
)
from gallery.colorspace import COLOR_NAMES


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def red_on_white(size=(300, 200), fmt="JPEG") -> bytes:
    im = Image.new("RGB", size, (255, 255, 255))
    w, h = size
    im.paste((210, 30, 30), (w // 4, h // 4, w - w // 4, h - h // 4))
    return encode(im, fmt)


def sent_image(request) -> Image.Image:
    return Image.open(io.BytesIO(request.body))


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def analyzer(sleeps) -> AzureAnalyzer:
    return AzureAnalyzer(sleep=sleeps.append)


@pytest.fixture(autouse=True)
def azure_settings(settings, fake_azure):
    settings.AZURE_CV_KEY = fake_azure.key
    settings.AZURE_CV_ENDPOINT = fake_azure.endpoint
    settings.AZURE_CV_TIMEOUT = 5
    settings.AZURE_CV_MAX_RETRIES = 3
    return settings


# --- happy path and mapping ----------------------------------------------------


def test_maps_description_tags_and_colours(analyzer, fake_azure):
    result = analyzer.analyze(red_on_white(fmt="PNG"))  # exact pixels

    assert result.description == "A close up of a colorful background"
    assert result.description_confidence == pytest.approx(0.4873)
    assert [(t.name, t.confidence) for t in result.tags] == [
        ("colorful", 0.95),
        ("abstract", 0.88),
        ("white", 0.62),
    ]
    colors = result.colors
    assert colors.dominant_foreground == "red"
    assert colors.dominant_background == "white"
    assert set(colors.dominant_colors) == {"white", "red"}
    assert re.fullmatch(r"#[0-9a-f]{6}", colors.accent_color)
    assert colors.accent_color == "#d21e1e"  # the red square, Azure's "D21E1E"
    assert colors.is_bw is False
    assert result.embedding is None
    assert [r.status for r in fake_azure.requests] == [200]


def test_grey_image_is_black_and_white_and_grey_becomes_gray(analyzer):
    result = analyzer.analyze(encode(Image.new("L", (120, 90), 128), "PNG"))

    assert result.colors.is_bw is True
    assert result.colors.dominant_background == "gray"  # Azure says "Grey"
    assert result.colors.dominant_colors == ["gray"]
    assert set(result.colors.dominant_colors) <= set(COLOR_NAMES)
    assert result.description == "A black and white photo"


def test_most_confident_caption_wins(analyzer, fake_azure):
    fake_azure.captions = [
        {"text": "a dog lying on grass.", "confidence": 0.31},
        {"text": "a cat sitting on a mat.", "confidence": 0.87},
    ]
    result = analyzer.analyze(red_on_white())

    assert result.description == "A cat sitting on a mat"
    assert result.description_confidence == pytest.approx(0.87)


def test_sends_key_features_and_original_bytes_chunked(analyzer, fake_azure):
    data = red_on_white()
    analyzer.analyze(data)

    [request] = fake_azure.requests
    assert request.path == "/vision/v3.2/analyze"
    assert request.query["visualFeatures"] == ["Description,Tags,Color"]
    assert request.query["language"] == ["en"]
    assert request.headers["Ocp-Apim-Subscription-Key"] == fake_azure.key
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.chunked is True
    assert "Content-Length" not in request.headers
    assert request.body == data


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "BMP"])
def test_other_accepted_formats_are_sent_unchanged(analyzer, fake_azure, fmt):
    data = red_on_white(fmt=fmt)
    analyzer.analyze(data)

    assert fake_azure.requests[0].body == data


# --- copies for images Azure would refuse ----------------------------------------


def test_png_over_4mb_is_sent_as_smaller_jpeg_and_original_kept(analyzer, fake_azure):
    noise = Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3))
    data = encode(noise, "PNG", compress_level=1)
    assert len(data) > 5_000_000
    before = bytes(data)

    analyzer.analyze(data)

    [request] = fake_azure.requests
    assert request.status == 200
    assert request.body_length < MAX_BYTES
    sent = sent_image(request)
    assert sent.format == "JPEG"
    assert sent.size[0] / sent.size[1] == pytest.approx(1600 / 1200, rel=0.01)
    assert data == before


def test_very_wide_strip_is_downscaled_within_azure_limits(analyzer, fake_azure):
    strip = Image.linear_gradient("L").resize((17000, 100)).convert("RGB")
    data = encode(strip, "PNG")

    analyzer.analyze(data)

    [request] = fake_azure.requests
    assert request.status == 200
    width, height = sent_image(request).size
    assert sent_image(request).format == "JPEG"
    assert height > 50 and width < 16000
    assert width / height == pytest.approx(170, rel=0.03)


def test_too_extreme_strip_is_skipped_without_a_call(analyzer, fake_azure):
    data = encode(Image.new("RGB", (20000, 60)), "PNG")
    with pytest.raises(AnalysisSkipped, match="smaller than 16000"):
        analyzer.analyze(data)
    assert fake_azure.requests == []


@pytest.mark.parametrize("fmt", ["TIFF", "WEBP"])
def test_unsupported_formats_are_converted_to_jpeg(analyzer, fake_azure, fmt):
    data = red_on_white(fmt=fmt)
    result = analyzer.analyze(data)

    sent = sent_image(fake_azure.requests[0])
    assert sent.format == "JPEG" and sent.size == (300, 200)
    assert result.colors.dominant_foreground == "red"


def test_exif_orientation_is_applied_to_the_copy_only(analyzer, fake_azure):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    data = encode(Image.new("RGB", (200, 100), "blue"), "WEBP", exif=exif)
    before = bytes(data)

    analyzer.analyze(data)

    assert sent_image(fake_azure.requests[0]).size == (100, 200)
    assert data == before


def test_transparent_png_over_limit_is_flattened(fake_azure):
    rgba = Image.frombytes("RGBA", (1100, 1100), os.urandom(1100 * 1100 * 4))
    payload, fmt = prepare_payload(encode(rgba, "PNG", compress_level=1))
    assert fmt == "JPEG" and len(payload) < MAX_BYTES
    assert Image.open(io.BytesIO(payload)).mode == "RGB"


@pytest.mark.parametrize("size", [(40, 40), (300, 50), (50, 300)])
def test_small_images_are_skipped_without_a_call(analyzer, fake_azure, size):
    with pytest.raises(AnalysisSkipped, match="larger than 50 px"):
        analyzer.analyze(encode(Image.new("RGB", size), "PNG"))
    assert fake_azure.requests == []


@pytest.mark.parametrize("data", [b"not an image at all", b"", b"\x89PNG\r\n\x1a\n"])
def test_garbage_bytes_are_a_permanent_error_without_a_call(analyzer, fake_azure, data):
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(data)
    assert info.value.retryable is False
    assert fake_azure.requests == []


# --- errors from the service ------------------------------------------------------


def test_wrong_key_is_a_logged_configuration_error(
    analyzer, fake_azure, settings, caplog
):
    settings.AZURE_CV_KEY = "wrong-key-0123456789"
    with caplog.at_level(logging.ERROR), pytest.raises(AnalysisError) as info:
        analyzer.analyze(red_on_white())

    assert info.value.retryable is False
    assert info.value.code == "configuration"
    assert [r.status for r in fake_azure.requests] == [401]  # no retries
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("AZURE_CV_KEY" in m for m in errors)
    assert "wrong-key-0123456789" not in caplog.text + str(info.value)


def test_missing_key_is_a_configuration_error_without_a_call(
    analyzer, fake_azure, settings
):
    settings.AZURE_CV_KEY = ""
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(red_on_white())
    assert info.value.code == "configuration"
    assert fake_azure.requests == []


def test_image_refused_by_the_service_is_permanent(analyzer, fake_azure, sleeps):
    png = red_on_white(fmt="PNG")
    truncated = png[: len(png) // 2]  # header opens locally; decoding fails remotely
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(truncated)

    assert info.value.retryable is False
    assert info.value.code == "InvalidImageFormat"
    assert [r.status for r in fake_azure.requests] == [400]
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "retryable", "code"),
    [
        (400, False, "InvalidRequest"),
        (415, False, "InvalidRequest"),
        (403, False, "configuration"),
    ],
)
def test_client_errors_are_not_retried(analyzer, fake_azure, status, retryable, code):
    fake_azure.fail_next(status)
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(red_on_white())
    assert (info.value.retryable, info.value.code) == (retryable, code)
    assert len(fake_azure.requests) == 1


def test_429_retry_after_is_honoured_then_succeeds(analyzer, fake_azure, sleeps):
    data = red_on_white()
    fake_azure.fail_next(429, times=1, retry_after=7)

    result = analyzer.analyze(data)

    assert result.description
    assert sleeps == [7.0]
    assert [r.status for r in fake_azure.requests] == [429, 200]
    # A fresh stream per attempt: the retry carried the whole image again.
    assert [r.body for r in fake_azure.requests] == [data, data]


def test_429_with_a_long_hint_is_handed_to_the_caller(analyzer, fake_azure, sleeps):
    fake_azure.fail_next(429, times=1, retry_after=600)
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(red_on_white())
    assert info.value.retryable is True
    assert info.value.retry_after == 600
    assert sleeps == []
    assert len(fake_azure.requests) == 1


def test_500_forever_gives_a_retryable_error_after_all_attempts(
    analyzer, fake_azure, sleeps, settings
):
    settings.AZURE_CV_MAX_RETRIES = 3
    fake_azure.fail_next(500, times=100)

    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(red_on_white())

    assert info.value.retryable is True
    assert [r.status for r in fake_azure.requests] == [500] * 4
    assert sleeps == [1.0, 2.0, 4.0]  # exponential backoff


def test_503_then_success(analyzer, fake_azure, sleeps):
    fake_azure.fail_next(503, times=2)
    assert analyzer.analyze(red_on_white()).description
    assert [r.status for r in fake_azure.requests] == [503, 503, 200]


def test_slow_server_times_out_quickly_as_retryable(
    analyzer, fake_azure, sleeps, settings
):
    settings.AZURE_CV_TIMEOUT = 0.5
    settings.AZURE_CV_MAX_RETRIES = 1
    fake_azure.delay_next(10, times=2)

    started = time.monotonic()
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(red_on_white())

    assert time.monotonic() - started < 3
    assert info.value.retryable is True
    assert info.value.code == "timeout"
    assert len(fake_azure.requests) == 2
    assert sleeps == [1.0]


def test_one_slow_answer_then_success(analyzer, fake_azure, settings):
    settings.AZURE_CV_TIMEOUT = 0.5
    fake_azure.delay_next(10, times=1)
    assert analyzer.analyze(red_on_white()).description
    assert len(fake_azure.requests) == 2


def test_connection_refused_is_retryable_without_hidden_sdk_retries(
    analyzer, sleeps, settings
):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.AZURE_CV_ENDPOINT = f"http://127.0.0.1:{port}"
    settings.AZURE_CV_MAX_RETRIES = 2

    started = time.monotonic()
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(red_on_white())

    assert info.value.retryable is True
    assert info.value.code == "connection"
    assert sleeps == [1.0, 2.0]
    # msrest's default urllib3 policy would add ~4.8 s of backoff per attempt.
    assert time.monotonic() - started < 1.5


# --- wiring and helpers ----------------------------------------------------------


def test_get_analyzer_picks_azure(settings):
    settings.GALLERY_ANALYZER = "azure"
    assert isinstance(get_analyzer(), AzureAnalyzer)


def test_parse_retry_after():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < parse_retry_after(later) <= 30


def test_endpoint_without_scheme_is_a_configuration_error(analyzer, settings, sleeps):
    settings.AZURE_CV_ENDPOINT = "myresource.cognitiveservices.azure.com"
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(red_on_white())
    assert (info.value.retryable, info.value.code) == (False, "configuration")
    assert sleeps == []
