"""The offline analyzer's decoding of every image mode, and its colours."""

from __future__ import annotations

import contextlib
import io
import random
import struct
import threading
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench import synthetic
from gallery.analysis import AnalysisError
from gallery.analysis.local import (
    color_name,
    image_colors,
    image_embedding,
)
from gallery.analysis.local.decode import decode
from gallery.analysis.local.faces import detect_faces
from gallery.tests.offline import (
    encode,
)
from gallery.tests.photos import two_people_bytes

pytestmark = pytest.mark.usefixtures("offline_settings")


# --- decoding ---------------------------------------------------------------------


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (400, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW when displaying
    decoded = decode(encode(img, "JPEG", exif=exif.tobytes()))
    assert decoded.size == (200, 400)


def test_large_jpeg_is_decoded_small():
    big = synthetic.photo_like(5, 4000, 3000)
    decoded = decode(synthetic.jpeg_bytes(big, 85))
    # 500 x 375 is what libjpeg gives at 1/8 scale: the reduced decode was used.
    assert decoded.size == (500, 375) and decoded.mode == "RGB"
    png = decode(encode(synthetic.photo_like(5, 1200, 900)))
    assert png.size == (512, 384)


def sixteen_bit_png() -> bytes:
    ramp = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    return encode(Image.fromarray(ramp))


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (80, 60), (0, 200, 200, 0)), "JPEG")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: encode(Image.new("P", (60, 40), 3), "GIF"), None),
        (lambda: encode(Image.new("RGBA", (60, 40), (0, 0, 255, 0))), "white"),
        (lambda: encode(Image.new("RGBA", (60, 40), (0, 0, 255, 255))), "blue"),
        (lambda: encode(Image.new("LA", (60, 40), (0, 255))), "black"),
        (lambda: encode(Image.new("1", (60, 40), 1)), "white"),
        (cmyk_jpeg, "red"),
        (sixteen_bit_png, None),
        (lambda: encode(Image.new("RGB", (60, 40), (0, 160, 0)), "WEBP"), "green"),
        (lambda: encode(Image.new("RGB", (60, 40), (250, 220, 0)), "BMP"), "yellow"),
        (lambda: encode(Image.new("RGB", (60, 40), (250, 220, 0)), "TIFF"), "yellow"),
    ],
)
def test_image_modes_decode_to_rgb(make, expected):
    img = decode(make())
    assert img.mode == "RGB"
    if expected:
        assert image_colors(img).dominant_colors[0] == expected


def test_sixteen_bit_is_scaled_not_clipped():
    arr = np.asarray(decode(sixteen_bit_png()))
    assert arr.min() < 10 and arr.max() > 245 and 100 < arr.mean() < 155


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        crc = struct.pack(">I", zlib.crc32(body))
        return struct.pack(">I", len(data)) + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 10))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


BAD_INPUTS = {
    "empty": b"",
    "text": b"hello, this is not an image",
    "html": b"<html><body>hi</body></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
    "truncated_jpeg": synthetic.jpeg_bytes(synthetic.photo_like(9))[:3000],
    "truncated_png": encode(synthetic.photo_like(9))[:5000],
    "pixel_bomb": png_claiming(60_000, 60_000),
    "header_only_jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_data_is_a_permanent_analysis_error(analyzer, name):
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(BAD_INPUTS[name])
    assert info.value.retryable is False
    with pytest.raises(AnalysisError):
        image_embedding(BAD_INPUTS[name])


def test_corrupted_bytes_never_raise_anything_else(analyzer):
    rng = random.Random(1234)
    sources = [synthetic.jpeg_bytes(synthetic.photo_like(8, 160, 120)),
               encode(synthetic.photo_like(8, 160, 120)),
               encode(synthetic.photo_like(8, 160, 120), "GIF")]  # fmt: skip
    for source in sources:
        for _ in range(25):
            data = bytearray(source)
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            with contextlib.suppress(AnalysisError):
                analyzer.analyze(bytes(data))


# --- colours -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ("#ff0000", "red"), ("#00a000", "green"), ("#1e50c8", "blue"),
        ("#fff", "white"),
        ("#000000", "black"), ("#808080", "gray"), ("#ffa500", "orange"),
        ("#ffff00", "yellow"), ("#8b4513", "brown"), ("#800080", "purple"),
        ("#ffc0cb", "pink"), ("#008080", "teal"), ((135, 206, 235), "blue"),
        ((245, 245, 245), "white"), ((40, 40, 40), "black"),
    ],
)  # fmt: skip
def test_color_name(rgb, name):
    assert color_name(rgb) == name


def test_color_name_rejects_nonsense():
    for bad in ("#12345", "blue", (300, 0, 0), (1, 2)):
        with pytest.raises(ValueError):
            color_name(bad)


def test_foreground_background_and_accent():
    img = Image.new("RGB", (400, 300), (30, 80, 200))
    ImageDraw.Draw(img).rectangle((110, 80, 290, 220), fill=(230, 30, 30))
    colors = image_colors(img)
    assert colors.dominant_foreground == "red"
    assert colors.dominant_background == "blue"
    assert colors.dominant_colors[:2] == ["blue", "red"]
    assert not colors.is_bw
    assert (
        colors.accent_color.startswith("#")
        and colors.accent_color == colors.accent_color.lower()
    )
    assert color_name(colors.accent_color) in {"red", "blue"}


def test_accent_prefers_a_vivid_colour_over_a_dull_majority():
    img = Image.new("RGB", (200, 200), (110, 105, 100))
    ImageDraw.Draw(img).ellipse((60, 60, 140, 140), fill=(250, 200, 0))
    assert color_name(image_colors(img).accent_color) == "yellow"


def test_black_and_white_detection():
    assert image_colors(synthetic.checkerboard()).is_bw
    assert image_colors(synthetic.photo_like(3).convert("L")).is_bw
    assert not image_colors(synthetic.gradient()).is_bw
    # A grey JPEG keeps a little chroma noise and is still black and white.
    grey_jpeg = Image.open(
        io.BytesIO(
            synthetic.jpeg_bytes(
                synthetic.photo_like(3).convert("L").convert("RGB"), 60
            )
        )
    )
    assert image_colors(grey_jpeg).is_bw


def test_threads_share_nothing_mutable():
    # One face detector serves every thread: four at once must agree.
    img = Image.open(io.BytesIO(two_people_bytes())).convert("RGB")
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(len(detect_faces(img))))
               for _ in range(4)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [2, 2, 2, 2]
