"""The account pages in Chromium at two widths: nothing refused by the CSP,
no axe-core violations."""

from __future__ import annotations

import pytest

from gallery import services
from gallery.tests.browser import axe_violations, screenshot

from .support import log_in_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
    "password-reset": "/accounts/password/reset/",
    "account": "/accounts/",
    "password-change": "/accounts/password/change/",
    "two-factor": "/accounts/2fa/",
    "totp-activate": "/accounts/2fa/totp/activate/",
    "identities": "/accounts/3rdparty/",
    "delete-account": "/accounts/delete/",
    "email": "/accounts/email/",
    "logout": "/accounts/logout/",
}


def test_account_pages_load_without_csp_violations(
    live_server, oidc_provider, page_at, alice, make_upload
):
    services.image_upload(owner=alice, file=make_upload())
    for width in (1280, 390):
        page = page_at(width, 900)
        refused = []
        page.on(
            "console",
            lambda message, refused=refused: (
                refused.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        log_in_in_browser(page, live_server.url, "alice", "correct horse 1")
        # Turning on two-factor asks for the password first.
        page.goto(f"{live_server.url}{PAGES['totp-activate']}")
        page.get_by_label("Password").fill("correct horse 1")
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(f"{live_server.url}{PAGES['totp-activate']}")
        for name, path in PAGES.items():
            page.goto(f"{live_server.url}{path}")
            screenshot(page, f"{'desktop' if width > 600 else 'phone'}-{name}")
            assert axe_violations(page) == [], (name, width)
        # A colour swatch is painted by the script, not by a style attribute.
        page.goto(f"{live_server.url}/images/?color=%233366cc")
        colour = page.eval_on_selector(
            "[data-swatch]", "e => getComputedStyle(e).backgroundColor"
        )
        assert colour == "rgb(51, 102, 204)"
        anonymous = page_at(width, 900)
        anonymous.goto(f"{live_server.url}/accounts/login/")
        screenshot(
            anonymous, f"{'desktop' if width > 600 else 'phone'}-login-anonymous"
        )
        anonymous.goto(f"{live_server.url}/accounts/password/reset/")
        assert axe_violations(anonymous) == [], ("password-reset", width)
        assert refused == []


def test_the_lockout_page_says_when_to_try_again(live_server, page_at, alice):
    page = page_at(390, 844, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
    screenshot(page, "phone-lockout")
    assert "Try again in 15 minutes." in page.content()
    assert axe_violations(page) == []
