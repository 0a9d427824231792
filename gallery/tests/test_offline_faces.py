"""The face models: the converted graphs against TensorFlow.js, decoding, and
descriptors that tell the two sample people apart."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from PIL import Image, ImageEnhance, ImageOps

from gallery.analysis.local import faces
from gallery.tests.photos import PHOTOS

REFERENCE = json.loads(
    (Path(__file__).with_name("data") / "face_reference.json").read_text()
)
PEOPLE = ("astronaut.jpg", "cameraman.jpg")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    # Built from the npm files that set-up fetched (make test does it first).
    folder = tmp_path_factory.mktemp("models")
    return (
        faces.load_face_detector(folder, settings.GALLERY_PACKAGE_DIR),
        faces.load_face_descriptor(folder, settings.GALLERY_PACKAGE_DIR),
    )


def photo(name: str) -> Image.Image:
    return Image.open(PHOTOS / name).convert("RGB")


def raw_outputs(detector, img: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    batch, *_ = faces.letterbox(img)
    s16, b16, s32, b32 = detector.session.run(
        ["scores16", "boxes16", "scores32", "boxes32"], {"input": batch}
    )
    scores = np.concatenate([s16[0, :, 0], s32[0, :, 0]])
    return scores, np.concatenate([b16[0], b32[0]])


# --- the ONNX graphs against TensorFlow.js ------------------------------------


@pytest.mark.parametrize("name", PEOPLE)
def test_blazeface_matches_tensorflow_js(models, name):
    expected = REFERENCE["blazeface"][name]
    scores, boxes = raw_outputs(models[0], photo(name))
    anchors = expected["anchors"]
    np.testing.assert_allclose(scores[anchors], expected["scores"], atol=2e-3)
    np.testing.assert_allclose(boxes[anchors], expected["boxes"], atol=0.05)
    assert int(np.argmax(scores)) == anchors[0]


@pytest.mark.parametrize("name", PEOPLE)
def test_faceres_matches_tensorflow_js(models, name):
    expected = REFERENCE["faceres"][name]
    left, top, side = expected["crop"]
    crop = photo(name).crop((left, top, left + side, top + side))
    x = np.asarray(crop.resize((224, 224), Image.Resampling.BILINEAR), np.float32)
    (got,) = models[1].session.run(["descriptor"], {"input": x[None]})
    want = np.asarray(expected["descriptor"])
    np.testing.assert_allclose(got[0], want, atol=1e-3 * np.abs(want).max())


# --- decoding and description --------------------------------------------------


def test_anchors_follow_the_two_grids():
    a = faces.anchors()
    assert a.shape == (896, 2)
    assert a[0].tolist() == a[1].tolist() == [8.0, 8.0]  # two per 16 px cell
    assert a[512].tolist() == [16.0, 16.0]  # then six per 32 px cell
    assert a[-1].tolist() == [240.0, 240.0]


def test_decode_places_the_box_on_its_anchor_and_suppresses_overlaps():
    scores = np.full(896, -10.0, np.float32)
    boxes = np.zeros((896, 16), np.float32)
    scores[[0, 1]] = [3.0, 2.0]  # two anchors of one cell see the same face
    boxes[0, :4] = boxes[1, :4] = [2, -2, 20, 24]  # dx, dy, w, h
    rows = faces.decode(scores, boxes)
    assert len(rows) == 1
    np.testing.assert_allclose(rows[0, :4], [0, -6, 20, 18])
    assert rows[0, 4] == pytest.approx(1 / (1 + np.exp(-3)), abs=1e-6)


def test_faces_map_back_to_the_photo(models):
    (face,) = faces.detect_faces(photo("astronaut.jpg"), models[0])
    # Eileen Collins' face in the 384 x 384 copy.
    assert 110 < face.center[0] < 190 and 60 < face.center[1] < 130
    assert 50 < face.w < 110 and face.confidence > 0.8


def variants(img: Image.Image) -> list[Image.Image]:
    w, h = img.size
    return [
        img,
        ImageOps.mirror(img),
        ImageEnhance.Brightness(img).enhance(1.3),
        img.crop((w // 8, 0, w, h * 7 // 8)),
        img.resize((w * 3 // 4, h * 3 // 4)),
    ]


def test_descriptors_tell_the_two_people_apart(models):
    detector, descriptor = models
    vectors = {}
    for name in PEOPLE:
        vectors[name] = []
        for img in variants(photo(name)):
            (face,) = faces.detect_faces(img, detector)
            vectors[name].append(faces.describe_face(img, face, descriptor))
    a, c = (np.asarray(vectors[name]) for name in PEOPLE)
    from gallery.services.people import SAME_PERSON

    assert (a @ a.T).min() >= SAME_PERSON
    assert (c @ c.T).min() >= SAME_PERSON
    assert (a @ c.T).max() < SAME_PERSON - 0.2


def test_the_thumbnail_is_a_small_jpeg_of_the_face(models):
    img = photo("astronaut.jpg")
    (face,) = faces.detect_faces(img, models[0])
    thumb = Image.open(io.BytesIO(faces.face_thumbnail(img, face)))
    assert thumb.format == "JPEG" and thumb.size == (160, 160)
