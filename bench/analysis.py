"""Analysis benchmark: time per image and memory, per backend.

    make bench-analysis
    IMG_REPO_SECRET_KEY=bench .venv/bin/python bench/analysis.py
    .venv/bin/python bench/analysis.py --backends local --runs 40

For each backend it reports the model/client load time, the resident memory the
backend added to the process, and the median and p95 wall time of one
``analyze()`` call (decode included) on photo-like JPEGs of 0.3, 3 and 12
megapixels made in memory (bench/synthetic.py), and on a 12-megapixel photo of
two people (the sample astronaut and cameraman, scaled up), where the face
models run too. For the local backend it also
splits the 12-megapixel times into their steps. Last, the sentence model that
embeds each analysed image's words for search by meaning (whichever backend
described it): its load time, memory and time per text.

To add a backend, write a ``Backend`` factory and list it in BACKENDS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image_repo_project.settings")

import django  # noqa: E402

django.setup()

from synthetic import jpeg_bytes, photo_like  # noqa: E402

SIZES = {"0.3 MP": (640, 480), "3 MP": (2000, 1500), "12 MP": (4000, 3000)}
PEOPLE = "12 MP, two faces"


def people_jpeg() -> bytes:
    """The two sample people side by side, scaled up to 4000 x 3000."""
    import io

    from PIL import Image

    from gallery.tests.photos import two_people_bytes

    both = Image.open(io.BytesIO(two_people_bytes())).convert("RGB")
    both = both.resize((4000, 2000), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (4000, 3000), (120, 130, 140))
    canvas.paste(both, (0, 500))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=90)
    return out.getvalue()


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Backend:
    name: str
    load: Callable[[], None]  # loads models/clients; timed
    analyze: Callable[[bytes], object]
    notes: list[str] = field(default_factory=list)
    steps: Callable[[bytes], dict[str, float]] | None = None


def local_backend() -> Backend:
    from django.conf import settings

    from gallery.analysis.local import LocalAnalyzer, detect, faces, model

    cache_dir = Path(tempfile.mkdtemp(prefix="bench-models-"))
    analyzer = LocalAnalyzer()

    def load() -> None:
        # Cold: build the ONNX graphs (classifier from the .pth, detector from
        # the npm files) and cache them; the figure reported in the table is
        # the warm load a worker pays on start-up.
        packages = settings.GALLERY_PACKAGE_DIR
        t0 = time.perf_counter()
        model.load_model(cache_dir)
        detect.load_detector(cache_dir, packages)
        faces.load_face_detector(cache_dir, packages)
        faces.load_face_descriptor(cache_dir, packages)
        cold = time.perf_counter() - t0
        model.reset_model()
        detect.reset_detector()
        faces.reset_face_models()
        model._configured_model_dir = lambda setting="": (  # bench only
            cache_dir if setting != "GALLERY_PACKAGE_DIR" else packages
        )
        detect._configured_model_dir = model._configured_model_dir
        faces._configured_model_dir = model._configured_model_dir
        t0 = time.perf_counter()
        model.get_model()
        detect.get_detector()
        faces.get_face_detector()
        faces.get_face_descriptor()
        warm = time.perf_counter() - t0
        backend.notes.append(f"local: first build of the four graphs {cold * 1000:.0f} "
                             f"ms, cached load {warm * 1000:.0f} ms")  # fmt: skip

    def steps(data: bytes) -> dict[str, float]:
        from gallery.analysis.local import colors, tags
        from gallery.analysis.local.decode import decode

        out: dict[str, float] = {}
        t = time.perf_counter()
        img = decode(data)
        out["decode"] = time.perf_counter() - t
        t = time.perf_counter()
        logits, feats = model.get_model().run(model.preprocess(img)[None])
        out["classifier"] = time.perf_counter() - t
        t = time.perf_counter()
        detect.detect_objects(img)
        out["objects"] = time.perf_counter() - t
        t = time.perf_counter()
        found = faces.detect_faces(img)
        out["face detection"] = time.perf_counter() - t
        t = time.perf_counter()
        for face in found:
            faces.describe_face(img, face)
            faces.face_thumbnail(img, face)
        out[f"face descriptors ({len(found)})"] = time.perf_counter() - t
        t = time.perf_counter()
        colors.color_stats(img)
        tags.imagenet_tags(tags.top_predictions(tags.softmax(logits[0])))
        model.embed(feats)
        out["colours+tags+embedding"] = time.perf_counter() - t
        return out

    backend = Backend("local", load, analyzer.analyze, steps=steps)
    return backend


def azure_backend() -> Backend:
    """The Azure adapter with the real SDK against the local fake Azure server
    (gallery/tests/fake_azure.py), unless AZURE_CV_KEY/ENDPOINT point elsewhere.
    The fake answers at once, so this measures the adapter's own cost: reading
    the image, downscaling/re-encoding what Azure would refuse, the SDK round
    trip on loopback."""
    from django.conf import settings

    from gallery.analysis.azure import AzureAnalyzer

    backend = Backend("azure", lambda: None, lambda data: None)

    def load() -> None:
        if not (settings.AZURE_CV_KEY and settings.AZURE_CV_ENDPOINT):
            from gallery.tests.fake_azure import FakeAzure

            fake = FakeAzure().start()
            settings.AZURE_CV_KEY = fake.key
            settings.AZURE_CV_ENDPOINT = fake.endpoint
            backend.notes.append("azure: against the local fake Azure server")
        analyzer = AzureAnalyzer()
        backend.analyze = analyzer.analyze

    backend.load = load
    return backend


# name -> factory.
BACKENDS: dict[str, Callable[[], Backend]] = {
    "local": local_backend,
    "azure": azure_backend,
}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def bench(
    backend: Backend, images: dict[str, list[bytes]], runs: int
) -> dict[str, str]:
    col: dict[str, str] = {}
    before = rss_mb()
    t0 = time.perf_counter()
    backend.load()
    col["load (s)"] = f"{time.perf_counter() - t0:.2f}"
    for label, datas in images.items():
        backend.analyze(datas[0])  # warm-up (thread pools, caches)
        times = []
        for i in range(runs):
            t = time.perf_counter()
            backend.analyze(datas[i % len(datas)])
            times.append(time.perf_counter() - t)
        col[f"{label} median (ms)"] = f"{statistics.median(times) * 1000:.1f}"
        col[f"{label} p95 (ms)"] = f"{pct(times, 0.95) * 1000:.1f}"
    col["RSS added (MB)"] = f"{rss_mb() - before:.0f}"
    if backend.steps:
        for label in ("12 MP", PEOPLE):
            data = images[label][0]
            samples = [backend.steps(data) for _ in range(max(5, runs // 2))]
            for step in samples[0]:
                ms = statistics.median(s[step] for s in samples) * 1000
                col[f"{label}: {step} (ms)"] = f"{ms:.1f}"
    return col


def text_embedding_notes(runs: int) -> list[str]:
    from gallery import text_embedding

    texts = [
        "A person with a dog and a horse. person, dog, horse, animal. green, brown",
        "A cup of espresso. food, drink, espresso, cup. orange, red, black",
        "Two people at a table. person, people, dining table. white, brown",
    ]
    before = rss_mb()
    t0 = time.perf_counter()
    text_embedding.embed_text("warm up")
    load = time.perf_counter() - t0
    times = []
    for i in range(runs):
        t = time.perf_counter()
        text_embedding.embed_text(texts[i % len(texts)])
        times.append(time.perf_counter() - t)
    return [
        f"text embedding (search by meaning): load {load * 1000:.0f} ms, "
        f"RSS added {rss_mb() - before:.0f} MB (weights memory-mapped), "
        f"{statistics.median(times) * 1000:.1f} ms median / "
        f"{pct(times, 0.95) * 1000:.1f} ms p95 per text"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    images = {
        label: [jpeg_bytes(photo_like(seed, w, h), 90) for seed in (1, 2, 3)]
        for label, (w, h) in SIZES.items()
    }
    images[PEOPLE] = [people_jpeg()]
    print(f"cpus: {os.cpu_count()}, runs per size: {args.runs}")
    for label, datas in images.items():
        print(f"  {label}: JPEG q90, {len(datas[0]) / 1e6:.1f} MB")

    columns: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    for name in args.backends.split(","):
        backend = BACKENDS[name]()
        columns[name] = bench(backend, images, args.runs)
        notes += backend.notes

    notes += text_embedding_notes(args.runs)

    rows = list(dict.fromkeys(r for col in columns.values() for r in col))
    width = max(len(r) for r in rows)
    print()
    print(" " * width + "".join(f"{n:>12}" for n in columns))
    for r in rows:
        print(
            f"{r:<{width}}" + "".join(f"{columns[n].get(r, '-'):>12}" for n in columns)
        )
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
