"""TensorFlow.js in a throwaway folder, for the reference scripts (dev tool).

REQUIRES node and npm (not dependencies of the project). ``TfjsRunner``
installs TensorFlow.js 4.22.0 (pure JavaScript CPU backend) into a temporary
folder and runs a TensorFlow.js graph model exactly as shipped on a float32
input, returning the outputs asked for. Used by
``bench/make_centernet_reference.py`` and ``bench/make_face_reference.py``.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

TFJS = "@tensorflow/tfjs@4.22.0"

RUNNER = r"""
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
async function main() {
  const [modelJson, inputFile, shape, outFile, ...names] = process.argv.slice(2);
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
  const outs = [].concat(model.execute(tf.tensor(data, JSON.parse(shape)), names));
  const result = {};
  for (let i = 0; i < names.length; i++) {
    result[names[i]] = Array.from(await outs[i].data());
  }
  fs.writeFileSync(outFile, JSON.stringify(result));
}
main().catch((e) => { console.error(e); process.exit(1); });
"""


class TfjsRunner:
    """``with TfjsRunner() as tfjs: tfjs.run(model_json, x, ["out"])``."""

    def __enter__(self) -> TfjsRunner:
        self._tmp = tempfile.TemporaryDirectory()
        self.work = Path(self._tmp.name)
        subprocess.run(
            ["npm", "install", "--no-save", "--ignore-scripts", "--prefix",
             str(self.work), TFJS],
            check=True,
        )  # fmt: skip
        (self.work / "run.js").write_text(RUNNER)
        return self

    def __exit__(self, *exc) -> None:
        self._tmp.cleanup()

    def run(
        self, model_json: Path, x: np.ndarray, outputs: list[str]
    ) -> dict[str, np.ndarray]:
        """The graph's ``outputs`` for the input ``x`` (batch dimension added)."""
        x[None].astype(np.float32).tofile(self.work / "input.f32")
        shape = json.dumps([1, *x.shape])
        subprocess.run(
            ["node", "run.js", str(model_json), "input.f32", shape, "out.json",
             *outputs],
            check=True,
            cwd=self.work,
        )  # fmt: skip
        out = json.loads((self.work / "out.json").read_text())
        return {name: np.asarray(out[name], np.float32) for name in outputs}
