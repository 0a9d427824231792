"""Requests refused before they reach a view, or before a fault turns into a 500."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.main import ERROR_FLAG
from django.db import DataError
from django.http import HttpResponseRedirect

from .errors import bad_query, request_too_large


class RequestSizeLimitMiddleware:
    """Answer 413 to a body larger than GALLERY_MAX_REQUEST_MB, unread.

    Django streams file uploads to disk whatever their size; this looks only at
    Content-Length, so a 150 MB upload costs nothing. (A body without a length
    is read as empty by Django's WSGI request.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.GALLERY_MAX_REQUEST_MB * 1024 * 1024:
            return request_too_large(request)
        return self.get_response(request)


class QueryStringMiddleware:
    """Answer 400 to a query string that holds a NUL character.

    PostgreSQL cannot store or compare a string with NUL in it, so a filter
    such as ``?tag=%00`` would fail in the database instead of matching nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or "\x00" in value for key, value in _pairs(request)):
            return bad_query(request)
        return self.get_response(request)


def _pairs(request):
    for key, values in request.GET.lists():
        for value in values:
            yield key, value


class AdminLookupErrorMiddleware:
    """An admin list filter the database cannot run reads as an invalid filter.

    A year like 99999999999 passes the admin's own checks and fails only when
    the count query is built; the admin then shows its own "invalid filter"
    answer, as it does for filters it refuses itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        match = request.resolver_match
        if (
            match is None
            or match.namespace != "admin"
            or not (match.url_name or "").endswith("_changelist")
            or not isinstance(exception, ValueError | OverflowError | DataError)
        ):
            return None
        if ERROR_FLAG in request.GET:
            return bad_query(request)
        return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
