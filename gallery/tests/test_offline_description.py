"""The offline analyzer's tags, descriptions, faces and results end to end."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from bench import synthetic
from gallery.analysis import get_analyzer
from gallery.analysis.base import Colors, Tag
from gallery.analysis.local import (
    EMBEDDING_DIM,
    LocalAnalyzer,
    image_embedding,
)
from gallery.analysis.local.colors import color_stats
from gallery.analysis.local.describe import describe
from gallery.analysis.local.faces import detect_faces
from gallery.analysis.local.tags import (
    Prediction,
    classes,
    imagenet_tags,
    softmax,
    tag_scores,
    top_predictions,
)
from gallery.colorspace import COLOR_NAMES
from gallery.tests.offline import (
    encode,
)
from gallery.tests.photos import photo_bytes, two_people_bytes

pytestmark = pytest.mark.usefixtures("offline_settings")


# --- tags and descriptions ----------------------------------------------------


def pred(label: str, p: float) -> Prediction:
    idx = next(i for i, c in enumerate(classes()) if c.label == label)
    return Prediction(idx, p, classes()[idx])


def test_tag_data_covers_every_class():
    info = classes()
    assert len(info) == 1000
    assert info[281].label == "tabby cat"
    assert {"cat", "pet", "animal"} <= set(info[281].parents)
    assert "dog" in info[207].parents  # Golden Retriever
    assert "vehicle" in info[817].parents  # sports car
    useless = {"entity", "whole", "object", "artifact", "organism", "placental",
               "chordate", "vertebrate", "instrumentality", "living thing"}  # fmt: skip
    assert not useless & {p for c in info for p in c.parents}


def test_parent_confidence_is_the_sum_of_its_children():
    preds = [pred("Beagle", 0.25), pred("Basset Hound", 0.2), pred("Bloodhound", 0.15),
             pred("tabby cat", 0.1), pred("goldfish", 0.05)]  # fmt: skip
    scores = tag_scores(preds)
    assert scores["hound"] == pytest.approx(0.6)
    assert scores["dog"] == pytest.approx(0.6)
    assert scores["pet"] == pytest.approx(0.7)
    assert scores["animal"] == pytest.approx(0.75)
    names = {t.name: t.confidence for t in imagenet_tags(preds)}
    assert "beagle" in names and "tabby cat" not in names  # 0.1 < threshold
    assert all(0.2 <= c <= 1 for c in names.values())


def test_confidences_are_capped_at_one():
    preds = [pred("sunglasses", 0.6), *[pred("sunglasses", 0.5)]]
    assert tag_scores(preds)["sunglasses"] == 1.0


def test_softmax_and_top_predictions():
    logits = np.zeros(1000)
    logits[281] = 10
    probs = softmax(logits)
    assert probs.sum() == pytest.approx(1.0)
    top = top_predictions(probs)
    assert top[0].label == "tabby cat" and top[0].probability > 0.9


def stats_for(img: Image.Image):
    return color_stats(img)


BLUE = Image.new("RGB", (100, 80), (30, 80, 200))


def test_confident_class_is_the_subject():
    text, conf = describe(
        [pred("tabby cat", 0.8), pred("tiger cat", 0.1)], [], stats_for(BLUE)
    )
    assert text == "A photo of a tabby cat"
    assert conf == pytest.approx(0.8)
    text, _ = describe([pred("Egyptian Mau", 0.5)], [], stats_for(BLUE))
    assert text == "A photo of an Egyptian Mau"


def test_spread_guess_falls_back_to_the_general_word():
    preds = [pred("Beagle", 0.3), pred("Basset Hound", 0.2), pred("Bloodhound", 0.15),
             pred("goldfish", 0.05), pred("tench", 0.04)]  # fmt: skip
    text, conf = describe(preds, [], stats_for(BLUE))
    assert text == "A photo of a hound"
    assert conf == pytest.approx(0.65)


def test_weak_guess_is_never_the_subject():
    preds = [pred("tabby cat", 0.15), pred("goldfish", 0.1), pred("sports car", 0.1)]
    text, conf = describe(preds, [], stats_for(BLUE))
    assert text == "A mostly blue image"
    assert "cat" not in text and 0 <= conf <= 1


def test_black_and_white_and_mass_nouns():
    grey = Image.new("RGB", (100, 80), (90, 90, 90))
    text, _ = describe([pred("guacamole", 0.9)], [], stats_for(grey))
    assert text == "A black and white photo of guacamole"
    assert describe([], [], stats_for(grey))[0] == "A black and white image"


# --- the analyzer end to end ---------------------------------------------------


def test_one_face_is_a_person_with_a_descriptor(analyzer):
    result = analyzer.analyze(photo_bytes("astronaut.jpg"))
    names = {t.name: t.confidence for t in result.tags}
    assert "person" in names and "face" in names and "people" not in names
    assert result.description == "A person"
    assert 0 < result.description_confidence <= 1
    (face,) = result.faces
    assert len(face.descriptor) == 1024
    assert np.linalg.norm(face.descriptor) == pytest.approx(1.0, abs=1e-4)
    # The box is on her face: the upper middle of the portrait.
    left, top, width, height = face.box
    assert 0.25 < left + width / 2 < 0.6 and 0.1 < top + height / 2 < 0.45
    assert Image.open(io.BytesIO(face.thumbnail)).size == (160, 160)


def test_two_faces_are_people_in_black_and_white(analyzer):
    both = Image.open(io.BytesIO(two_people_bytes())).convert("L").convert("RGB")
    result = analyzer.analyze(encode(both, "JPEG", quality=90))
    names = {t.name for t in result.tags}
    assert {"person", "people", "face"} <= names
    assert result.description.startswith("A black and white photo of two people")
    assert result.colors.is_bw
    assert len(result.faces) == 2


def test_no_faces_without_a_person(analyzer):
    # BlazeFace alone sees a face in the cat; the analyzer keeps only faces
    # inside a detected person.
    assert detect_faces(Image.open(io.BytesIO(photo_bytes("cat.jpg"))))
    images = [photo_bytes("cat.jpg"), photo_bytes("coffee.jpg")]
    images += [
        synthetic.jpeg_bytes(synthetic.photo_like(s, 640, 480)) for s in range(6)
    ]
    for data in images:
        result = analyzer.analyze(data)
        assert result.faces == []
        assert "face" not in {t.name for t in result.tags}


def test_result_follows_the_contract(analyzer):
    result = analyzer.analyze(synthetic.jpeg_bytes(synthetic.photo_like(42, 800, 600)))
    assert isinstance(result.description, str) and result.description[0].isupper()
    assert 0 <= result.description_confidence <= 1
    assert all(isinstance(t, Tag) and 0.2 <= t.confidence <= 1 for t in result.tags)
    assert len({t.name for t in result.tags}) == len(result.tags)
    c = result.colors
    assert isinstance(c, Colors)
    assert c.dominant_foreground in COLOR_NAMES
    assert c.dominant_background in COLOR_NAMES
    assert 1 <= len(c.dominant_colors) <= 3
    assert set(c.dominant_colors) <= set(COLOR_NAMES)
    assert c.accent_color == c.accent_color.lower() and len(c.accent_color) == 7
    assert len(result.embedding) == EMBEDDING_DIM
    # The same forward pass feeds the embedding and image_embedding().
    emb = image_embedding(synthetic.jpeg_bytes(synthetic.photo_like(42, 800, 600)))
    assert np.allclose(emb, result.embedding, atol=1e-6)


def test_plain_colour_gets_a_colour_sentence(analyzer):
    result = analyzer.analyze(encode(Image.new("RGB", (300, 200), (20, 60, 210))))
    assert result.description == "A mostly blue image"
    assert result.colors.dominant_colors == ["blue"]


def test_analyzer_is_thread_safe(analyzer):
    images = [synthetic.jpeg_bytes(synthetic.photo_like(s)) for s in range(6)]
    images.append(photo_bytes("astronaut.jpg"))
    sequential = [analyzer.analyze(d) for d in images]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(analyzer.analyze, images * 2))
    for i, r in enumerate(parallel):
        s = sequential[i % len(images)]
        assert (r.description, r.tags, r.colors) == (s.description, s.tags, s.colors)
        assert np.allclose(r.embedding, s.embedding, atol=1e-5)


def test_get_analyzer_returns_the_local_backend(settings):
    settings.GALLERY_ANALYZER = "local"
    backend = get_analyzer()
    assert isinstance(backend, LocalAnalyzer) and backend.name == "local"
