"""`make run`: the production server (gunicorn), ready with no configuration.

Prepares everything a first start needs, in this process (the embedded
database, migrations, static files), starts the background worker
(`manage.py process_images`), then replaces itself with gunicorn, so that
Ctrl-C and SIGTERM reach gunicorn directly and nothing of this process is left
to tidy up at exit.

With nothing configured it serves plain HTTP on 127.0.0.1 with DEBUG off:
on a loopback address the HTTPS redirect and secure-only cookies are off
(browsers and tools reach it over http://), and a secret key is generated
once into the data directory. Anything set in the environment or .env wins.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import subprocess
import sys
from pathlib import Path

# Workers unless WEB_CONCURRENCY says; the timeouts are in gunicorn.conf.py.
WORKERS = 3
ROOT = Path(__file__).resolve().parent.parent
# The background worker's PID, for gunicorn.conf.py to stop it on exit.
WORKER_PID = "IMG_REPO_WORKER_PID"


def main(argv: list[str] | None = None) -> None:
    options = _parse(argv)
    _defaults_for(options.host)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image_repo_project.settings")

    import django
    from django.core.management import call_command

    from image_repo_project.embedded_pg import ensure_embedded_postgres

    django.setup()
    ensure_embedded_postgres()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    worker = start_worker()
    os.environ[WORKER_PID] = str(worker.pid)
    print(f"Image Repo: http://{options.host}:{options.port}/", flush=True)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "image_repo_project.wsgi",
        "--bind",
        f"{options.host}:{options.port}",
        "--workers",
        str(options.workers),
    ]
    os.execv(sys.executable, command)


def start_worker(
    command: tuple[str, ...] = ("manage.py", "process_images"), **options
) -> subprocess.Popen:
    """The background worker (renditions, analysis), in this process group:
    Ctrl-C reaches it with gunicorn, and gunicorn's exit stops it
    (gunicorn.conf.py, on_exit).

    It starts with Ctrl-C ignored, so a Ctrl-C while it is still importing
    cannot print a KeyboardInterrupt traceback; once running it handles SIGINT
    and SIGTERM by finishing the image at hand."""
    return subprocess.Popen(
        [sys.executable, *command], cwd=ROOT, preexec_fn=_ignore_ctrl_c, **options
    )


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", WORKERS))
    )
    return parser.parse_args(argv)


def _defaults_for(host: str) -> None:
    from dotenv import load_dotenv

    from image_repo_project.env import generated_secret_key

    load_dotenv(ROOT / ".env")
    os.environ.setdefault("DEBUG", "false")
    if _is_loopback(host):
        os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
        os.environ.setdefault("SECURE_COOKIES", "false")
    if not os.environ.get("IMG_REPO_SECRET_KEY"):
        data_dir = Path(os.environ.get("IMG_REPO_DATA_DIR") or ROOT / "var")
        os.environ["IMG_REPO_SECRET_KEY"] = generated_secret_key(
            data_dir / "secret-key"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if __name__ == "__main__":
    main()
