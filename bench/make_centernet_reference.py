"""Record TensorFlow.js reference outputs of the CenterNet detector (dev tool).

REQUIRES node and npm (not dependencies of the project). It installs
TensorFlow.js 4.22.0 (pure JavaScript CPU backend) into a throwaway folder,
runs the ``@vladmandic/human`` graph exactly as shipped (its own decode tail
included: ``tower_0/detections``) on the deterministic images of
``bench/synthetic.py``, and writes ``gallery/tests/data/centernet_reference.json``.
``gallery/tests/test_offline_detect.py`` checks our converted ONNX graph plus
numpy decoding against it. Run it from the repository root after set-up::

    .venv/bin/python bench/make_centernet_reference.py

Letterboxing is written out here independently of gallery.analysis.local.detect
on purpose, so the test pins it too: scale the longer side to 512 (bilinear),
centre the picture on a (114, 114, 114) canvas.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "gallery/tests/data/centernet_reference.json"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from synthetic import DETECTOR_REFERENCE_IMAGES, pixels_sha256  # noqa: E402

from gallery.analysis.local.packages import HUMAN, fetch  # noqa: E402

TFJS = "@tensorflow/tfjs@4.22.0"
ROWS = 20  # detections kept per image, best first

RUNNER = r"""
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
async function main() {
  const [modelJson, inputFile, outFile] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const doc = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const specs = [], buffers = [];
  for (const g of doc.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) {
      buffers.push(fs.readFileSync(path.join(path.dirname(modelJson), p)));
    }
  }
  const all = Buffer.concat(buffers);
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: doc.modelTopology, weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  }));
  const raw = fs.readFileSync(inputFile);
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const out = model.execute(tf.tensor(data, [1, 512, 512, 3]), 'tower_0/detections');
  fs.writeFileSync(outFile, JSON.stringify(Array.from(await out.data())));
}
main().catch((e) => { console.error(e); process.exit(1); });
"""


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
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run(
            ["npm", "install", "--no-save", "--ignore-scripts", "--prefix", tmp, TFJS],
            check=True,
        )
        (work / "run.js").write_text(RUNNER)
        images = {}
        for name, factory in DETECTOR_REFERENCE_IMAGES.items():
            img = factory()
            to_input(img).tofile(work / "input.f32")
            subprocess.run(
                ["node", "run.js", str(package / "models/centernet.json"),
                 "input.f32", "out.json"],
                check=True,
                cwd=work,
            )  # fmt: skip
            rows = np.asarray(json.loads((work / "out.json").read_text()))
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
