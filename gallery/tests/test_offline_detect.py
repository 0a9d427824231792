"""The object detector: the converted graph against TensorFlow.js, decoding,
overlap suppression, letterboxing, and fetching the model files."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from bench import synthetic
from gallery.analysis.local import detect, packages

REFERENCE = json.loads(
    (Path(__file__).with_name("data") / "centernet_reference.json").read_text()
)


@pytest.fixture(scope="module")
def detector(tmp_path_factory):
    # Built from the npm files that set-up fetched (make test does it first).
    return detect.load_detector(
        tmp_path_factory.mktemp("models"), settings.GALLERY_PACKAGE_DIR
    )


# --- the ONNX graph + numpy decoding against TensorFlow.js -------------------


@pytest.mark.parametrize("name", sorted(REFERENCE["images"]))
def test_graph_matches_tensorflow_js(detector, name):
    expected = REFERENCE["images"][name]
    img = synthetic.DETECTOR_REFERENCE_IMAGES[name]()
    assert synthetic.pixels_sha256(img) == expected["sha256"], "generator changed"
    batch, _ = detect.letterbox(img)
    rows = detect.decode(*detect.run_detector(detector, batch))
    want = np.asarray(expected["detections"])
    # Rows whose score ties with a neighbour may come in either order: compare
    # the rows that are clearly ranked.
    scores = want[:, 4]
    gaps = np.diff(scores, prepend=np.inf, append=-np.inf)
    clear = (np.abs(gaps[:-1]) > 1e-3) & (np.abs(gaps[1:]) > 1e-3)
    assert clear.sum() >= 5
    got = rows[: len(want)]
    np.testing.assert_allclose(got[clear, 4], want[clear, 4], atol=1e-3)
    np.testing.assert_array_equal(got[clear, 5], want[clear, 5])
    np.testing.assert_allclose(got[clear, :4], want[clear, :4], atol=0.05)


def test_reference_images_differ():
    firsts = {tuple(img["detections"][0]) for img in REFERENCE["images"].values()}
    assert len(firsts) == len(REFERENCE["images"])


# --- decoding and suppression -------------------------------------------------


def _heat(points):
    peaks = np.zeros((128, 128, 80), np.float32)
    wh = np.zeros((128, 128, 4), np.float32)
    for y, x, cls, score, sides in points:
        peaks[y, x, cls] = score
        wh[y, x] = sides
    return peaks, wh


def test_decode_reads_the_box_around_each_peak():
    dog = (10, 20, 16, 0.9, (8, 4, 12, 6))
    person = (100, 50, 0, 0.5, (1, 2, 3, 4))
    peaks, wh = _heat([dog, person])
    rows = detect.decode(peaks, wh)
    assert rows.shape == (100, 6)
    np.testing.assert_allclose(rows[0], [80 - 8, 40 - 4, 80 + 12, 40 + 6, 0.9, 16])
    np.testing.assert_allclose(rows[1], [200 - 1, 400 - 2, 200 + 3, 400 + 4, 0.5, 0])
    assert np.all(rows[2:, 4] == 0)


def _row(x1, y1, x2, y2, score, cls):
    return [x1, y1, x2, y2, score, cls]


def test_suppress_keeps_the_best_of_overlapping_boxes_of_one_class():
    rows = np.array([
        _row(0, 0, 100, 100, 0.6, 16),
        _row(5, 5, 105, 105, 0.5, 16),  # the same dog again
        _row(200, 0, 300, 100, 0.4, 16),  # a second dog
        _row(0, 0, 100, 100, 0.1, 17),  # below the threshold
    ], np.float32)  # fmt: skip
    kept = detect.suppress(rows)
    assert kept[:, 4].tolist() == pytest.approx([0.6, 0.4])


def test_suppress_keeps_a_person_on_a_horse_but_not_a_cat_that_is_the_dog():
    rows = np.array([
        _row(100, 50, 200, 300, 0.6, 0),  # person
        _row(60, 150, 300, 400, 0.5, 17),  # horse under them: another object
        _row(100, 52, 200, 298, 0.3, 15),  # "cat" on the person's very box
    ], np.float32)  # fmt: skip
    labels = [detect.COCO_LABELS[int(c)] for c in detect.suppress(rows)[:, 5]]
    assert labels == ["person", "horse"]


def test_letterbox_places_the_picture_and_boxes_map_back():
    img = synthetic.photo_like(3, 1024, 512)
    batch, box = detect.letterbox(img)
    assert batch.shape == (1, 512, 512, 3)
    assert (box.scale, box.pad_x, box.pad_y) == (0.5, 0, 128)
    assert np.all(batch[0, :128] == detect.PAD_VALUE)
    assert np.all(batch[0, -128:] == detect.PAD_VALUE)
    car = _row(10, 128, 110, 228, 0.9, 2)
    in_the_padding = _row(0, 0, 512, 100, 0.8, 4)  # nothing of the picture: dropped
    (found,) = detect.to_detections(np.array([car, in_the_padding]), box, img.size)
    assert (found.label, found.x1, found.y1, found.x2, found.y2) == (
        "car", 20, 0, 220, 200,
    )  # fmt: skip


# --- fetching the npm package -------------------------------------------------


def _tarball(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _package(tarball: bytes) -> packages.NpmPackage:
    digest = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    return packages.NpmPackage(
        name="@example/models",
        version="1.0.0",
        integrity=f"sha512-{digest}",
        files=("LICENSE", "models/a.json"),
    )


def test_fetch_keeps_only_the_listed_files_and_downloads_once(tmp_path):
    tarball = _tarball({"LICENSE": b"MIT", "models/a.json": b"{}", "big.bin": b"x"})
    package = _package(tarball)
    urls = []

    def fetcher(url):
        urls.append(url)
        return tarball

    folder = packages.fetch(
        tmp_path, package, registry="https://r.test/", fetcher=fetcher
    )
    assert urls == ["https://r.test/@example/models/-/models-1.0.0.tgz"]
    kept = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert kept == ["LICENSE", "models/a.json"]
    assert packages.fetch(tmp_path, package, fetcher=fetcher) == folder
    assert len(urls) == 1


def test_a_folder_from_before_more_files_were_kept_is_fetched_again(tmp_path):
    # Set-up before the face models kept fewer files: the next set-up fetches
    # the package again and keeps every listed file.
    tarball = _tarball({"LICENSE": b"MIT", "models/a.json": b"{}", "b.bin": b"x"})
    older = packages.fetch(tmp_path, _package(tarball), fetcher=lambda url: tarball)
    package = dataclasses.replace(
        _package(tarball), files=("LICENSE", "models/a.json", "b.bin")
    )
    urls = []

    def fetcher(url):
        urls.append(url)
        return tarball

    folder = packages.fetch(tmp_path, package, fetcher=fetcher)
    assert folder == older and len(urls) == 1
    assert (folder / "b.bin").read_bytes() == b"x"


def test_fetch_refuses_a_tarball_that_fails_the_integrity_check(tmp_path):
    package = _package(_tarball({"LICENSE": b"MIT", "models/a.json": b"{}"}))
    tampered = _tarball({"LICENSE": b"MIT", "models/a.json": b'{"evil": 1}'})
    with pytest.raises(ValueError, match="integrity"):
        packages.fetch(tmp_path, package, fetcher=lambda url: tampered)
    assert list(tmp_path.iterdir()) == []


def test_missing_model_files_name_the_set_up_command(tmp_path):
    with pytest.raises(packages.ModelFilesMissing, match="make models"):
        packages.package_dir(tmp_path)


def test_the_pinned_package_is_the_one_set_up_fetched():
    folder = packages.package_dir(settings.GALLERY_PACKAGE_DIR)
    assert folder.name == "vladmandic-human-3.3.6"
    assert "MIT License" in (folder / "LICENSE").read_text()


def test_decoding_above_a_score_gives_the_same_best_rows():
    peaks, wh = _heat([(10, 20, 16, 0.9, (8, 4, 12, 6)), (5, 5, 3, 0.3, (1, 1, 1, 1)),
                       (100, 50, 0, 0.5, (1, 2, 3, 4))])  # fmt: skip
    every = detect.decode(peaks, wh)
    above = detect.decode(peaks, wh, min_score=0.4)
    np.testing.assert_array_equal(above, every[:2])
    assert detect.decode(peaks, wh, min_score=0.95).shape == (0, 6)


# --- loading ------------------------------------------------------------------


def test_the_graph_is_built_once_then_loaded_from_the_cache(tmp_path):
    first = detect.load_detector(tmp_path, settings.GALLERY_PACKAGE_DIR)
    again = detect.load_detector(tmp_path, settings.GALLERY_PACKAGE_DIR)
    assert (first.source, again.source) == ("built", "cache")
    assert (tmp_path / detect.ONNX_NAME).is_file()


def test_missing_model_files_fail_the_analysis_and_say_what_to_run(
    offline_settings, settings, tmp_path
):
    from gallery.analysis import AnalysisError
    from gallery.analysis.local import LocalAnalyzer

    settings.GALLERY_PACKAGE_DIR = tmp_path / "nothing-here"
    settings.GALLERY_MODEL_DIR = tmp_path / "models"
    detect.reset_detector()
    try:
        with pytest.raises(AnalysisError, match="make models") as error:
            LocalAnalyzer().analyze(synthetic.jpeg_bytes(synthetic.photo_like(1)))
        assert error.value.code == "model_unavailable"
        assert not error.value.retryable
    finally:
        detect.reset_detector()
