"""Project-level endpoints: liveness, and locally stored files behind signed URLs."""

from __future__ import annotations

import concurrent.futures
import mimetypes

from django.core import signing
from django.core.files.storage import default_storage, storages
from django.db import connection
from django.http import FileResponse, Http404, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gallery.storage import (
    PrivateFileSystemStorage,
    read_media_token,
    url_cache_seconds,
)


@require_GET
def media_file(request, token):
    """Serve a locally stored image to whoever holds a valid, unexpired URL."""
    storage = storages["default"]
    if not isinstance(storage, PrivateFileSystemStorage):
        raise Http404
    try:
        grant = read_media_token(token)
    except signing.BadSignature:
        return HttpResponseForbidden("This image link is invalid or has expired.")
    if not storage.exists(grant.name):
        raise Http404
    content_type, _ = mimetypes.guess_type(grant.name)
    response = FileResponse(
        storage.open(grant.name, "rb"),
        content_type=content_type or "application/octet-stream",
    )
    # The same URL is handed out for a while (gallery.storage), so the
    # browser keeps the file for as long as any such URL is sure to be valid.
    response["Cache-Control"] = f"private, max-age={url_cache_seconds()}"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if grant.content_disposition:
        response["Content-Disposition"] = grant.content_disposition
    return response


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check(_ping_database), "storage": _check(_ping_storage)}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks},
        status=200 if healthy else 503,
    )


def _check(probe) -> str:
    try:
        probe()
    except Exception as error:
        return f"error: {error.__class__.__name__}"
    return "ok"


def _ping_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _ping_storage() -> None:
    """Ask storage for an object, waiting at most STORAGE_PROBE_SECONDS.

    A hanging store would otherwise hold this request for the storage
    timeouts; the probe's thread ends by itself when they run out.
    """
    probe = _probes.submit(default_storage.exists, "healthz")
    try:
        probe.result(timeout=STORAGE_PROBE_SECONDS)
    except concurrent.futures.TimeoutError:
        raise TimeoutError("storage did not answer in time") from None


STORAGE_PROBE_SECONDS = 3.0
# A few threads at most, however many probes hang at once.
_probes = concurrent.futures.ThreadPoolExecutor(
    max_workers=2, thread_name_prefix="healthz"
)
