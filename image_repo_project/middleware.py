"""Requests refused before any of their body is read."""

from __future__ import annotations

from django.conf import settings

from .errors import request_too_large


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
