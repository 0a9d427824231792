"""Record TensorFlow.js reference outputs of the face models (dev tool).

REQUIRES node and npm (not dependencies of the project). Like
``bench/make_centernet_reference.py`` it installs TensorFlow.js 4.22.0 (pure
JavaScript CPU backend) into a throwaway folder and runs the
``@vladmandic/human`` graphs exactly as shipped: BlazeFace on the sample
portraits letterboxed to 256 px, FaceRes on a 224 px crop of each face. It
writes ``gallery/tests/data/face_reference.json``, which
``gallery/tests/test_offline_faces.py`` checks our converted ONNX graphs
against. Run it from the repository root after set-up::

    .venv/bin/python bench/make_face_reference.py

The letterbox (scale the longer side to 256, bilinear, centre on black, then
x / 127.5 - 1) and the crops are written out here independently of
gallery.analysis.local.faces on purpose, so the test pins them too.
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
OUT = ROOT / "gallery/tests/data/face_reference.json"
PHOTOS = ROOT / "gallery/tests/data/photos"
sys.path.insert(0, str(ROOT))

from gallery.analysis.local.packages import HUMAN, fetch  # noqa: E402

TFJS = "@tensorflow/tfjs@4.22.0"
IMAGES = ("astronaut.jpg", "cameraman.jpg")
# Face boxes (left, top, side) in each photo for the FaceRes crops.
CROPS = {"astronaut.jpg": (129, 55, 80), "cameraman.jpg": (136, 95, 55)}
ANCHORS_KEPT = 8  # best anchors recorded per image

RUNNER = r"""
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
async function main() {
  const [modelJson, inputFile, shape, outFile] = process.argv.slice(2);
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
    userDefinedMetadata: doc.userDefinedMetadata,
  }));
  const raw = fs.readFileSync(inputFile);
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const input = tf.tensor(data, JSON.parse(shape));
  const names = process.argv[6] ? [process.argv[6]] : model.outputs.map((o) => o.name);
  const outs = model.execute(input, names);
  const result = {};
  for (let i = 0; i < names.length; i++) {
    result[names[i]] = Array.from(await (Array.isArray(outs) ? outs[i] : outs).data());
  }
  fs.writeFileSync(outFile, JSON.stringify(result));
}
main().catch((e) => { console.error(e); process.exit(1); });
"""


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


def run(
    work: Path, model: Path, x: np.ndarray, output: str = ""
) -> dict[str, np.ndarray]:
    x[None].astype(np.float32).tofile(work / "input.f32")
    shape = json.dumps([1, *x.shape])
    subprocess.run(
        ["node", "run.js", str(model), "input.f32", shape, "out.json", output],
        check=True,
        cwd=work,
    )
    out = json.loads((work / "out.json").read_text())
    return {name.split(":")[0]: np.asarray(v, np.float32) for name, v in out.items()}


def main() -> None:
    package = fetch(ROOT / "var" / "packages")
    doc: dict = {
        "source": f"TensorFlow.js {TFJS.split('@')[-1]} (CPU backend) running "
        f"{HUMAN.name}@{HUMAN.version} models/blazeface.json and models/faceres.json",
        "blazeface": {},
        "faceres": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run(
            ["npm", "install", "--no-save", "--ignore-scripts", "--prefix", tmp, TFJS],
            check=True,
        )
        (work / "run.js").write_text(RUNNER)
        for name in IMAGES:
            img = Image.open(PHOTOS / name)
            out = run(work, package / "models/blazeface.json", letterboxed(img))
            # Outputs in the converted graph's order: 512 anchors, then 384.
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
            desc = run(
                work,
                package / "models/faceres.json",
                crop(img, *CROPS[name]),
                "global_pooling/Mean",
            )
            doc["faceres"][name] = {
                "crop": list(CROPS[name]),
                "descriptor": [round(float(v), 6) for v in desc["global_pooling/Mean"]],
            }
            print(name, "best face logit", scores[best[0]])
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
