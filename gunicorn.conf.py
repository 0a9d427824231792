"""gunicorn settings, read from the working directory on start.

The Server header says "web", not the server's name and version.
"""

from __future__ import annotations

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "web"
