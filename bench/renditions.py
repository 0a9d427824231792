"""Rendition benchmark: time and bytes of the full rendition set per codec.

    .venv/bin/python bench/renditions.py [--repeat 5]

For 12 MP photos (a photo-like synthetic picture with sensor grain, and three
of the sample photos in gallery/tests/data/photos scaled up to 12 MP), JPEG
q 90 as a camera writes them, it decodes each once as the worker does
(gallery.imaging.decode_upright: libjpeg's reduced decode, upright, RGB),
then makes the whole set of RENDITION_SIZES with each candidate encoder
(gallery.imaging.renditions_of) and reports the median time of the set and
the bytes of each rendition. With pyvips installed it also times libvips
making the same WebP set from the JPEG bytes (its own shrink-on-load
decode), against Pillow's decode plus set.
Results: bench/results/renditions.txt.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import synthetic  # noqa: E402

from gallery.imaging import (  # noqa: E402
    RENDITION_SAVE,
    RENDITION_SIZES,
    decode_upright,
    renditions_of,
)

PHOTOS = ROOT / "gallery" / "tests" / "data" / "photos"
SIZE = (4000, 3000)
ENCODERS: dict[str, dict] = {
    "JPEG q82 (before)": {"format": "JPEG", "quality": 82, "optimize": True},
    "WebP q80 effort 0": {**RENDITION_SAVE, "method": 0},
    "WebP q80 effort 2 (chosen)": RENDITION_SAVE,
    "WebP q80 effort 4": {**RENDITION_SAVE, "method": 4},
    "WebP q80 effort 6": {**RENDITION_SAVE, "method": 6},
    "AVIF q60 speed 6": {"format": "AVIF", "quality": 60, "speed": 6},
    "AVIF q60 speed 8": {"format": "AVIF", "quality": 60, "speed": 8},
}


def inputs() -> dict[str, bytes]:
    made = {"synthetic": synthetic.jpeg_bytes(synthetic.photo_like(7, *SIZE))}
    for name in ("astronaut", "coffee", "cat"):
        with Image.open(PHOTOS / f"{name}.jpg") as small:
            big = small.convert("RGB").resize(SIZE, Image.Resampling.LANCZOS)
        made[name] = synthetic.jpeg_bytes(big)
    return made


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def vips_set(data: bytes) -> dict[str, bytes]:
    import pyvips

    made = {}
    # Decoded (shrunk on load) once, then kept in memory for the smaller ones.
    current = pyvips.Image.thumbnail_buffer(
        data, RENDITION_SIZES["preview"]
    ).copy_memory()
    for name, box in RENDITION_SIZES.items():
        if max(current.width, current.height) > box:
            current = current.thumbnail_image(box)
        made[name] = current.webpsave_buffer(Q=80, effort=2, strip=True)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lines = [
        f"{'photo':<10} {'encoder':<28} {'set ms':>7}  "
        + "  ".join(f"{name} KB" for name in RENDITION_SIZES)
    ]
    for photo, data in inputs().items():
        decode = median_ms(
            lambda data=data: decode_upright(data, min_side=RENDITION_SIZES["preview"]),
            args.repeat,
        )
        pixels = decode_upright(data, min_side=RENDITION_SIZES["preview"])
        lines.append(f"{photo:<10} {'decode (Pillow, reduced)':<28} {decode:>7.0f}")
        # A 2048 px preview instead: libjpeg can no longer halve a 12 MP photo.
        wide = median_ms(
            lambda data=data: decode_upright(data, min_side=2048), args.repeat
        )
        big = decode_upright(data, min_side=2048)
        preview = big.resize((2048, 1536), Image.Resampling.BICUBIC, reducing_gap=2.0)
        encoded = io.BytesIO()
        preview.save(encoded, **RENDITION_SAVE)
        encode = median_ms(
            lambda preview=preview: preview.save(io.BytesIO(), **RENDITION_SAVE),
            args.repeat,
        )
        lines.append(
            f"{photo:<10} {'2048 preview: decode, WebP':<28} {wide:>7.0f} "
            f"{encode:>5.0f} ms, {len(encoded.getvalue()) / 1024:.1f} KB"
        )
        for label, save in ENCODERS.items():
            made = renditions_of(pixels, size=SIZE, save=save)
            took = median_ms(
                lambda save=save, pixels=pixels: renditions_of(
                    pixels, size=SIZE, save=save
                ),
                args.repeat,
            )
            sizes = "  ".join(f"{len(made[name]) / 1024:>7.1f}" for name in made)
            lines.append(f"{photo:<10} {label:<28} {took:>7.0f}  {sizes}")
        try:
            made = vips_set(data)
        except ImportError:
            continue
        took = median_ms(lambda data=data: vips_set(data), args.repeat)
        both = median_ms(
            lambda data=data: renditions_of(
                decode_upright(data, min_side=RENDITION_SIZES["preview"]), size=SIZE
            ),
            args.repeat,
        )
        sizes = "  ".join(f"{len(made[name]) / 1024:>7.1f}" for name in made)
        lines.append(
            f"{photo:<10} {'libvips decode + WebP set':<28} {took:>7.0f}  {sizes}"
        )
        lines.append(f"{photo:<10} {'Pillow decode + WebP set':<28} {both:>7.0f}")
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results" / "renditions.txt"
    out.write_text(report + "\n")


if __name__ == "__main__":
    main()
