"""Copy scikit-image's public-domain / CC0 sample photos into the test data.

Dev tool, run once. The photos ship inside the scikit-image wheel on PyPI
(``skimage/data``); nothing else is needed to get them::

    pip download --no-deps scikit-image==0.26.0 -d /tmp/sk
    unzip -q /tmp/sk/scikit_image-0.26.0-*.whl 'skimage/data/*' -d /tmp/sk
    .venv/bin/python bench/make_sample_photos.py /tmp/sk/skimage/data

Each is stored as a JPEG of at most 384 px (small enough for the repository,
large enough for the analyzer) in ``gallery/tests/data/photos/``, where the
README beside them gives each photo's source and licence.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

OUT = Path(__file__).resolve().parent.parent / "gallery/tests/data/photos"
MAX_SIDE = 384
# Our name -> scikit-image file. Only photos whose licence allows copying:
# CC0 or public domain (see skimage/data/_fetchers.py in the wheel).
PHOTOS = {
    "cat.jpg": "chelsea.png",  # CC0, Stefan van der Walt
    "coffee.jpg": "coffee.png",  # CC0, Rachel Michetti
    "astronaut.jpg": "astronaut.png",  # public domain, NASA
    "cameraman.jpg": "camera.png",  # CC0, Lav Varshney
    "rocket.jpg": "rocket.jpg",  # public domain, SpaceX
    "deep_sky.jpg": "hubble_deep_field.jpg",  # public domain, NASA
}


def main(data_dir: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, source in PHOTOS.items():
        img = Image.open(data_dir / source).convert("RGB")
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        img.save(OUT / name, "JPEG", quality=88)
        print(f"{name}: {img.size}, {(OUT / name).stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
