"""Sign-up and password-reset requests per client address: off unless set."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from image_repo_project.env import env_rate

pytestmark = pytest.mark.django_db


def sign_up(client: Client, number: int):
    password = "a quiet meadow 7"
    return client.post(
        "/accounts/signup/",
        {"username": f"p{number}", "password1": password, "password2": password},
    )


def reset(client: Client):
    return client.post("/accounts/password/reset/", {"email": "x@example.test"})


def test_by_default_nothing_limits_sign_ups_or_resets():
    statuses = {sign_up(Client(), number).status_code for number in range(25)}
    assert statuses == {302}
    client = Client()
    assert {reset(client).status_code for _ in range(25)} == {302}


def test_an_operator_limits_sign_ups_per_address(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/h/ip"}
    assert sign_up(Client(), 1).status_code == 302
    assert sign_up(Client(), 2).status_code == 302
    refused = sign_up(Client(), 3)
    assert refused.status_code == 429
    assert "Too many requests came from your address" in refused.content.decode()
    # Another address is not affected.
    assert sign_up(Client(REMOTE_ADDR="203.0.113.5"), 4).status_code == 302


def test_an_operator_limits_password_resets_per_address(settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "reset_password": "1/h/ip",
    }
    assert reset(Client()).status_code == 302
    assert reset(Client()).status_code == 429
    assert reset(Client(REMOTE_ADDR="203.0.113.5")).status_code == 302


def test_rates_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ACCOUNTS_SIGNUP_RATE", "5/h")
    assert env_rate("ACCOUNTS_SIGNUP_RATE") == "5/h/ip"
    monkeypatch.setenv("ACCOUNTS_SIGNUP_RATE", "")
    assert env_rate("ACCOUNTS_SIGNUP_RATE") is False
    monkeypatch.setenv("ACCOUNTS_SIGNUP_RATE", "five an hour")
    with pytest.raises(ImproperlyConfigured, match="ACCOUNTS_SIGNUP_RATE must look"):
        env_rate("ACCOUNTS_SIGNUP_RATE")
