"""Who is asking, and what to answer when they must wait.

One home for the client address (used by the login throttle and by the
sign-up and password-reset rate limits) and for the lockout page.
"""

from __future__ import annotations

import ipaddress

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies saw.

    X-Forwarded-For is only believed when an operator sets TRUSTED_PROXY_COUNT
    to the number of proxies in front of the app that append to it: the entry
    that many places from the right is the one the outermost trusted proxy
    added. Anything left of it was written by the client and is ignored.
    """
    address = request.META.get("REMOTE_ADDR", "")
    trusted = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("x-forwarded-for", "")
    if trusted and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= trusted:
            address = hops[-trusted]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return request.META.get("REMOTE_ADDR") or None


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """429 with a page that says when to try again (and a Retry-After header)."""
    minutes = settings.AXES_COOLOFF_MINUTES
    response = render(request, "account/lockout.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def used_second_factor(request: HttpRequest) -> bool:
    """Whether this session's sign-in included a second factor."""
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )
