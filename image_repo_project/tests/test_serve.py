"""`make run` (image_repo_project.serve): gunicorn with DEBUG off, ready with no
configuration, and starting again however the last run ended."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from .servers import ROOT, Cluster, free_port


class Run:
    """One `make run` in a data directory of its own, on the embedded PostgreSQL."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log = data_dir.parent / f"run-{self.port}.log"
        env = {
            key: value
            for key, value in os.environ.items()
            if key
            not in (
                "DATABASE_URL",
                "DEBUG",
                "IMG_REPO_SECRET_KEY",
                "SECURE_SSL_REDIRECT",
                "SECURE_COOKIES",
            )
        }
        env["IMG_REPO_DATA_DIR"] = str(data_dir)
        env["GALLERY_ANALYZER"] = "none"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "image_repo_project.serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    "2",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal's
            )
        self.wait_until_answering()

    def get(self, path: str):
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def wait_until_answering(self) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"make run exited:\n{self.output()[-3000:]}")
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"make run did not answer:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal_group(self, number: int) -> None:
        os.killpg(self.process.pid, number)
        self.process.wait(timeout=60)


def workers_of(run: Run) -> list[psutil.Process]:
    """The background workers in the run's process group."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "process_images" in (process.info["cmdline"] or []) and (
                os.getpgid(process.pid) == run.process.pid
            ):
                found.append(process)
        except (psutil.Error, ProcessLookupError):
            continue
    return found


@pytest.fixture
def data_dir(tmp_path):
    directory = tmp_path / "var"
    yield directory
    Cluster(directory / "pg").stop()


def test_make_run_serves_with_gunicorn_debug_off_on_plain_http(data_dir):
    run = Run(data_dir)
    try:
        status, headers, body = run.get("/")
        assert status == 200
        assert headers["Server"] == "web"  # gunicorn (gunicorn.conf.py)
        # DEBUG off: a missing page is the branded 404, not Django's debug page.
        status, _, body = run.get("/no/such/page/")
        assert status == 404
        assert "There is nothing at this address." in body
        # Plain HTTP on 127.0.0.1: no redirect to HTTPS, cookies a browser
        # keeps over http://.
        status, headers, _ = run.get("/accounts/login/")
        assert status == 200
        assert "secure" not in headers["Set-Cookie"].lower()
        # Static files by whitenoise, with hashed names.
        status, _, body = run.get("/")
        css = body.split('href="/static/css/app.')[1].split('"')[0]
        assert run.get(f"/static/css/app.{css}")[0] == 200
        # The background worker runs beside gunicorn, in the same group.
        assert workers_of(run)
        run.signal_group(signal.SIGINT)
    finally:
        if run.process.poll() is None:
            run.signal_group(signal.SIGKILL)
    psutil.wait_procs(workers_of(run), timeout=15)
    assert not workers_of(run)
    assert "Traceback" not in run.output()
    assert (data_dir / "secret-key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "how", ["ctrl-c", "sigterm", "sigkill", "stale-pid", "empty-handles", "corrupt"]
)
def test_make_run_starts_again_however_the_last_run_ended(data_dir, how):
    first = Run(data_dir)
    if how == "ctrl-c":
        first.signal_group(signal.SIGINT)
    elif how == "sigterm":
        first.signal_group(signal.SIGTERM)
    else:
        first.signal_group(signal.SIGKILL)
        # The database, in a process group of its own, goes down too, as in a
        # reboot or when a terminal's whole session is killed.
        postmaster = data_dir / "pg" / "postmaster.pid"
        server = psutil.Process(int(postmaster.read_text().split()[0]))
        everything = [server, *server.children(recursive=True)]
        for process in everything:
            process.kill()
        psutil.wait_procs(everything, timeout=10)
        if how == "stale-pid":
            # After a reboot the dead server's PID may belong to anything.
            lines = postmaster.read_text().splitlines()
            lines[0] = str(os.getpid())
            postmaster.write_text("\n".join(lines) + "\n")
        elif how == "empty-handles":
            (data_dir / "pg" / ".handle_pids.json").write_text("")
        elif how == "corrupt":
            (data_dir / "pg" / ".handle_pids.json").write_text("[12, 3")
    second = Run(data_dir)
    try:
        assert second.get("/")[0] == 200
    finally:
        second.signal_group(signal.SIGTERM)
    assert "Traceback" not in second.output()


def test_make_run_defaults_to_three_workers_of_two_threads(monkeypatch):
    import runpy

    from image_repo_project import serve

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert serve._parse([]).workers == 3
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (config["timeout"], config["graceful_timeout"]) == (30, 10)
    assert (config["worker_class"], config["threads"]) == ("gthread", 2)


def test_the_worker_starts_with_ctrl_c_ignored_until_it_handles_it():
    """A Ctrl-C while the worker is still importing must not print a
    KeyboardInterrupt traceback: it starts with SIGINT ignored, and the command
    installs its own handler once running."""
    from image_repo_project.serve import start_worker

    probe = "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
    child = start_worker(("-c", probe), stdout=subprocess.PIPE, text=True)
    output, _ = child.communicate(timeout=60)
    assert output.strip() == "True"


SESSION = """
import os, sys
os.environ.pop("DATABASE_URL", None)
os.environ["IMG_REPO_DATA_DIR"] = sys.argv[1]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image_repo_project.settings")
import django
django.setup()
from django.conf import settings
from image_repo_project.embedded_pg import ensure_embedded_postgres
ensure_embedded_postgres(stop_at_exit=sys.argv[2] == "stop")
print((settings.EMBEDDED_PG_DIR / "postmaster.pid").read_text().split()[0], flush=True)
if sys.argv[2] == "use":
    sys.stdin.read()  # until killed
"""


def test_the_test_session_server_stops_though_a_process_using_it_was_killed(
    data_dir,
):
    """`make test` stops its embedded server at exit even when a process that
    also used it (a worker a test killed) never struck itself off pgserver's
    list of users."""

    def session(mode: str, **popen) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", SESSION, str(data_dir), mode],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            **popen,
        )

    user = session("use", stdin=subprocess.PIPE)
    server = psutil.Process(int(user.stdout.readline()))
    user.kill()  # no clean-up: its PID stays on pgserver's list
    user.wait(timeout=30)
    handles = data_dir / "pg" / ".handle_pids.json"
    assert user.pid in json.loads(handles.read_text())

    tests = session("stop")
    output, _ = tests.communicate(timeout=180)
    assert tests.returncode == 0
    assert int(output) == server.pid  # the same server, started once
    server.wait(timeout=30)  # stopped at the session's exit
    assert not server.is_running()
