"""What is in the picture: detections, classifier and faces weighed together.

The detector says which things are where and how many; the classifier knows
finer names ("tabby cat", "espresso") and scenes the detector has no class
for ("tripod", "rocket"); the face detector confirms people. Each keeps its
own confidence, and where they disagree about the same kind of thing the
classifier's weaker words give way: a horse the detector sees is not also
tagged "dog" because the classifier half-thought so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..base import Tag
from .detect import Detection
from .faces import Face
from .tags import Prediction, imagenet_tags, merge_tags

# A detection is believed (tagged, counted, named) from this score on when
# the classifier or the face detector confirms it, and from LONE_MIN alone.
# Lower scores on these sample photos were mostly ghosts (a "clock" in a pile
# of coins, an "umbrella" in a retina scan).
NAME_MIN = 0.4
LONE_MIN = 0.55
# A classifier prediction this likely can confirm a detection.
CONFIRM_MIN = 0.1
# The classifier's words survive a disagreement with the detector only when it
# is this sure of them.
DISAGREE_KEEP = 0.8

ANIMALS = {"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear",
           "zebra", "giraffe"}  # fmt: skip
VEHICLES = {"bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck",
            "boat"}  # fmt: skip
FOOD = {"banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog",
        "pizza", "donut", "cake"}  # fmt: skip
ELECTRONICS = {"tv", "laptop", "mouse", "remote", "keyboard", "cell phone"}
FURNITURE = {"chair", "couch", "bed", "dining table", "bench"}
SPORTS = {"frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat",
          "baseball glove", "skateboard", "surfboard", "tennis racket"}  # fmt: skip

# COCO label -> (noun, plural) where the label does not read well as it is.
NOUNS = {
    "person": ("person", "people"),
    "dining table": ("table", "tables"),
    "tv": ("television", "televisions"),
    "cell phone": ("phone", "phones"),
    "sports ball": ("ball", "balls"),
    "hair drier": ("hair dryer", "hair dryers"),
    "mouse": ("computer mouse", "computer mice"),
    "remote": ("remote control", "remote controls"),
    "knife": ("knife", "knives"),
    "sheep": ("sheep", "sheep"),
    "skis": ("pair of skis", "pairs of skis"),
    "scissors": ("pair of scissors", "pairs of scissors"),
    "broccoli": ("broccoli", "broccoli"),
}


def general_words(label: str) -> tuple[str, ...]:
    """Search words a detected label implies ("dog" -> animal, pet)."""
    words: list[str] = []
    if label in ANIMALS:
        words.append("animal")
    if label in {"cat", "dog"}:
        words.append("pet")
    if label in VEHICLES:
        words.append("vehicle")
    if label in FOOD:
        words.append("food")
    if label in {"banana", "apple", "orange"}:
        words.append("fruit")
    if label in {"broccoli", "carrot"}:
        words.append("vegetable")
    if label in ELECTRONICS:
        words.append("electronics")
    if label in FURNITURE:
        words.append("furniture")
    if label in SPORTS:
        words.append("sports equipment")
    return tuple(words)


def noun(label: str, count: int = 1) -> str:
    singular, plural = NOUNS.get(label, (label, ""))
    if count == 1:
        return singular
    if plural:
        return plural
    if singular.endswith(("s", "sh", "ch", "x")):
        return singular + "es"
    return singular + "s"


@dataclass(frozen=True)
class Group:
    """Every confident detection of one label."""

    label: str
    count: int
    score: float  # the best detection's
    share: float  # of the picture's area its boxes cover (overlaps counted twice)
    top: float  # the highest box top, 0..1 of the picture's height

    @property
    def prominence(self) -> float:
        return self.share * self.score


@dataclass(frozen=True)
class Scene:
    groups: list[Group]  # named things, the main subject first
    people: int  # detected people, or faces where the detector saw fewer
    people_confidence: float
    # The classifier's top prediction when it is about something the detector
    # did not see differently (None when it contradicts the detector).
    classifier: Prediction | None
    tags: list[Tag]
    # Boxes of the main subject's detections, as fractions of the picture.
    subject_boxes: list[tuple[float, float, float, float]]


def credible(
    detections: list[Detection], preds: list[Prediction], faces: list[Face]
) -> list[Detection]:
    """The detections worth believing (see NAME_MIN and LONE_MIN)."""
    confirmed = {
        word for p in preds if p.probability >= CONFIRM_MIN for word in _words_of(p)
    }
    if faces:
        confirmed.add("person")
    return [
        d
        for d in detections
        if d.score >= LONE_MIN
        or (d.score >= NAME_MIN and {d.label, noun(d.label)} & confirmed)
    ]


def _groups(detections: list[Detection], size: tuple[int, int]) -> list[Group]:
    w, h = size
    by_label: dict[str, list[Detection]] = defaultdict(list)
    for d in detections:
        by_label[d.label].append(d)
    groups = [
        Group(
            label=label,
            count=len(found),
            score=max(d.score for d in found),
            share=min(1.0, sum(d.area for d in found) / max(1, w * h)),
            top=min(d.y1 for d in found) / max(1, h),
        )
        for label, found in by_label.items()
    ]
    # People first: a person in a picture is what it is of.
    groups.sort(key=lambda g: (g.label != "person", -g.prominence))
    return groups


def _words_of(p: Prediction) -> set[str]:
    return {p.label.lower(), *p.info.parents}


def _agrees(p: Prediction, groups: list[Group]) -> bool:
    """The classifier names (a kind of) something the detector saw."""
    words = _words_of(p)
    return any(g.label in words or noun(g.label) in words for g in groups)


def _conflicts(p: Prediction, groups: list[Group]) -> bool:
    """The classifier names a different thing of a kind the detector saw
    ("dog" where the detector found a horse)."""
    if _agrees(p, groups):
        return False
    detected_kinds = {w for g in groups for w in general_words(g.label)}
    return bool(set(p.info.parents) & detected_kinds) or "person" in p.info.parents


def detection_tags(detections: list[Detection]) -> list[Tag]:
    """One tag per detected label, with its count, plus the words it implies."""
    by_label: dict[str, list[float]] = defaultdict(list)
    for d in detections:
        by_label[d.label].append(d.score)
    tags = []
    for label, scores in by_label.items():
        best = max(scores)
        count = len(scores)
        tags.append(Tag(label, round(best, 4), count))
        tags += [Tag(word, round(best, 4)) for word in general_words(label)]
        if label == "person" and count >= 2:
            tags.append(Tag("people", round(sorted(scores)[-2], 4), count))
    return tags


def understand(
    detections: list[Detection],
    preds: list[Prediction],
    faces: list[Face],
    size: tuple[int, int],
) -> Scene:
    detections = credible(detections, preds, faces)
    groups = _groups(detections, size)
    top = preds[0] if preds else None
    classifier_tags = imagenet_tags(preds)
    classifier = top
    if groups and top is not None and not _agrees(top, groups):
        # Disagreement: only what the classifier is sure of stays.
        classifier_tags = [t for t in classifier_tags if t.confidence >= DISAGREE_KEEP]
        if _conflicts(top, groups):
            classifier = None
    persons = next((g for g in groups if g.label == "person"), None)
    people = max(persons.count if persons else 0, len(faces))
    if persons and people == persons.count:
        people_confidence = persons.score
    elif faces:
        people_confidence = sum(f.confidence for f in faces) / len(faces)
    else:
        people_confidence = 0.0
    tags = merge_tags(
        detection_tags(detections), classifier_tags, _face_tags(faces, people)
    )
    w, h = max(1, size[0]), max(1, size[1])
    boxes = [
        (d.x1 / w, d.y1 / h, d.x2 / w, d.y2 / h)
        for d in sorted(detections, key=lambda d: -d.score)
        if groups and d.label == groups[0].label
    ]
    return Scene(groups, people, people_confidence, classifier, tags, boxes)


def _face_tags(faces: list[Face], people: int) -> list[Tag]:
    if not faces:
        return []
    best = max(f.confidence for f in faces)
    tags = [Tag("person", best, max(1, people)), Tag("face", best, len(faces))]
    if len(faces) >= 2:
        # The second-best face is what makes it "people".
        second = sorted((f.confidence for f in faces), reverse=True)[1]
        tags.append(Tag("people", second, people))
    return tags
