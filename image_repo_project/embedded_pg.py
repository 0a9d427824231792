"""Starts the embedded PostgreSQL (pgserver) when no DATABASE_URL is set.

The server keeps running after this process exits so that the next start is
instant; `make stop-db` stops it.
"""

from __future__ import annotations

import warnings

from django.conf import settings


def ensure_embedded_postgres(*, stop_at_exit: bool = False) -> None:
    """Start the embedded server for settings.EMBEDDED_PG_DIR, if configured."""
    if not settings.EMBEDDED_PG_DIR:
        return
    with warnings.catch_warnings():
        # platformdirs warns at import that XDG_RUNTIME_DIR is unset; harmless.
        warnings.simplefilter("ignore")
        import pgserver  # imported late: only machines without DATABASE_URL need it

    settings.EMBEDDED_PG_DIR.mkdir(parents=True, exist_ok=True)
    pgserver.get_server(
        settings.EMBEDDED_PG_DIR, cleanup_mode="stop" if stop_at_exit else None
    )
