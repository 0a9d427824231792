"""The offline analyzer on labelled sample photos: the README's quality table.

Dev tool. The photos are scikit-image's sample data, shipped in its wheel on
PyPI (see bench/make_sample_photos.py for how to unpack it)::

    .venv/bin/python bench/analysis_quality.py /tmp/sk/skimage/data

Prints a Markdown table (what is in each photo, what the previous analyzer
said, what this one says) and records this analyzer's results in
``gallery/tests/data/sample_analyses.json``, which the search tests use as
real analysis records.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "gallery/tests/data/sample_analyses.json"

# scikit-image file -> (what is in it, its licence as scikit-image states it).
PHOTOS = {
    "astronaut.png": ("astronaut Eileen Collins, portrait", "public domain (NASA)"),
    "chelsea.png": ("a tabby cat", "CC0 (Stefan van der Walt)"),
    "coffee.png": ("a cup of coffee on a saucer", "CC0 (Rachel Michetti)"),
    "motorcycle_left.png": (
        "a red motorcycle in a grey garage",
        "Middlebury 2014 stereo dataset (no licence stated)",
    ),
    "rocket.jpg": ("a rocket on its launch pad at dusk", "public domain (SpaceX)"),
    "hubble_deep_field.jpg": ("colourful galaxies on black", "public domain (NASA)"),
    "camera.png": ("a man with a camera on a tripod, B&W", "CC0 (Lav Varshney)"),
    "horse.png": ("a horse's silhouette", "CC0 (Andreas Preuss)"),
    "coins.png": (
        "old coins, B&W",
        "no known copyright restrictions (Brooklyn Museum)",
    ),
    "moon.png": ("the moon's surface, B&W", "no licence stated"),
    "two_people": ("astronaut.png and camera.png side by side", "as both"),
}
# What the analyzer said before object detection (commit 4990a47): description,
# tags, colours, black and white.
BEFORE = {
    "astronaut.png": ("A photo of a person", ["person", "face"]),
    "chelsea.png": (
        "A photo of a cat",
        ["animal", "mammal", "cat", "pet", "tiger cat"],
    ),
    "coffee.png": ("A photo of espresso", ["food", "drink", "espresso"]),
    "motorcycle_left.png": ("A photo of a moped", ["vehicle", "moped", "motorcycle"]),
    "rocket.jpg": ("A photo of a weapon", ["missile", "weapon", "vehicle"]),
    "hubble_deep_field.jpg": ("A black and white image", ["animal"]),
    "camera.png": ("A black and white photo of a tripod", ["tripod"]),
    "horse.png": (
        "A black and white photo of a dog",
        ["dog", "pet", "animal", "mammal"],
    ),
    "coins.png": ("A black and white image", []),
    "moon.png": ("A black and white photo of a nematode", ["nematode", "animal"]),
    "two_people": (
        "A photo of a person with a football helmet",
        ["person", "face", "clothing", "football helmet", "hat"],
    ),
}
BEFORE_COLORS = {
    "motorcycle_left.png": "gray, brown, black",
    "hubble_deep_field.jpg": "black (black and white)",
}


def photo_bytes(data_dir: Path, name: str) -> bytes:
    if name != "two_people":
        return (data_dir / name).read_bytes()
    import io

    from PIL import Image

    left = Image.open(data_dir / "astronaut.png").convert("RGB")
    right = Image.open(data_dir / "camera.png").convert("RGB")
    both = Image.new("RGB", (left.width + right.width, left.height))
    both.paste(left, (0, 0))
    both.paste(right, (left.width, 0))
    out = io.BytesIO()
    both.save(out, "JPEG", quality=90)
    return out.getvalue()


def main(data_dir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image_repo_project.settings")
    os.environ.setdefault("IMG_REPO_SECRET_KEY", "bench")
    import django

    django.setup()
    from gallery.analysis.local import LocalAnalyzer

    analyzer = LocalAnalyzer()
    records = {}
    print("| photo (licence) | what is in it | before | now |")
    print("|---|---|---|---|")
    for name, (content, licence) in PHOTOS.items():
        result = analyzer.analyze(photo_bytes(data_dir, name))
        tags = [
            t.name + (f" ×{t.count}" if t.count > 1 else "") for t in result.tags[:5]
        ]
        colors = ", ".join(result.colors.dominant_colors)
        records[name] = {
            "what": content,
            "description": result.description,
            "tags": [[t.name, round(t.confidence, 4), t.count] for t in result.tags],
            "colors": [
                result.colors.dominant_foreground,
                result.colors.dominant_background,
                result.colors.dominant_colors,
                result.colors.accent_color,
                result.colors.is_bw,
            ],
        }
        old_text, old_tags = BEFORE[name]
        before = f"{old_text}; {', '.join(old_tags) or '–'}"
        if name in BEFORE_COLORS:
            before += f"; colours {BEFORE_COLORS[name]}"
        now = f"{result.description}; {', '.join(tags) or '–'}"
        if name in BEFORE_COLORS:
            now += f"; colours {colors}" + (" (B&W)" if result.colors.is_bw else "")
        print(f"| {name} ({licence}) | {content} | {before} | {now} |")
    OUT.write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
