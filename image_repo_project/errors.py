"""Branded error pages, in the site's layout, for every status Django answers itself.

Each handler says what went wrong in the user's words. The 500 handler looks
at the exception being handled: a database that cannot be reached answers a
503 with Retry-After instead, since the request may well succeed a moment
later. Pages rendered while the database is down never look up the user.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.html import escape

from gallery.forms import TOO_MANY_FILES

logger = logging.getLogger(__name__)

FALLBACK = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>{title} · Image Repo</title></head><body><main><h1>{title}</h1>"
    "<p>{message}</p></main></body></html>"
)

# Seconds a client is asked to wait while the database is unreachable.
RETRY_AFTER_SECONDS = 30


def render_error(
    request,
    status: int,
    title: str,
    message: str,
    hint: str = "",
    *,
    plain: bool = False,
) -> HttpResponse:
    context = {"title": title, "message": message, "hint": hint}
    template = "errors/plain.html" if plain else "errors/page.html"
    body: str
    try:
        # A plain page renders without the request: no context processor may
        # reach the session or the user.
        body = render_to_string(template, context, None if plain else request)
    except Exception:
        # The page itself failed (a missing static manifest, the database):
        # the words still reach the user.
        logger.exception("Error page %s could not be rendered", status)
        body = FALLBACK.format(title=escape(title), message=escape(message))
    return HttpResponse(body, status=status)


def bad_request(request, exception=None):
    if isinstance(exception, TooManyFilesSent):
        message = TOO_MANY_FILES % {"limit": settings.GALLERY_MAX_FILES_PER_REQUEST}
    elif isinstance(exception, RequestDataTooBig):
        message = "The request was larger than this site accepts; nothing was stored."
    else:
        message = "The request could not be understood; nothing was changed."
    return render_error(request, 400, "Bad request", message)


def bad_query(request) -> HttpResponse:
    return render_error(
        request,
        400,
        "Bad address",
        "The address holds a filter or character this site cannot use.",
        "Remove the filter and try again.",
    )


def request_too_large(request) -> HttpResponse:
    return render_error(
        request,
        413,
        "Too much at once",
        f"This upload is larger than {settings.GALLERY_MAX_REQUEST_MB} MB in "
        "total; nothing was stored.",
        "Send fewer or smaller files at a time.",
    )


def permission_denied(request, exception=None):
    return render_error(
        request,
        403,
        "Not allowed",
        "You are not allowed to do this.",
        "If you were signed in, your session may have ended: sign in again.",
    )


def csrf_failure(request, reason=""):
    return render_error(
        request,
        403,
        "The form expired",
        "This form was open too long or came from somewhere else; nothing was changed.",
        "Go back, reload the page and try again.",
    )


def page_not_found(request, exception=None):
    return render_error(
        request,
        404,
        "Not found",
        "There is nothing at this address.",
        "The image may have been deleted, or the link is mistyped.",
    )


def server_error(request):
    error = sys.exc_info()[1]
    if is_database_unavailable(error):
        return database_unavailable(request)
    return render_error(
        request,
        500,
        "Something went wrong",
        "Something went wrong on our side; it has been logged.",
        "Please try again in a moment.",
        plain=True,
    )


def is_database_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DatabaseError) and "connection" in str(error).lower()
    )


def database_unavailable(request) -> HttpResponse:
    response = render_error(
        request,
        503,
        "Back in a moment",
        "The site cannot reach its database right now; nothing was lost.",
        "Please try again in a minute.",
        plain=True,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
