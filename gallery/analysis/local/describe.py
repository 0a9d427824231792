"""One honest sentence about an image, from what the other steps found.

Things the detector is confident of make the sentence: the main subject, what
is with it and where ("A person with a dog and a horse", "Two people at a
table", "A kite in the sky"), with the classifier's finer name when it agrees
and is sure ("A tabby cat", "A cup of espresso"). Without a confident
detection, a confident classifier finding becomes the subject ("A photo of a
tabby cat"); when it is unsure we fall back to a more general word it is sure
of ("A photo of a dog"), then to people found by the face detector, and
finally to what is certain: the colours ("A mostly blue image").
"""

from __future__ import annotations

from .colors import ColorStats
from .faces import Face
from .scene import Group, Scene, noun
from .tags import Prediction, tag_scores

# A class must be at least this likely to be named as the subject...
SUBJECT_MIN = 0.5
# ...and a general word ("dog", "car") at least this likely.
GENERAL_MIN = 0.5
# The classifier's name replaces the detector's ("a tabby cat" for "a cat"),
# or adds what the detector has no class for ("with a tripod"), from here.
REFINE_MIN = 0.6
# Where a thing is, when the main subject is on or at it.
PLACES = {"dining table": "at", "bed": "on", "couch": "on", "bench": "on"}
CONTAINERS = {"cup", "bowl", "wine glass", "bottle"}
FLYING = {"kite", "airplane", "bird"}
SKY_COLORS = {"blue", "white", "gray"}
# Words that take no article ("A photo of food").
MASS_WORDS = {
    "food",
    "clothing",
    "furniture",
    "nature",
    "landscape",
    "electronics",
    "baked goods",
    "sports equipment",
    "kitchenware",
    "tableware",
    "footwear",
    "swimwear",
    "public transport",
    "alcohol",
    "bread",
    "cattle",
    "shellfish",
}
NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
           8: "eight", 9: "nine", 10: "ten"}  # fmt: skip


def with_article(word: str, article: str | None = None) -> str:
    if article is None:
        if word in MASS_WORDS:
            article = ""
        else:
            article = "an" if word[:1].lower() in "aeiou" else "a"
    return f"{article} {word}" if article else word


def counted(label: str, count: int) -> str:
    """ "a dog", "an orange", "two people", "12 horses"."""
    if count == 1:
        word = noun(label)
        return word if word == noun(label, 2) else with_article(word)
    return f"{NUMBERS.get(count, str(count))} {noun(label, count)}"


def join_words(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _people(faces: list[Face]) -> tuple[str, float]:
    n = len(faces)
    conf = sum(f.confidence for f in faces) / n
    if n == 1:
        return "a person", conf
    return f"{NUMBERS.get(n, str(n))} people", conf


def _subject(preds: list[Prediction]) -> tuple[str, float] | None:
    """The most specific confident subject from the classifier, if any."""
    if not preds:
        return None
    top = preds[0]
    scores = tag_scores(preds)
    # Two classes may share a label ("rocket"): their probabilities add up.
    if scores[top.label.lower()] >= SUBJECT_MIN:
        return with_article(top.label, top.info.article), scores[top.label.lower()]
    # Most specific general word first, following the likeliest classes.
    for p in preds:
        for word in p.info.parents:
            if scores[word] >= GENERAL_MIN:
                return with_article(word), scores[word]
    return None


def _colour_sentence(stats: ColorStats) -> tuple[str, float]:
    if stats.colors.is_bw:
        return "A black and white image", 0.9
    shares = [*stats.shares.items(), ("", 0.0)]
    (first, s1), (second, s2) = shares[0], shares[1]
    if s1 >= 0.5 or not second:
        return f"A mostly {first} image", s1
    if s1 + s2 >= 0.6:
        return capitalise(with_article(f"{first} and {second} image")), s1 + s2
    return "A colorful image", s1 + s2


def _main_phrase(main: Group, scene: Scene) -> tuple[str, float]:
    """The main subject, with the classifier's finer name where it fits."""
    p = scene.classifier
    if main.label == "person":
        return counted("person", max(main.count, scene.people)), main.score
    if p is not None and p.probability >= REFINE_MIN and main.count == 1:
        if main.label in CONTAINERS and {"drink", "food"} & set(p.info.parents):
            contents = p.label if not p.info.article else noun(p.label, 2)
            return f"{with_article(noun(main.label))} of {contents}", min(
                main.score, p.probability
            )
        if main.label in p.info.parents:  # "tabby cat" is a kind of "cat"
            return with_article(p.label, p.info.article), min(main.score, p.probability)
    return counted(main.label, main.count), main.score


def _scene_sentence(scene: Scene, stats: ColorStats) -> tuple[str, float]:
    main, *rest = scene.groups
    phrase, conf = _main_phrase(main, scene)
    place = next((g for g in rest if g.label in PLACES), None)
    if place is not None and main.label not in {"person", "cat", "dog"}:
        place = None  # only people and pets are "at a table"
    others = [g for g in rest if g is not place][:2]
    parts = [counted(g.label, g.count) for g in others]
    p = scene.classifier
    if (
        p is not None
        and p.probability >= REFINE_MIN
        and not p.info.parents  # a thing of its own, not a kind of animal
        and all(g.label == "person" for g in scene.groups)
    ):
        parts.append(with_article(p.label, p.info.article))
        conf = min(conf, p.probability)
    text = phrase
    if parts:
        text += " with " + join_words(parts)
        conf = min([conf, *(g.score for g in others)])
    if place is not None:
        text += f" {PLACES[place.label]} {counted(place.label, 1)}"
        conf = min(conf, place.score)
    elif (
        main.label in FLYING
        and main.top < 0.5
        and stats.colors.dominant_background in SKY_COLORS
    ):
        text += " in the sky"
    if stats.colors.is_bw:
        return f"A black and white photo of {text}", round(conf, 4)
    return capitalise(text), round(conf, 4)


def describe(
    preds: list[Prediction],
    faces: list[Face],
    stats: ColorStats,
    scene: Scene | None = None,
) -> tuple[str, float]:
    """(sentence, confidence in [0, 1])."""
    if scene is not None and scene.groups:
        return _scene_sentence(scene, stats)
    if scene is not None and scene.classifier is None:
        preds = []  # it contradicted the detector: say less
    kind = "black and white photo" if stats.colors.is_bw else "photo"
    subject = _subject(preds)
    if faces:
        people, conf = _people(faces)
        # A person-class subject ("scuba diver") already says it; anything
        # else confident is worth adding.
        if subject and not any("person" in p.info.parents for p in preds[:1]):
            text, sconf = subject
            return f"A {kind} of {people} with {text}", round(min(conf, sconf), 4)
        return f"A {kind} of {people}", round(conf, 4)
    if subject:
        text, conf = subject
        return f"A {kind} of {text}", round(min(1.0, conf), 4)
    sentence, conf = _colour_sentence(stats)
    return sentence, round(min(1.0, conf), 4)
