"""TOTP two-factor (django-allauth's MFA) with codes computed in the test."""

from __future__ import annotations

import base64
import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from .support import log_in

pytestmark = pytest.mark.django_db


def turn_on_totp(client: Client, username: str, password: str) -> str:
    """Sign in, open the activation page, scan the QR code and confirm a code."""
    assert log_in(client, username, password).status_code == 302
    # Turning it on asks for the password again first.
    ask = client.get("/accounts/2fa/totp/activate/")
    assert ask["Location"].startswith("/accounts/reauthenticate/")
    client.post(ask["Location"], {"password": password})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    html = page.content.decode()
    qr = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert qr, "the page shows a QR code"
    assert b"<svg" in base64.b64decode(qr.group(1))
    secret = page.context["form"].secret
    assert secret in html  # also shown as text, for typing into the app
    response = client.post(
        "/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 302
    return secret


def test_the_account_page_offers_two_factor(client, alice):
    log_in(client, "alice", "correct horse 1")
    page = client.get("/accounts/").content.decode()
    assert "Two-factor authentication" in page
    assert "Turn on two-factor authentication" in page


def test_with_totp_on_login_asks_for_the_code(client, alice, settings):
    secret = turn_on_totp(client, "alice", "correct horse 1")
    assert "On: signing in asks for a code" in client.get("/accounts/").content.decode()
    client.post("/accounts/logout/")

    fresh = Client()
    response = log_in(fresh, "alice", "correct horse 1")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    # The password alone does not sign in.
    assert fresh.get("/images/").status_code == 302

    wrong = fresh.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.content.decode()

    code = pyotp.TOTP(secret).now()
    response = fresh.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert fresh.get("/images/").status_code == 200


def test_a_code_cannot_be_replayed(client, alice):
    secret = turn_on_totp(client, "alice", "correct horse 1")
    code = pyotp.TOTP(secret).now()
    first, second = Client(), Client()
    log_in(first, "alice", "correct horse 1")
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    log_in(second, "alice", "correct horse 1")
    replay = second.post("/accounts/2fa/authenticate/", {"code": code})
    assert replay.status_code == 200
    assert second.get("/images/").status_code == 302


def test_guessing_codes_is_stopped_after_five_tries(client, alice):
    secret = turn_on_totp(client, "alice", "correct horse 1")
    fresh = Client()
    log_in(fresh, "alice", "correct horse 1")
    for guess in range(5):
        wrong = fresh.post("/accounts/2fa/authenticate/", {"code": f"00000{guess}"})
        assert "Incorrect code." in wrong.content.decode()
    stopped = fresh.post(
        "/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()}
    )
    assert "Too many failed login attempts" in stopped.content.decode()
    assert fresh.get("/images/").status_code == 302


def test_a_recovery_code_signs_in_once(client, alice):
    turn_on_totp(client, "alice", "correct horse 1")
    page = client.get("/accounts/2fa/recovery-codes/")
    assert page.status_code == 200
    codes = (
        Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES)
        .wrap()
        .get_unused_codes()
    )
    assert len(codes) == 10
    assert codes[0] in page.content.decode()

    fresh = Client()
    log_in(fresh, "alice", "correct horse 1")
    response = fresh.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert response.status_code == 302
    assert fresh.get("/images/").status_code == 200

    again = Client()
    log_in(again, "alice", "correct horse 1")
    assert (
        again.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 200
    )


def test_without_the_setting_staff_reach_the_admin_with_a_password(client, operator):
    log_in(client, "olivia", "operator pass 9")
    assert client.get("/admin/").status_code == 200


def test_staff_without_a_second_factor_are_kept_out_when_required(
    client, operator, settings
):
    settings.ACCOUNTS_STAFF_REQUIRE_2FA = True
    log_in(client, "olivia", "operator pass 9")
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "Two-factor authentication required" in response.content.decode()
    assert client.get("/admin/auth/user/").status_code in (302, 403)
    assert client.get("/admin/auth/user/", follow=True).status_code == 403


def test_staff_signed_in_with_a_second_factor_reach_the_admin(
    client, operator, settings
):
    settings.ACCOUNTS_STAFF_REQUIRE_2FA = True
    secret = turn_on_totp(client, "olivia", "operator pass 9")
    # The session that turned it on was opened with a password only.
    assert client.get("/admin/", follow=True).status_code == 403
    client.post("/accounts/logout/")

    fresh = Client()
    log_in(fresh, "olivia", "operator pass 9", next="/admin/")
    response = fresh.post(
        "/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()}
    )
    assert response["Location"] == "/admin/"
    assert fresh.get("/admin/").status_code == 200
    assert fresh.get("/admin/auth/user/").status_code == 200
