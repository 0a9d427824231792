"""Record TensorFlow.js reference outputs of the face models (dev tool).

REQUIRES node and npm (not dependencies of the project). Like
``bench/make_centernet_reference.py`` it runs, in TensorFlow.js
(bench/tfjs_reference.py), the ``@vladmandic/human`` graphs exactly as
shipped: BlazeFace on the sample portraits letterboxed to 256 px, FaceRes on a
224 px crop of each face. It writes ``gallery/tests/data/face_reference.json``,
which ``gallery/tests/test_offline_faces.py`` checks our converted ONNX graphs
against. Run it from the repository root after set-up::

    .venv/bin/python bench/make_face_reference.py

The letterbox (scale the longer side to 256, bilinear, centre on black, then
x / 127.5 - 1) and the crops are written out here independently of
gallery.analysis.local.faces on purpose, so the test pins them too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "gallery/tests/data/face_reference.json"
PHOTOS = ROOT / "gallery/tests/data/photos"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from tfjs_reference import TFJS, TfjsRunner  # noqa: E402

from gallery.analysis.local.packages import HUMAN, fetch  # noqa: E402

IMAGES = ("astronaut.jpg", "cameraman.jpg")
# Face boxes (left, top, side) in each photo for the FaceRes crops.
CROPS = {"astronaut.jpg": (129, 55, 80), "cameraman.jpg": (136, 95, 55)}
ANCHORS_KEPT = 8  # best anchors recorded per image


def letterboxed(img: Image.Image) -> np.ndarray:
    img = img.convert("RGB")
    w, h = img.size
    scale = 256 / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = np.zeros((256, 256, 3), dtype=np.float32)
    x0, y0 = (256 - nw) // 2, (256 - nh) // 2
    small = img.resize((nw, nh), Image.Resampling.BILINEAR)
    canvas[y0 : y0 + nh, x0 : x0 + nw] = np.asarray(small, dtype=np.float32)
    return canvas / 127.5 - 1.0


def crop(img: Image.Image, left: int, top: int, side: int) -> np.ndarray:
    face = img.convert("RGB").crop((left, top, left + side, top + side))
    return np.asarray(face.resize((224, 224), Image.Resampling.BILINEAR), np.float32)


def main() -> None:
    package = fetch(ROOT / "var" / "packages")
    doc: dict = {
        "source": f"TensorFlow.js {TFJS.split('@')[-1]} (CPU backend) running "
        f"{HUMAN.name}@{HUMAN.version} models/blazeface.json and models/faceres.json",
        "blazeface": {},
        "faceres": {},
    }
    with TfjsRunner() as tfjs:
        for name in IMAGES:
            img = Image.open(PHOTOS / name)
            out = tfjs.run(
                package / "models/blazeface.json",
                letterboxed(img),
                ["Identity", "Identity_1", "Identity_2", "Identity_3"],
            )
            # In the converted graph's order: the 512 anchors, then the 384.
            scores = np.concatenate([out["Identity"], out["Identity_1"]])
            boxes = np.concatenate(
                [out["Identity_2"].reshape(-1, 16), out["Identity_3"].reshape(-1, 16)]
            )
            best = np.argsort(-scores)[:ANCHORS_KEPT]
            doc["blazeface"][name] = {
                "anchors": [int(i) for i in best],
                "scores": [round(float(scores[i]), 5) for i in best],
                "boxes": [[round(float(v), 4) for v in boxes[i]] for i in best],
            }
            desc = tfjs.run(
                package / "models/faceres.json",
                crop(img, *CROPS[name]),
                ["global_pooling/Mean"],
            )["global_pooling/Mean"]
            doc["faceres"][name] = {
                "crop": list(CROPS[name]),
                "descriptor": [round(float(v), 6) for v in desc],
            }
            print(name, "best face logit", scores[best[0]])
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
