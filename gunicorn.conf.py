"""gunicorn settings, read from the working directory on start (`make run`,
the Procfile's web process).

The Server header says "web", not the server's name and version.

Each worker serves two requests at once (threads): Pillow decodes without
holding the GIL, so a worker busy decoding a large upload still answers
/healthz and page views. A worker that stops answering its master for
``timeout`` seconds is replaced. Requests bound themselves: an upload request
stops reading files after GALLERY_UPLOAD_REQUEST_SECONDS, each file's decode is
checked against GALLERY_MAX_DECODE_MB first, storage calls give up after
GALLERY_STORAGE_TIMEOUT × GALLERY_STORAGE_ATTEMPTS seconds and database
connections after 5 s.
"""

from __future__ import annotations

import contextlib
import os
import signal

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "web"

timeout = 30
graceful_timeout = 10
worker_class = "gthread"
threads = 2


def on_exit(server) -> None:
    """Stop the background worker `make run` started beside gunicorn."""
    pid = os.environ.get("IMG_REPO_WORKER_PID")
    if pid:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGTERM)
