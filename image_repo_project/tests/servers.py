"""Real servers for fault tests: a PostgreSQL cluster of their own, and gunicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_CLUSTER = (
    "import sys, warnings; warnings.simplefilter('ignore'); import pgserver; "
    "print(pgserver.get_server(sys.argv[1], cleanup_mode=None).get_uri())"
)


class Cluster:
    """A PostgreSQL cluster (pgserver's binaries) that a test starts and stops."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.uri = ""

    def start(self) -> str:
        done = subprocess.run(
            [sys.executable, "-c", START_CLUSTER, str(self.directory)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        self.uri = done.stdout.strip().splitlines()[-1]
        return self.uri

    def stop(self) -> None:
        pid_file = self.directory / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split()[0])
        try:
            os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
        except ProcessLookupError:
            return
        for _ in range(200):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """The app under gunicorn, DEBUG off, on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], *, workers: int = 1) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "image_repo_project.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.wait_until_answering()

    def wait_until_answering(self) -> None:
        for _ in range(150):
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not answer")

    def get(self, path: str, **headers: str):
        """(status, headers, body) of a GET, whatever the status."""
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def app_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "IMG_REPO_SECRET_KEY": "fault-test-secret-key-with-plenty-of-characters",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "IMG_REPO_DATA_DIR": str(tmp_path / "data"),
        "GALLERY_ANALYZER": "none",
        **extra,
    }
    env.pop("DEBUG", None)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout


SIGNED_IN_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
user = User.objects.create_user({username!r}, password="a long test password 1")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def signed_in_session(env: dict[str, str], username: str) -> str:
    """The session key of a new user, for requests to a server in env."""
    script = SIGNED_IN_SESSION.format(username=username)
    return manage(env, "shell", "-c", script).strip().splitlines()[-1]
