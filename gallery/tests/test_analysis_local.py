"""The offline analyzer: torch-free weights, ONNX graph, tags, faces, colours.

Every image is made in memory. The graph is checked against logits recorded
from the PyTorch model by bench/make_efficientnet_reference.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import pickle
import random
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from bench import synthetic
from gallery.analysis import AnalysisError, get_analyzer
from gallery.analysis.base import AZURE_COLOR_NAMES, Colors, Tag
from gallery.analysis.local import (
    EMBEDDING_DIM,
    LocalAnalyzer,
    color_name,
    image_colors,
    image_embedding,
)
from gallery.analysis.local import model as model_mod
from gallery.analysis.local.colors import color_stats
from gallery.analysis.local.decode import decode
from gallery.analysis.local.describe import describe
from gallery.analysis.local.faces import detect_faces
from gallery.analysis.local.pth import PthFormatError, read_state_dict
from gallery.analysis.local.tags import (
    Prediction,
    classes,
    imagenet_tags,
    softmax,
    tag_scores,
    top_predictions,
)

REFERENCE = Path(__file__).with_name("data") / "efficientnet_reference.json"


# --- fixtures and helpers -----------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    # A fresh cache dir for this module; the process-wide model is reset so it
    # really loads from here, and reset again so other modules start clean.
    model_mod.reset_model()
    yield tmp_path_factory.mktemp("models")
    model_mod.reset_model()


@pytest.fixture(autouse=True)
def _model_settings(settings, model_dir):
    settings.GALLERY_MODEL_DIR = model_dir
    settings.GALLERY_ANALYZER = "local"


@pytest.fixture(scope="module")
def analyzer() -> LocalAnalyzer:
    return LocalAnalyzer()


def encode(img: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def draw_face(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    """A simple frontal face: enough structure for the Haar cascade."""
    d.ellipse((cx - r, cy - 1.25 * r, cx + r, cy + 1.25 * r), fill=(224, 172, 140))
    d.chord((cx - 1.05 * r, cy - 1.35 * r, cx + 1.05 * r, cy - 0.2 * r), 180, 360,
            fill=(60, 40, 30))  # fmt: skip
    for side in (-1, 1):
        ex, ey = cx + side * 0.4 * r, cy - 0.15 * r
        d.ellipse(
            (ex - 0.22 * r, ey - 0.1 * r, ex + 0.22 * r, ey + 0.1 * r), fill="white"
        )
        d.ellipse((ex - 0.09 * r, ey - 0.09 * r, ex + 0.09 * r, ey + 0.09 * r),
                  fill=(40, 30, 20))  # fmt: skip
        d.line((ex - 0.25 * r, ey - 0.28 * r, ex + 0.25 * r, ey - 0.3 * r),
               fill=(70, 50, 40), width=max(2, int(0.07 * r)))  # fmt: skip
    d.polygon([(cx, cy - 0.05 * r), (cx - 0.12 * r, cy + 0.35 * r),
               (cx + 0.12 * r, cy + 0.35 * r)], fill=(200, 145, 115))  # fmt: skip
    d.ellipse(
        (cx - 0.32 * r, cy + 0.55 * r, cx + 0.32 * r, cy + 0.72 * r), fill=(170, 80, 80)
    )


def faces_image(n: int, bw: bool = False) -> Image.Image:
    img = Image.new("RGB", (640, 480), (120, 140, 160))
    d = ImageDraw.Draw(img)
    if n == 1:
        draw_face(d, 320, 240, 90)
    else:
        draw_face(d, 200, 240, 80)
        draw_face(d, 450, 230, 85)
    img = img.filter(ImageFilter.GaussianBlur(2))
    return img.convert("L").convert("RGB") if bw else img


def cosine_top1(query: list[float], candidates: list[list[float]]) -> int:
    return int(np.argmax(np.asarray(candidates) @ np.asarray(query)))


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


# --- tags and descriptions ----------------------------------------------------


def pred(label: str, p: float) -> Prediction:
    idx = next(i for i, c in enumerate(classes()) if c.label == label)
    return Prediction(idx, p, classes()[idx])


def test_tag_data_covers_every_class():
    info = classes()
    assert len(info) == 1000
    assert info[281].label == "tabby cat"
    assert {"cat", "pet", "animal"} <= set(info[281].parents)
    assert "dog" in info[207].parents  # Golden Retriever
    assert "vehicle" in info[817].parents  # sports car
    useless = {"entity", "whole", "object", "artifact", "organism", "placental",
               "chordate", "vertebrate", "instrumentality", "living thing"}  # fmt: skip
    assert not useless & {p for c in info for p in c.parents}


def test_parent_confidence_is_the_sum_of_its_children():
    preds = [pred("Beagle", 0.25), pred("Basset Hound", 0.2), pred("Bloodhound", 0.15),
             pred("tabby cat", 0.1), pred("goldfish", 0.05)]  # fmt: skip
    scores = tag_scores(preds)
    assert scores["hound"] == pytest.approx(0.6)
    assert scores["dog"] == pytest.approx(0.6)
    assert scores["pet"] == pytest.approx(0.7)
    assert scores["animal"] == pytest.approx(0.75)
    names = {t.name: t.confidence for t in imagenet_tags(preds)}
    assert "beagle" in names and "tabby cat" not in names  # 0.1 < threshold
    assert all(0.2 <= c <= 1 for c in names.values())


def test_confidences_are_capped_at_one():
    preds = [pred("sunglasses", 0.6), *[pred("sunglasses", 0.5)]]
    assert tag_scores(preds)["sunglasses"] == 1.0


def test_softmax_and_top_predictions():
    logits = np.zeros(1000)
    logits[281] = 10
    probs = softmax(logits)
    assert probs.sum() == pytest.approx(1.0)
    top = top_predictions(probs)
    assert top[0].label == "tabby cat" and top[0].probability > 0.9


def stats_for(img: Image.Image):
    return color_stats(img)


BLUE = Image.new("RGB", (100, 80), (30, 80, 200))


def test_confident_class_is_the_subject():
    text, conf = describe(
        [pred("tabby cat", 0.8), pred("tiger cat", 0.1)], [], stats_for(BLUE)
    )
    assert text == "A photo of a tabby cat"
    assert conf == pytest.approx(0.8)
    text, _ = describe([pred("Egyptian Mau", 0.5)], [], stats_for(BLUE))
    assert text == "A photo of an Egyptian Mau"


def test_spread_guess_falls_back_to_the_general_word():
    preds = [pred("Beagle", 0.3), pred("Basset Hound", 0.2), pred("Bloodhound", 0.15),
             pred("goldfish", 0.05), pred("tench", 0.04)]  # fmt: skip
    text, conf = describe(preds, [], stats_for(BLUE))
    assert text == "A photo of a hound"
    assert conf == pytest.approx(0.65)


def test_weak_guess_is_never_the_subject():
    preds = [pred("tabby cat", 0.15), pred("goldfish", 0.1), pred("sports car", 0.1)]
    text, conf = describe(preds, [], stats_for(BLUE))
    assert text == "A mostly blue image"
    assert "cat" not in text and 0 <= conf <= 1


def test_black_and_white_and_mass_nouns():
    grey = Image.new("RGB", (100, 80), (90, 90, 90))
    text, _ = describe([pred("guacamole", 0.9)], [], stats_for(grey))
    assert text == "A black and white photo of guacamole"
    assert describe([], [], stats_for(grey))[0] == "A black and white image"


# --- the analyzer end to end ---------------------------------------------------


def test_one_face_is_a_person(analyzer):
    result = analyzer.analyze(encode(faces_image(1), "JPEG", quality=90))
    names = {t.name: t.confidence for t in result.tags}
    assert "person" in names and "face" in names and "people" not in names
    assert result.description == "A photo of a person"
    assert 0 < result.description_confidence <= 1


def test_two_faces_are_people_in_black_and_white(analyzer):
    result = analyzer.analyze(encode(faces_image(2, bw=True)))
    names = {t.name for t in result.tags}
    assert {"person", "people", "face"} <= names
    assert result.description.startswith("A black and white photo of two people")
    assert result.colors.is_bw


def test_no_faces_in_scenes_without_people():
    found = [s for s in range(40) if detect_faces(synthetic.photo_like(s, 640, 480))]
    found += [
        name
        for name, make in synthetic.REFERENCE_IMAGES.items()
        if detect_faces(make())
    ]
    assert found == []


def test_result_follows_the_contract(analyzer):
    result = analyzer.analyze(synthetic.jpeg_bytes(synthetic.photo_like(42, 800, 600)))
    assert isinstance(result.description, str) and result.description[0].isupper()
    assert 0 <= result.description_confidence <= 1
    assert all(isinstance(t, Tag) and 0.2 <= t.confidence <= 1 for t in result.tags)
    assert len({t.name for t in result.tags}) == len(result.tags)
    c = result.colors
    assert isinstance(c, Colors)
    assert c.dominant_foreground in AZURE_COLOR_NAMES
    assert c.dominant_background in AZURE_COLOR_NAMES
    assert 1 <= len(c.dominant_colors) <= 3
    assert set(c.dominant_colors) <= set(AZURE_COLOR_NAMES)
    assert c.accent_color == c.accent_color.lower() and len(c.accent_color) == 7
    assert len(result.embedding) == EMBEDDING_DIM
    # The same forward pass feeds the embedding and image_embedding().
    emb = image_embedding(synthetic.jpeg_bytes(synthetic.photo_like(42, 800, 600)))
    assert np.allclose(emb, result.embedding, atol=1e-6)


def test_plain_colour_gets_a_colour_sentence(analyzer):
    result = analyzer.analyze(encode(Image.new("RGB", (300, 200), (20, 60, 210))))
    assert result.description == "A mostly blue image"
    assert result.colors.dominant_colors == ["blue"]


def test_analyzer_is_thread_safe(analyzer):
    images = [synthetic.jpeg_bytes(synthetic.photo_like(s)) for s in range(6)]
    images.append(encode(faces_image(1)))
    sequential = [analyzer.analyze(d) for d in images]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(analyzer.analyze, images * 2))
    for i, r in enumerate(parallel):
        s = sequential[i % len(images)]
        assert (r.description, r.tags, r.colors) == (s.description, s.tags, s.colors)
        assert np.allclose(r.embedding, s.embedding, atol=1e-5)


def test_get_analyzer_returns_the_local_backend(settings):
    settings.GALLERY_ANALYZER = "local"
    backend = get_analyzer()
    assert isinstance(backend, LocalAnalyzer) and backend.name == "local"


# --- decoding ---------------------------------------------------------------------


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (400, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW when displaying
    decoded = decode(encode(img, "JPEG", exif=exif.tobytes()))
    assert decoded.size == (200, 400)


def test_large_jpeg_is_decoded_small():
    big = synthetic.photo_like(5, 4000, 3000)
    decoded = decode(synthetic.jpeg_bytes(big, 85))
    # 500 x 375 is what libjpeg gives at 1/8 scale: the reduced decode was used.
    assert decoded.size == (500, 375) and decoded.mode == "RGB"
    png = decode(encode(synthetic.photo_like(5, 1200, 900)))
    assert png.size == (512, 384)


def sixteen_bit_png() -> bytes:
    ramp = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    return encode(Image.fromarray(ramp))


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (80, 60), (0, 200, 200, 0)), "JPEG")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: encode(Image.new("P", (60, 40), 3), "GIF"), None),
        (lambda: encode(Image.new("RGBA", (60, 40), (0, 0, 255, 0))), "white"),
        (lambda: encode(Image.new("RGBA", (60, 40), (0, 0, 255, 255))), "blue"),
        (lambda: encode(Image.new("LA", (60, 40), (0, 255))), "black"),
        (lambda: encode(Image.new("1", (60, 40), 1)), "white"),
        (cmyk_jpeg, "red"),
        (sixteen_bit_png, None),
        (lambda: encode(Image.new("RGB", (60, 40), (0, 160, 0)), "WEBP"), "green"),
        (lambda: encode(Image.new("RGB", (60, 40), (250, 220, 0)), "BMP"), "yellow"),
        (lambda: encode(Image.new("RGB", (60, 40), (250, 220, 0)), "TIFF"), "yellow"),
    ],
)
def test_image_modes_decode_to_rgb(make, expected):
    img = decode(make())
    assert img.mode == "RGB"
    if expected:
        assert image_colors(img).dominant_colors[0] == expected


def test_sixteen_bit_is_scaled_not_clipped():
    arr = np.asarray(decode(sixteen_bit_png()))
    assert arr.min() < 10 and arr.max() > 245 and 100 < arr.mean() < 155


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        crc = struct.pack(">I", zlib.crc32(body))
        return struct.pack(">I", len(data)) + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 10))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


BAD_INPUTS = {
    "empty": b"",
    "text": b"hello, this is not an image",
    "html": b"<html><body>hi</body></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
    "truncated_jpeg": synthetic.jpeg_bytes(synthetic.photo_like(9))[:3000],
    "truncated_png": encode(synthetic.photo_like(9))[:5000],
    "pixel_bomb": png_claiming(60_000, 60_000),
    "header_only_jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_data_is_a_permanent_analysis_error(analyzer, name):
    with pytest.raises(AnalysisError) as info:
        analyzer.analyze(BAD_INPUTS[name])
    assert info.value.retryable is False
    with pytest.raises(AnalysisError):
        image_embedding(BAD_INPUTS[name])


def test_corrupted_bytes_never_raise_anything_else(analyzer):
    rng = random.Random(1234)
    sources = [synthetic.jpeg_bytes(synthetic.photo_like(8, 160, 120)),
               encode(synthetic.photo_like(8, 160, 120)),
               encode(synthetic.photo_like(8, 160, 120), "GIF")]  # fmt: skip
    for source in sources:
        for _ in range(25):
            data = bytearray(source)
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            with contextlib.suppress(AnalysisError):
                analyzer.analyze(bytes(data))


# --- colours -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ("#ff0000", "red"), ("#00a000", "green"), ("#1e50c8", "blue"),
        ("#fff", "white"),
        ("#000000", "black"), ("#808080", "gray"), ("#ffa500", "orange"),
        ("#ffff00", "yellow"), ("#8b4513", "brown"), ("#800080", "purple"),
        ("#ffc0cb", "pink"), ("#008080", "teal"), ((135, 206, 235), "blue"),
        ((245, 245, 245), "white"), ((40, 40, 40), "black"),
    ],
)  # fmt: skip
def test_color_name(rgb, name):
    assert color_name(rgb) == name


def test_color_name_rejects_nonsense():
    for bad in ("#12345", "blue", (300, 0, 0), (1, 2)):
        with pytest.raises(ValueError):
            color_name(bad)


def test_foreground_background_and_accent():
    img = Image.new("RGB", (400, 300), (30, 80, 200))
    ImageDraw.Draw(img).rectangle((110, 80, 290, 220), fill=(230, 30, 30))
    colors = image_colors(img)
    assert colors.dominant_foreground == "red"
    assert colors.dominant_background == "blue"
    assert colors.dominant_colors[:2] == ["blue", "red"]
    assert not colors.is_bw
    assert (
        colors.accent_color.startswith("#")
        and colors.accent_color == colors.accent_color.lower()
    )
    assert color_name(colors.accent_color) in {"red", "blue"}


def test_accent_prefers_a_vivid_colour_over_a_dull_majority():
    img = Image.new("RGB", (200, 200), (110, 105, 100))
    ImageDraw.Draw(img).ellipse((60, 60, 140, 140), fill=(250, 200, 0))
    assert color_name(image_colors(img).accent_color) == "yellow"


def test_black_and_white_detection():
    assert image_colors(synthetic.checkerboard()).is_bw
    assert image_colors(synthetic.photo_like(3).convert("L")).is_bw
    assert not image_colors(synthetic.gradient()).is_bw
    # A grey JPEG keeps a little chroma noise and is still black and white.
    grey_jpeg = Image.open(
        io.BytesIO(
            synthetic.jpeg_bytes(
                synthetic.photo_like(3).convert("L").convert("RGB"), 60
            )
        )
    )
    assert image_colors(grey_jpeg).is_bw


def test_threads_share_nothing_mutable():
    # detect_faces keeps one cascade per thread: two threads at once must agree.
    img = faces_image(2)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(len(detect_faces(img))))
               for _ in range(4)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [2, 2, 2, 2]
