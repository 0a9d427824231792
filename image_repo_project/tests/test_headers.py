"""Security headers on every route of the URL conf, signed in and not."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve

from gallery import services
from gallery.storage import sign_media

from .servers import Gunicorn, app_env

pytestmark = pytest.mark.django_db


def every_route(samples: dict[str, str]) -> list[str]:
    """One concrete path for every pattern, its parameters filled with samples."""
    paths = set()

    def walk(resolver, prefix: str) -> None:
        for entries in resolver.reverse_dict.lists():
            for possibilities, _pattern, _defaults, _converters in entries[1]:
                for template, params in possibilities:
                    values = {param: samples.get(param, "x") for param in params}
                    paths.add("/" + prefix + template % values)
        for namespace_prefix, sub_resolver in resolver.namespace_dict.values():
            walk(sub_resolver, prefix + namespace_prefix)

    walk(get_resolver(), "")
    routes = []
    for path in sorted(paths):
        try:
            resolve(path)
        except Resolver404:
            continue
        routes.append(path)
    return routes


@pytest.fixture
def routes(operator, make_upload):
    image = services.image_upload(owner=operator, file=make_upload())
    samples = {
        "pk": str(image.id),
        "image_id": str(image.id),
        "token": sign_media(image.file.name),
        "object_id": str(operator.pk),
        "app_label": "auth",
        "provider_id": "oidc",
        "content_type_id": "1",
    }
    found = every_route(samples)
    assert len(found) > 40, found
    return found


def check_headers(path: str, response, *, signed_in: bool) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"status {response.status_code}")
    if "Permissions-Policy" not in response:
        problems.append("no Permissions-Policy")
    if response.get("X-Frame-Options") != "DENY":
        problems.append("no X-Frame-Options: DENY")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if response.get("Referrer-Policy") != "same-origin":
        problems.append("no Referrer-Policy: same-origin")
    csp = response.get("Content-Security-Policy", "")
    content_type = response.get("Content-Type", "")
    if content_type.startswith("text/html"):
        if "frame-ancestors 'none'" not in csp:
            problems.append(f"CSP without frame-ancestors 'none': {csp!r}")
        if "script-src 'self'" not in csp or "style-src 'self'" not in csp:
            problems.append(f"CSP without script/style from self only: {csp!r}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"unsafe CSP: {csp!r}")
    cache = response.get("Cache-Control", "")
    if signed_in:
        if content_type.startswith("text/html") and "no-store" not in cache:
            problems.append(f"signed-in page without no-store: {cache!r}")
        if "private" not in cache and "no-store" not in cache:
            problems.append(f"signed-in response cacheable by others: {cache!r}")
    return [f"{path} ({response.status_code}): {problem}" for problem in problems]


def test_every_route_carries_the_security_headers(routes, operator, client):
    signed_in = Client()
    signed_in.force_login(operator)
    problems = []
    for path in routes:
        problems += check_headers(path, client.get(path), signed_in=False)
        problems += check_headers(path, signed_in.get(path), signed_in=True)
    assert problems == []


def test_pages_hold_no_inline_script_or_style(routes, operator):
    signed_in = Client()
    signed_in.force_login(operator)
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|<style|\sstyle="
    )
    offenders = []
    for path in routes:
        if path.startswith("/admin/"):
            continue  # Django's own admin templates, not the site's
        response = signed_in.get(path)
        html = response.get("Content-Type", "").startswith("text/html")
        if html and inline.search(response.content.decode()):
            offenders.append(path)
    assert offenders == []


def test_the_server_header_does_not_name_the_software(tmp_path):
    server = Gunicorn(app_env(tmp_path), workers=1)
    try:
        _, headers, _ = server.get("/static/img/favicon.svg")
        assert headers["Server"] == "web"
    finally:
        server.stop()
