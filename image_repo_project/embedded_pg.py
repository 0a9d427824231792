"""Starts the embedded PostgreSQL (pgserver) when no DATABASE_URL is set.

The server keeps running after this process exits so that the next start is
instant; `make stop-db` stops it. However the last run ended (Ctrl-C, SIGTERM,
SIGKILL of the whole process group, a reboot), the next start repairs what it
left: a ``postmaster.pid`` naming a process that is not running, and an empty
or unreadable ``.handle_pids.json`` (pgserver's list of its users) or one
naming processes that are gone.

pgserver stops a server started with ``stop_at_exit`` only when its list
holds no other user; a user killed without its own clean-up (a worker killed
by a test, a gunicorn worker killed by the arbiter) would keep the server
running for ever, so the dead are also struck off just before that check.
"""

from __future__ import annotations

import atexit
import json
import os
import warnings
from pathlib import Path

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
    repair_embedded_postgres(settings.EMBEDDED_PG_DIR)
    pgserver.get_server(
        settings.EMBEDDED_PG_DIR, cleanup_mode="stop" if stop_at_exit else None
    )
    if stop_at_exit:
        # atexit runs last-registered first: before pgserver's own check.
        atexit.register(forget_gone_users, settings.EMBEDDED_PG_DIR)


def forget_gone_users(directory: Path) -> None:
    """Strike processes that are no longer running off pgserver's list."""
    handles = directory / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    if isinstance(pids, list):
        living = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
        if living != pids:
            handles.write_text(json.dumps(living))


def repair_embedded_postgres(directory: Path) -> None:
    """Undo what an interrupted run left behind, so that the server starts."""
    handles = directory / ".handle_pids.json"
    if handles.exists():
        try:
            pids = json.loads(handles.read_text())
            valid = isinstance(pids, list) and all(isinstance(p, int) for p in pids)
        except (OSError, ValueError):
            valid = False
        if not valid:
            # Cut short while pgserver was writing it.
            handles.write_text("[]")
        forget_gone_users(directory)
    postmaster = directory / "postmaster.pid"
    if postmaster.exists() and not _running(postmaster):
        # PostgreSQL would refuse to start if the dead server's PID now
        # belongs to another process (after a reboot).
        postmaster.unlink()


def _running(postmaster: Path) -> bool:
    """Whether the PID in postmaster.pid is a running PostgreSQL server."""
    try:
        pid = int(postmaster.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if Path("/proc/self").exists():
        # A PID alone cannot tell the server from a process that reused it.
        try:
            return b"postgres" in cmdline.read_bytes()
        except OSError:
            return False
    return _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
