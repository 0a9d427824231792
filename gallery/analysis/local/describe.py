"""One honest sentence about an image, from what the other steps found.

Only a confident finding becomes the subject ("A photo of a tabby cat"); when
the classifier is unsure we fall back to a more general word it is sure of
("A photo of a dog"), then to people found by the face detector, and finally
to what is certain: the colours ("A mostly blue image").
"""

from __future__ import annotations

from .colors import ColorStats
from .faces import Face
from .tags import Prediction, tag_scores

# A class must be at least this likely to be named as the subject...
SUBJECT_MIN = 0.4
# ...and a general word ("dog", "car") at least this likely.
GENERAL_MIN = 0.5
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
    if top.probability >= SUBJECT_MIN:
        return with_article(top.label, top.info.article), top.probability
    scores = tag_scores(preds)
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
        return f"A {first} and {second} image", s1 + s2
    return "A colorful image", s1 + s2


def describe(
    preds: list[Prediction], faces: list[Face], stats: ColorStats
) -> tuple[str, float]:
    """(sentence, confidence in [0, 1])."""
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
