"""Hostile-upload benchmark: the hostile corpus against gunicorn, three workers.

    make bench-hostile
    .venv/bin/python bench/hostile.py --database-url postgres://postgres@host:5432/postgres

It creates its own database (image_repo_hostile) on the server given by
--database-url (default $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/
postgres), migrates it, signs a user in, and starts `make run`'s server
(gunicorn, DEBUG off, three workers) and its background worker on a free port
of 127.0.0.1 with local storage in a temporary directory. Then:

1. every file of the hostile corpus (gallery/tests/hostile.py: every format cut
   at many offsets, every Pillow mode, animated and multi-page images, files
   missing their end marker, a polyglot, a 16-bit bomb) is posted on its own
   through the upload form, four at a time: the count of 5xx answers (must be
   0), of refusals and of stored files, and the median and p95 time to refuse;
2. three decode-heavy uploads (7000×7000 RGB PNGs: 49 MP, about 196 MB
   decoded, under the default budget) are posted at once while /healthz is
   asked every 100 ms: its median and worst latency (target: under 1 s).

The database is dropped at the end. Results: bench/results/hostile.txt.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg2
from PIL import Image as PILImage
from urllib3 import encode_multipart_formdata

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gallery.tests import hostile  # noqa: E402
from image_repo_project.tests.servers import (  # noqa: E402
    Gunicorn,
    app_env,
    manage,
    signed_in_session,
)

RESULTS = ROOT / "bench" / "results"
DATABASE = "image_repo_hostile"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/postgres",
    )
    options = parser.parse_args()
    admin_url = options.database_url
    bench_url = _with_database(admin_url, DATABASE)
    _recreate(admin_url)
    lines: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="image-repo-hostile-") as tmp:
            env = app_env(
                Path(tmp),
                DATABASE_URL=bench_url,
                SECURE_COOKIES="false",
                GALLERY_UPLOAD_LIMIT="0",
            )
            manage(env, "migrate", "--noinput")
            manage(env, "collectstatic", "--noinput", "-v", "0")
            session = signed_in_session(env, "mallory")
            server = Gunicorn(env, workers=3)
            # The background worker, as `make run` starts it beside gunicorn.
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "process_images"], cwd=ROOT, env=env
            )
            try:
                client = Client(server.base, session)
                lines += corpus_run(client)
                lines += healthz_under_load(client)
            finally:
                worker.terminate()
                worker.wait(timeout=60)
                server.stop()
    finally:
        _drop(admin_url)
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hostile.txt").write_text(report)


class Client:
    """Posts files through the upload form as a signed-in browser would."""

    def __init__(self, base: str, session: str) -> None:
        self.base = base
        self.session = session
        self.csrf = "h" * 32
        self.cookie = f"sessionid={session}; csrftoken={self.csrf}"

    def upload(self, name: str, data: bytes) -> tuple[int, float, str]:
        body, content_type = encode_multipart_formdata(
            [
                ("csrfmiddlewaretoken", self.csrf),
                ("images", (name, data, "application/octet-stream")),
            ]
        )
        request = urllib.request.Request(
            self.base + "/images/upload/",
            data=body,
            headers={"Content-Type": content_type, "Cookie": self.cookie},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, page = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, page = error.code, error.read().decode()
        return status, time.perf_counter() - started, page

    def healthz(self) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=60) as r:
                status = r.status
        except urllib.error.HTTPError as error:
            status = error.code
        return status, time.perf_counter() - started


def corpus() -> list[tuple[str, bytes]]:
    files = list(hostile.truncations())
    files += list(hostile.mode_images().items())
    files += list(hostile.animated_images().items())
    files += [
        ("no-iend.png", hostile.png_without_iend()),
        ("no-trailer.gif", hostile.gif_without_trailer()),
        ("poly.html", hostile.polyglot_jpeg()),
        ("bomb16.png", hostile.png_16bit_rgba(7071, 7071)),
    ]
    return files


def corpus_run(client: Client) -> list[str]:
    files = corpus()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda item: client.upload(*item), files))
    errors = [status for status, _, _ in answers if status >= 500]
    refusals = sorted(seconds for status, seconds, _ in answers if status == 400)
    stored = sum(1 for status, _, _ in answers if status == 200)
    return [
        f"hostile corpus: {len(files)} files, one per POST, 4 at a time, "
        "against gunicorn with 3 workers",
        f"  5xx answers: {len(errors)}",
        f"  refused (400): {len(refusals)}; stored (200): {stored}",
        f"  time to refuse: median {statistics.median(refusals) * 1000:.0f} ms, "
        f"p95 {_p95(refusals) * 1000:.0f} ms, worst {refusals[-1] * 1000:.0f} ms",
    ]


def heavy_png(seed: int) -> bytes:
    """A 7000×7000 RGB PNG that compresses well (a few MB) but decodes to 196 MB."""
    ramp = np.linspace(0, 255, 7000, dtype=np.float32)
    red = np.add.outer(ramp, ramp * 0) % 256
    green = np.add.outer(ramp * 0, ramp) % 256
    blue = np.full((7000, 7000), (seed * 70) % 256, dtype=np.float32)
    pixels = np.stack([red, green, blue], axis=-1).astype(np.uint8)
    image = PILImage.fromarray(pixels, "RGB")
    return hostile.encoded(image, "PNG", compress_level=6)


def healthz_under_load(client: Client) -> list[str]:
    heavy = [heavy_png(seed) for seed in range(3)]
    done = threading.Event()
    latencies: list[float] = []

    def poll() -> None:
        while not done.is_set():
            latencies.append(client.healthz()[1])
            time.sleep(0.1)

    poller = threading.Thread(target=poll)
    with ThreadPoolExecutor(3) as pool:
        futures = [
            pool.submit(client.upload, f"heavy-{n}.png", data)
            for n, data in enumerate(heavy)
        ]
        time.sleep(0.2)
        poller.start()
        answers = [future.result() for future in futures]
    done.set()
    poller.join()
    statuses = sorted(status for status, _, _ in answers)
    upload_seconds = max(seconds for _, seconds, _ in answers)
    return [
        f"three decode-heavy uploads at once (7000x7000 RGB PNG, "
        f"{len(heavy[0]) / 1e6:.1f} MB each): statuses {statuses}, "
        f"slowest {upload_seconds:.1f} s",
        f"  /healthz meanwhile ({len(latencies)} requests): median "
        f"{statistics.median(latencies) * 1000:.0f} ms, worst "
        f"{max(latencies) * 1000:.0f} ms",
    ]


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.95))]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _recreate(admin_url: str) -> None:
    _drop(admin_url)
    with _admin(admin_url) as cursor:
        cursor.execute(f"CREATE DATABASE {DATABASE}")


def _drop(admin_url: str) -> None:
    with _admin(admin_url) as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


class _admin:
    def __init__(self, url: str) -> None:
        self.connection = psycopg2.connect(url)
        self.connection.autocommit = True

    def __enter__(self):
        return self.connection.cursor()

    def __exit__(self, *exc) -> None:
        self.connection.close()


if __name__ == "__main__":
    main()
