"""EXIF is untrusted: any values in the tags we read give sane fields or none.

Hypothesis writes random values, of any TIFF type, into the tags gallery.camera
reads, and the blanking of gallery.location; reading never raises, and what
comes out is within its bounds. Bounded, and derandomized in CI.
"""

from __future__ import annotations

import io
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from PIL.TiffImagePlugin import IFDRational

from gallery import camera
from gallery.location import LocationNotRemoved, without_location
from gallery.tests.camera_photos import landscape_pixels

# Pillow warns about the odd counts these examples are made of.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
MAIN_TAGS = [camera.ORIENTATION, camera.MAKE, camera.MODEL, camera.DATE_TIME]
DETAIL_TAGS = [
    camera.DATE_TIME_ORIGINAL,
    camera.OFFSET_TIME_ORIGINAL,
    camera.EXPOSURE_TIME,
    camera.F_NUMBER,
    camera.ISO,
    camera.FOCAL_LENGTH,
    camera.LENS_MODEL,
]
GPS_TAGS = list(range(0, 7))

values = st.one_of(
    st.text(max_size=40),
    st.integers(-(2**31), 2**31 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.builds(IFDRational, st.integers(0, 2**31), st.integers(0, 2**31)),
    st.tuples(st.floats(-1e9, 1e9), st.floats(-1e9, 1e9), st.floats(-1e9, 1e9)),
    st.binary(max_size=16),
)
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 80)),
    derandomize=bool(os.environ.get("CI")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def exif_blocks(draw) -> bytes:
    exif = PILImage.Exif()
    for tag in draw(st.lists(st.sampled_from(MAIN_TAGS), unique=True)):
        exif[tag] = draw(values)
    details = exif.get_ifd(camera.EXIF_IFD)
    for tag in draw(st.lists(st.sampled_from(DETAIL_TAGS), unique=True)):
        details[tag] = draw(values)
    gps = exif.get_ifd(camera.GPS_IFD)
    for tag in draw(st.lists(st.sampled_from(GPS_TAGS), unique=True)):
        gps[tag] = draw(values)
    try:
        return exif.tobytes()
    except Exception:  # Pillow cannot write this combination: no example
        return PILImage.Exif().tobytes()


def jpeg_with(exif: bytes) -> bytes:
    out = io.BytesIO()
    landscape_pixels((32, 16)).save(out, "JPEG", exif=exif)
    return out.getvalue()


@FUZZ
@given(exif=exif_blocks())
def test_any_exif_values_give_sane_fields(exif):
    with PILImage.open(io.BytesIO(jpeg_with(exif))) as image:
        found = camera.camera_metadata(image)
    assert 1 <= found.orientation <= 8
    for text in (found.camera_make, found.camera_model, found.lens):
        assert len(text) <= camera.TEXT_LIMIT and text.isprintable()
    if found.has_location:
        assert -90 <= found.latitude <= 90 and -180 <= found.longitude <= 180
    for number in (found.focal_length, found.f_number, found.exposure_time):
        assert number is None or (math.isfinite(number) and number > 0)
    assert found.iso is None or found.iso > 0
    if found.taken_at is not None:
        assert found.taken_at.tzinfo is not None
        assert found.taken_at_offset is None or abs(found.taken_at_offset) <= 14 * 60


@FUZZ
@given(exif=exif_blocks())
def test_blanking_any_exif_keeps_the_length_or_refuses(exif):
    data = jpeg_with(exif)
    try:
        result = without_location(data)
    except LocationNotRemoved:
        return
    assert len(result) == len(data)
    with PILImage.open(io.BytesIO(result)) as image:
        assert not camera.camera_metadata(image).has_location
