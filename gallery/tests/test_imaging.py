"""One RGB conversion serves renditions, the offline analyzer and Azure's copy."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gallery.imaging import make_renditions, to_rgb

MODES = [
    "1", "L", "P", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV",
    "LA", "La", "PA", "I", "I;16", "I;16B", "I;16L", "F",
]  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
def test_every_pillow_mode_becomes_rgb(mode):
    converted = to_rgb(Image.new(mode, (8, 6)))
    assert converted.mode == "RGB"
    assert converted.size == (8, 6)


@pytest.mark.parametrize(
    ("mode", "dtype"), [("I;16", "<u2"), ("I;16L", "<u2"), ("I;16B", ">u2")]
)
def test_sixteen_bit_greyscale_is_scaled_by_its_range(mode, dtype):
    ramp = np.linspace(0, 65535, 64 * 48).reshape(48, 64).astype(dtype)
    image = Image.frombytes(mode, (64, 48), ramp.tobytes())
    values = np.asarray(to_rgb(image))[..., 0]
    # Scaled, not clipped: the ramp still spans black to white evenly.
    assert values.min() < 5 and values.max() > 250
    assert 110 < values.mean() < 145


def test_transparency_is_composited_on_white():
    clear = to_rgb(Image.new("RGBA", (4, 4), (0, 0, 255, 0)))
    assert clear.getpixel((0, 0)) == (255, 255, 255)
    palette = Image.new("P", (4, 4), 0)
    palette.info["transparency"] = 0
    assert to_rgb(palette).getpixel((0, 0)) == (255, 255, 255)


def test_float_images_are_stretched_to_their_extremes():
    values = np.linspace(-1.0, 1.0, 100, dtype=np.float32).reshape(10, 10)
    grey = np.asarray(to_rgb(Image.fromarray(values, "F")))[..., 0]
    assert grey.min() == 0 and grey.max() == 255


def test_a_big_endian_sixteen_bit_tiff_gets_renditions():
    out = io.BytesIO()
    Image.new("I;16B", (64, 48), 30000).save(out, "TIFF")
    renditions = make_renditions(io.BytesIO(out.getvalue()))
    with Image.open(io.BytesIO(renditions["thumbnail"])) as thumbnail:
        assert thumbnail.mode == "RGB" and thumbnail.size == (64, 48)
        assert 110 < thumbnail.getpixel((0, 0))[0] < 125
