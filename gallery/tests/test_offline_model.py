"""The offline model: torch-free weights, the ONNX graph against PyTorch,
loading and caching, embeddings."""

from __future__ import annotations

import io
import json
import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from bench import synthetic
from gallery.analysis.local import (
    EMBEDDING_DIM,
    image_embedding,
)
from gallery.analysis.local import model as model_mod
from gallery.analysis.local.pth import PthFormatError, read_state_dict
from gallery.tests.offline import (
    cosine_top1,
)

REFERENCE = Path(__file__).with_name("data") / "efficientnet_reference.json"
pytestmark = pytest.mark.usefixtures("offline_settings")


# --- the torch-free weights reader ------------------------------------------


def test_pth_reader_reads_every_tensor():
    sd = read_state_dict(model_mod.weights_path())
    assert len(sd) == 296
    params = sum(v.size for k, v in sd.items() if not k.endswith("num_batches_tracked"))
    assert params == 4_694_024
    assert sd["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert sd["_fc.weight"].shape == (1000, 1280)
    assert sd["_fc.weight"].dtype == np.float32
    assert sd["_bn0.num_batches_tracked"].dtype == np.int64
    assert np.all(sd["_bn1.running_var"] > 0)


def test_pth_reader_refuses_code_and_garbage(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    head = b"".join(pickle.dumps(x) for x in (0x1950A86A20F9469CFC6C, 1001,
                                               {"little_endian": True}))  # fmt: skip
    with pytest.raises(PthFormatError, match="forbidden"):
        read_state_dict(head + pickle.dumps({"w": Evil()}))
    with pytest.raises(PthFormatError, match="magic"):
        read_state_dict(pickle.dumps(12345))
    with pytest.raises(PthFormatError):
        read_state_dict(b"not a pickle at all")
    truncated = model_mod.weights_path().read_bytes()[:-1000]
    with pytest.raises(PthFormatError):
        read_state_dict(truncated)


# --- the ONNX graph against PyTorch -------------------------------------------


REFERENCE_DOC = json.loads(REFERENCE.read_text())


@pytest.mark.parametrize("name", sorted(REFERENCE_DOC["images"]))
def test_graph_matches_pytorch_reference(name):
    ref = REFERENCE_DOC["images"][name]
    img = synthetic.REFERENCE_IMAGES[name]()
    assert synthetic.pixels_sha256(img) == ref["sha256"], "test image generator changed"
    if img.size == (224, 224):
        x = model_mod.normalize(np.asarray(img))
    else:
        x = model_mod.preprocess(img)
    logits, features = model_mod.get_model().run(x[None])
    diff = np.abs(logits[0] - np.asarray(ref["logits"])).max()
    assert diff < 1e-3, f"max |logit diff| {diff}"
    assert np.argsort(-logits[0])[:5].tolist() == ref["top5"]
    head = np.asarray(ref["features_head"])
    assert np.abs(features[0, : len(head)] - head).max() < 1e-3


def test_reference_is_not_trivially_constant():
    # Guards the guard: different images must give different reference outputs.
    tops = {tuple(v["top5"]) for v in REFERENCE_DOC["images"].values()}
    assert len(tops) == len(REFERENCE_DOC["images"])


# --- model loading and caching ------------------------------------------------


def test_model_is_built_once_then_loaded_from_cache(tmp_path):
    built = model_mod.load_model(tmp_path / "m")
    assert built.source == "built"
    cached = tmp_path / "m" / model_mod.ONNX_NAME
    assert cached.is_file()
    again = model_mod.load_model(tmp_path / "m")
    assert again.source == "cache"
    x = model_mod.normalize(np.asarray(synthetic.shapes()))[None]
    assert np.allclose(built.run(x)[0], again.run(x)[0], atol=1e-5)


def test_corrupt_cache_is_rebuilt(tmp_path):
    (tmp_path / model_mod.ONNX_NAME).write_bytes(b"garbage")
    m = model_mod.load_model(tmp_path)
    assert m.source == "built"
    assert (tmp_path / model_mod.ONNX_NAME).stat().st_size > 10_000_000


def test_unwritable_model_dir_falls_back_to_memory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the directory should be")
    m = model_mod.load_model(blocker / "models")
    assert m.source == "memory"
    assert m.run(np.zeros((1, 3, 224, 224), np.float32))[0].shape == (1, 1000)


def test_concurrent_builds_leave_one_complete_file(tmp_path):
    with ThreadPoolExecutor(3) as pool:
        models = list(
            pool.map(lambda _: model_mod.load_model(tmp_path, threads=1), range(3))
        )
    assert {m.source for m in models} <= {"built", "cache"}
    assert [p.name for p in tmp_path.iterdir()] == [model_mod.ONNX_NAME]
    assert model_mod.load_model(tmp_path).source == "cache"


def test_get_model_uses_the_setting_and_loads_once(settings, tmp_path):
    model_mod.reset_model()
    try:
        settings.GALLERY_MODEL_DIR = tmp_path
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda _: model_mod.get_model(), range(4)))
        assert all(m is got[0] for m in got)
        assert (tmp_path / model_mod.ONNX_NAME).is_file()
    finally:
        model_mod.reset_model()


# --- embeddings -----------------------------------------------------------------


def test_projection_is_fixed_and_orthonormal():
    p = model_mod.projection()
    assert p.shape == (1280, EMBEDDING_DIM)
    assert np.allclose(p.T @ p, np.eye(EMBEDDING_DIM), atol=1e-5)
    model_mod.projection.cache_clear()
    assert np.array_equal(model_mod.projection(), p)
    # Stored embeddings depend on these numbers: a change must be deliberate.
    assert np.round(p[0, :3], 4).tolist() == pytest.approx(PROJECTION_HEAD, abs=2e-4)


PROJECTION_HEAD = [-0.0527, -0.0094, 0.0289]


def test_embedding_is_unit_length():
    emb = image_embedding(synthetic.jpeg_bytes(synthetic.photo_like(3)))
    assert len(emb) == EMBEDDING_DIM
    assert all(isinstance(v, float) for v in emb)
    assert np.linalg.norm(emb) == pytest.approx(1.0, abs=1e-5)


EDITS = {
    "crop": lambda im: im.crop((40, 30, im.width - 50, im.height - 40)),
    "mirror": ImageOps.mirror,
    "brighter": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    "jpeg_q60": lambda im: Image.open(io.BytesIO(synthetic.jpeg_bytes(im, 60))),
    "all": lambda im: ImageEnhance.Brightness(
        ImageOps.mirror(im.crop((30, 20, im.width - 30, im.height - 20)))
    ).enhance(0.8),
}


def test_edited_copy_finds_its_original():
    seeds = list(range(100, 111))
    originals = [
        image_embedding(synthetic.jpeg_bytes(synthetic.photo_like(s))) for s in seeds
    ]
    misses = []
    for i in (0, 4, 8):
        photo = synthetic.photo_like(seeds[i])
        for edit_name, edit in EDITS.items():
            query = image_embedding(synthetic.jpeg_bytes(edit(photo)))
            if cosine_top1(query, originals) != i:
                misses.append((seeds[i], edit_name))
    assert not misses


def test_different_images_are_not_near_duplicates():
    a = image_embedding(synthetic.jpeg_bytes(synthetic.photo_like(1)))
    b = image_embedding(synthetic.jpeg_bytes(synthetic.photo_like(2)))
    c = image_embedding(synthetic.jpeg_bytes(ImageOps.mirror(synthetic.photo_like(1))))
    assert np.dot(a, c) > np.dot(a, b) + 0.1
