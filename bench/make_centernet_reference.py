"""Record TensorFlow.js reference outputs of the CenterNet detector (dev tool).

REQUIRES node and npm (not dependencies of the project). It runs, in
TensorFlow.js (bench/tfjs_reference.py), the ``@vladmandic/human`` graph
exactly as shipped (its own decode tail included: ``tower_0/detections``) on
the deterministic images of ``bench/synthetic.py``, and writes
``gallery/tests/data/centernet_reference.json``.
``gallery/tests/test_offline_detect.py`` checks our converted ONNX graph plus
numpy decoding against it. Run it from the repository root after set-up::

    .venv/bin/python bench/make_centernet_reference.py

Letterboxing is written out here independently of gallery.analysis.local.detect
on purpose, so the test pins it too: scale the longer side to 512 (bilinear),
centre the picture on a (114, 114, 114) canvas.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "gallery/tests/data/centernet_reference.json"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from synthetic import DETECTOR_REFERENCE_IMAGES, pixels_sha256  # noqa: E402
from tfjs_reference import TFJS, TfjsRunner  # noqa: E402

from gallery.analysis.local.packages import HUMAN, fetch  # noqa: E402

ROWS = 20  # detections kept per image, best first


def to_input(img: Image.Image) -> np.ndarray:
    img = img.convert("RGB")
    w, h = img.size
    scale = 512 / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = np.full((512, 512, 3), 114, dtype=np.float32)
    x0, y0 = (512 - nw) // 2, (512 - nh) // 2
    small = img.resize((nw, nh), Image.Resampling.BILINEAR)
    canvas[y0 : y0 + nh, x0 : x0 + nw] = np.asarray(small, dtype=np.float32)
    return canvas


def dump(doc: dict) -> str:
    """JSON with one detection per line: readable diffs when it is re-recorded."""
    lines = ["{", f' "source": {json.dumps(doc["source"])},',
             f' "columns": {json.dumps(doc["columns"])},', ' "images": {']  # fmt: skip
    items = list(doc["images"].items())
    for i, (name, image) in enumerate(items):
        head = {k: v for k, v in image.items() if k != "detections"}
        opening = f"  {json.dumps(name)}: {json.dumps(head)[:-1]}, "
        lines.append(opening + '"detections": [')
        rows = image["detections"]
        lines.append(",\n".join("   " + json.dumps(row) for row in rows))
        lines.append("  ]}" + ("," if i < len(items) - 1 else ""))
    return "\n".join([*lines, " }", "}"]) + "\n"


def main() -> None:
    package = fetch(ROOT / "var" / "packages")
    with TfjsRunner() as tfjs:
        images = {}
        for name, factory in DETECTOR_REFERENCE_IMAGES.items():
            img = factory()
            out = tfjs.run(
                package / "models/centernet.json", to_input(img), ["tower_0/detections"]
            )
            rows = out["tower_0/detections"]
            rows = rows.reshape(-1, 6)[:ROWS]
            images[name] = {
                "size": list(img.size),
                "sha256": pixels_sha256(img),
                "detections": [[round(float(v), 4) for v in row] for row in rows],
            }
            print(f"{name:14s} best: class {int(rows[0][5])} score {rows[0][4]:.3f}")
    doc = {
        "source": f"TensorFlow.js {TFJS.split('@')[-1]} (CPU backend) running "
        f"{HUMAN.name}@{HUMAN.version} models/centernet.json",
        "columns": ["x1", "y1", "x2", "y2", "score", "class"],
        "images": images,
    }
    OUT.write_text(dump(doc))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
