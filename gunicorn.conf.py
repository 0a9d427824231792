"""gunicorn settings, read from the working directory on start (`make run`,
the Procfile's web process).

The Server header says "web", not the server's name and version.

A request may hold a worker for ``timeout`` seconds before gunicorn replaces
the worker. Uploads are bounded well below it: at most
GALLERY_MAX_FILES_PER_REQUEST files, each checked against GALLERY_MAX_DECODE_MB
before it is decoded, and storage calls that give up after
GALLERY_STORAGE_TIMEOUT × GALLERY_STORAGE_ATTEMPTS seconds.
"""

from __future__ import annotations

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "web"

timeout = 30
graceful_timeout = 10
