"""Real images, mutated by Hypothesis, through the upload view.

Whatever the bytes, the answer is a 200 or a 400 with each file's fate, and the
gallery holds exactly the files the page said were stored, each with its
objects. Bounded, and derandomized in CI so that a run there is reproducible.
"""

from __future__ import annotations

import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gallery.models import Image

from . import hostile

pytestmark = pytest.mark.django_db

BASES = {**hostile.still_images(), **hostile.animated_images()}
RESULT = re.compile(r'data-code="([a-z_]+)"')


@st.composite
def mutated_images(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(BASES)))
    data = bytearray(BASES[name])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "repeat"]))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[max(at, 1) :]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 256))]
        else:
            data[at:at] = data[at : at + 512]
        if len(data) < 2:
            break
    return name, bytes(data)


@pytest.fixture
def counted(settings, alice_client, tmp_path):
    settings.GALLERY_UPLOAD_LIMIT = 0
    return {"stored": 0, "client": alice_client, "media": tmp_path / "media"}


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 80)),
    derandomize=bool(os.environ.get("CI")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sample=mutated_images())
def test_mutated_images_never_answer_5xx_and_never_half_store(counted, sample):
    name, data = sample
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    response = counted["client"].post("/images/upload/", {"images": [upload]})
    assert response.status_code in (200, 400), (name, response.status_code)
    fates = RESULT.findall(response.content.decode())
    assert len(fates) == 1
    counted["stored"] += fates == ["stored"]
    assert Image.objects.count() == counted["stored"]
    media = counted["media"]
    files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    assert len(files) == 4 * counted["stored"]  # an original, three renditions
