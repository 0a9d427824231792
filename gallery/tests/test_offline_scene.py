"""What the picture shows: detections, classifier and faces in tags and in one
honest sentence; colours weighted towards the subject."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gallery.analysis.local.colors import color_stats
from gallery.analysis.local.describe import describe
from gallery.analysis.local.detect import Detection
from gallery.analysis.local.faces import Face
from gallery.analysis.local.scene import understand
from gallery.analysis.local.tags import Prediction, classes
from gallery.tests.photos import photo_bytes, two_people_bytes

SIZE = (640, 480)
SKY = Image.new("RGB", SIZE, (90, 150, 230))
ROOM = Image.new("RGB", SIZE, (150, 120, 90))


def pred(label: str, p: float) -> Prediction:
    idx = next(i for i, c in enumerate(classes()) if c.label == label)
    return Prediction(idx, p, classes()[idx])


def det(label, score, x1=100, y1=100, x2=300, y2=400) -> Detection:
    return Detection(label, score, x1, y1, x2, y2)


def sentence(detections, preds=(), faces=(), img=ROOM):
    scene = understand(list(detections), list(preds), list(faces), img.size)
    text, _ = describe(list(preds), list(faces), color_stats(img), scene)
    return text, {t.name: t for t in scene.tags}


# --- the sentence ----------------------------------------------------------------


def test_a_person_with_a_dog_and_a_horse():
    text, tags = sentence([
        det("person", 0.8, 200, 50, 300, 400),
        det("dog", 0.7, 300, 300, 380, 420),
        det("horse", 0.6, 350, 100, 620, 450),
    ], [pred("Beagle", 0.3)])  # fmt: skip
    assert text == "A person with a horse and a dog"  # the bigger one first
    assert {"person", "dog", "horse", "animal", "pet"} <= set(tags)
    text, _ = sentence([
        det("person", 0.8, 200, 50, 300, 400),
        det("dog", 0.7, 300, 100, 620, 450),
        det("horse", 0.6, 350, 300, 420, 420),
    ])  # fmt: skip
    assert text == "A person with a dog and a horse"


def test_two_people_at_a_table():
    text, tags = sentence([
        det("person", 0.8, 50, 50, 250, 400),
        det("person", 0.7, 350, 50, 550, 400),
        det("dining table", 0.6, 0, 300, 640, 480),
    ])  # fmt: skip
    assert text == "Two people at a table"
    assert tags["person"].count == 2 and tags["people"].count == 2


def test_a_kite_in_the_sky():
    text, _ = sentence([det("kite", 0.7, 250, 60, 330, 140)], img=SKY)
    assert text == "A kite in the sky"
    text, _ = sentence([det("kite", 0.7, 250, 300, 330, 400)], img=ROOM)
    assert text == "A kite"


def test_counts_and_articles():
    dogs = [det("dog", 0.7, 10 + 200 * i, 100, 190 + 200 * i, 300) for i in range(3)]
    text, tags = sentence(dogs)
    assert text == "Three dogs"
    assert (tags["dog"].count, tags["dog"].confidence) == (3, 0.7)
    assert sentence([det("orange", 0.7)])[0] == "An orange"
    assert (
        sentence([det("sheep", 0.7), det("sheep", 0.7, 400, 100, 600, 300)])[0]
        == "Two sheep"
    )


def test_the_classifier_names_it_finer_when_it_agrees_and_is_sure():
    assert sentence([det("cat", 0.6)], [pred("tabby cat", 0.7)])[0] == "A tabby cat"
    assert sentence([det("cat", 0.6)], [pred("tabby cat", 0.5)])[0] == "A cat"
    text, tags = sentence([det("cup", 0.62)], [pred("espresso", 0.95)])
    assert text == "A cup of espresso"
    assert {"cup", "espresso", "drink"} <= set(tags)


def test_a_weak_detection_is_believed_only_when_confirmed():
    text, tags = sentence([det("cat", 0.45)])
    assert "cat" not in text and "cat" not in tags
    text, tags = sentence([det("cat", 0.45)], [pred("tabby cat", 0.3)])
    assert text == "A cat" and tags["cat"].confidence == 0.45
    face = Face(150, 120, 60, 60, 0.8)
    assert sentence([det("person", 0.45)], faces=[face])[0] == "A person"


def test_misleading_classifier_words_go_when_the_detector_disagrees():
    preds = [pred("Mexican hairless dog", 0.3), pred("Whippet", 0.26)]
    text, tags = sentence([det("horse", 0.6)], preds)
    assert text == "A horse"
    assert "dog" not in tags and "horse" in tags and "animal" in tags


def test_a_rocket_is_not_a_weapon():
    missiles = [i for i, c in enumerate(classes()) if c.label == "rocket"]
    assert len(missiles) == 2
    preds = [Prediction(i, 0.3, classes()[i]) for i in missiles]
    text, tags = sentence([], preds, img=SKY)
    assert text == "A photo of a rocket"
    assert "weapon" not in tags


def test_people_with_what_the_classifier_is_sure_of():
    text, _ = sentence([det("person", 0.6)], [pred("tripod", 0.9)])
    assert text == "A person with a tripod"


def test_black_and_white_wording():
    grey = Image.new("RGB", SIZE, (120, 120, 120))
    two = [det("person", 0.8, 50, 50, 250, 400), det("person", 0.7, 350, 50, 550, 400)]
    assert sentence(two, img=grey)[0] == "A black and white photo of two people"


def test_colour_sentences_take_the_right_article():
    img = Image.new("RGB", (200, 100), (240, 130, 20))  # 49 % orange
    ImageDraw.Draw(img).rectangle((98, 0, 190, 100), fill=(20, 160, 160))  # 46 % teal
    ImageDraw.Draw(img).rectangle((190, 0, 200, 100), fill=(130, 130, 130))
    text, _ = describe([], [], color_stats(img))
    assert text == "An orange and teal image"


# --- colours as people see them ---------------------------------------------------


def garage_with_a_red_motorcycle() -> tuple[Image.Image, tuple]:
    """A grey floor and wall with brown shelves, a small red bike in front."""
    img = Image.new("RGB", SIZE, (128, 128, 125))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 640, 200), fill=(105, 100, 98))
    for x in (20, 200, 430):
        d.rectangle((x, 30, x + 170, 190), fill=(120, 80, 45))  # shelves
    d.ellipse((170, 330, 270, 430), fill=(25, 25, 25))  # wheels
    d.ellipse((400, 330, 500, 430), fill=(25, 25, 25))
    d.rectangle((230, 270, 440, 340), fill=(200, 25, 30))  # tank and frame
    d.rectangle((300, 250, 380, 280), fill=(20, 20, 20))  # seat
    box = (160 / 640, 240 / 480, 510 / 640, 440 / 480)
    return img, box


def test_the_subject_colour_counts():
    img, box = garage_with_a_red_motorcycle()
    plain = color_stats(img).colors
    assert "red" not in plain.dominant_colors  # a small part of the picture
    weighted = color_stats(img, [box]).colors
    assert weighted.dominant_foreground == "red"
    assert "red" in weighted.dominant_colors
    assert len(weighted.dominant_colors) <= 3


def test_a_grey_subject_on_white_is_not_white():
    img = Image.new("RGB", SIZE, (250, 250, 250))
    ImageDraw.Draw(img).ellipse((200, 150, 440, 330), fill=(15, 15, 15))
    colors = color_stats(img, [(150 / 640, 100 / 480, 490 / 640, 380 / 480)]).colors
    assert colors.dominant_foreground == "black"


def test_a_colourful_night_sky_is_not_black_and_white():
    rng = np.random.default_rng(3)
    sky = np.zeros((480, 640, 3), np.uint8)
    for _ in range(60):  # small vivid galaxies on black
        y, x = rng.integers(0, 470), rng.integers(0, 630)
        sky[y : y + 8, x : x + 8] = rng.choice([(250, 140, 40), (90, 140, 255),
                                                 (255, 230, 200)])  # fmt: skip
    colors = color_stats(Image.fromarray(sky)).colors
    assert not colors.is_bw


@pytest.mark.parametrize("noise", [0, 6])
def test_grey_photos_stay_black_and_white(noise):
    rng = np.random.default_rng(1)
    base = np.tile(np.linspace(20, 235, 640), (480, 1))[..., None].repeat(3, axis=2)
    pixels = base + rng.normal(0, noise, base.shape) if noise else base
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    assert color_stats(img).colors.is_bw


# --- real photos, end to end ------------------------------------------------------


@pytest.fixture
def photo_analysis(offline_settings, analyzer):
    return lambda data: analyzer.analyze(data)


def test_photos_are_described_by_what_is_in_them(photo_analysis):
    cat = photo_analysis(photo_bytes("cat.jpg"))
    assert cat.description == "A cat"
    assert {"cat", "pet", "animal"} <= {t.name for t in cat.tags}
    coffee = photo_analysis(photo_bytes("coffee.jpg"))
    assert coffee.description == "A cup of espresso"
    assert {"cup", "drink"} <= {t.name for t in coffee.tags}


def test_two_people_are_counted(photo_analysis):
    result = photo_analysis(two_people_bytes())
    assert result.description == "Two people"
    tags = {t.name: t for t in result.tags}
    assert tags["person"].count == 2 and "people" in tags


def test_photos_never_say_something_wrong(photo_analysis):
    rocket = photo_analysis(photo_bytes("rocket.jpg"))
    assert not {"weapon", "gun"} & {t.name for t in rocket.tags}
    assert "weapon" not in rocket.description
    sky = photo_analysis(photo_bytes("deep_sky.jpg"))
    assert not sky.colors.is_bw
    assert "black and white" not in sky.description
    assert "nematode" not in sky.description
