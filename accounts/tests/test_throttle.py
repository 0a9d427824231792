"""Failed logins are throttled per account and client address (django-axes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from .support import log_in

pytestmark = pytest.mark.django_db

WRONG = "not the password"


def fail(client: Client, username: str, times: int, headers=None) -> list[int]:
    return [
        log_in(client, username, WRONG, headers=headers).status_code
        for _ in range(times)
    ]


def test_it_locks_after_five_failures_and_says_when_to_try_again(client, alice):
    assert fail(client, "alice", 4) == [200] * 4
    response = log_in(client, "alice", WRONG)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Try again in 15 minutes." in page
    assert response["Retry-After"] == "900"


def test_the_right_password_is_refused_while_locked(client, alice):
    fail(client, "alice", 5)
    response = log_in(client, "alice", "correct horse 1")
    assert response.status_code == 429
    assert client.get("/images/").status_code == 302


def test_the_right_password_works_once_the_window_has_passed(client, alice):
    fail(client, "alice", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = log_in(client, "alice", "correct horse 1")
    assert response.status_code == 302
    assert client.get("/images/").status_code == 200


def test_failing_again_while_locked_restarts_the_wait(client, alice):
    fail(client, "alice", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    assert log_in(client, "alice", WRONG).status_code == 429
    # 20 minutes after the first lockout, 10 after the last failure: still locked.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    assert log_in(client, "alice", "correct horse 1").status_code == 429


def test_an_operator_can_unlock_an_account(client, alice):
    fail(client, "alice", 5)
    call_command("axes_reset_username", "alice")
    assert log_in(client, "alice", "correct horse 1").status_code == 302


def test_an_operator_can_unlock_from_the_admin(client, alice, operator):
    fail(client, "alice", 5)
    attempt = AccessAttempt.objects.get(username="alice")
    admin = Client()
    admin.force_login(operator)
    page = admin.get("/admin/axes/accessattempt/")
    assert "alice" in page.content.decode()
    admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert not AccessAttempt.objects.exists()
    assert log_in(client, "alice", "correct horse 1").status_code == 302


def test_one_accounts_failures_do_not_lock_out_others_at_the_same_address(
    client, alice, bob
):
    fail(client, "alice", 5)
    assert log_in(client, "bob", "battery staple 2").status_code == 302


def test_the_owner_elsewhere_is_not_locked_out(client, alice):
    fail(client, "alice", 5)
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert log_in(elsewhere, "alice", "correct horse 1").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(client, alice):
    for number in range(5):
        log_in(
            client, "alice", WRONG, headers={"X-Forwarded-For": f"198.51.100.{number}"}
        )
    response = log_in(
        client, "alice", "correct horse 1", headers={"X-Forwarded-For": "198.51.100.77"}
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(
    client, alice, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    fail(client, "alice", 5, headers={"X-Forwarded-For": "198.51.100.1"})
    locked = log_in(
        client,
        "alice",
        "correct horse 1",
        headers={"X-Forwarded-For": "x, 198.51.100.1"},
    )
    assert locked.status_code == 429
    # The proxy's own address is shared; another client behind it is not locked.
    other = log_in(
        client, "alice", "correct horse 1", headers={"X-Forwarded-For": "198.51.100.2"}
    )
    assert other.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "198.51.100.1"


def test_the_admin_has_no_login_form_of_its_own(client, operator):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "olivia", "password": "operator pass 9", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert client.get("/admin/").status_code == 302


def test_the_admin_is_reached_through_the_throttled_login(client, operator):
    response = client.get("/admin/")
    login_url = client.get(response["Location"])["Location"]
    assert login_url == "/accounts/login/?next=/admin/"
    fail(client, "olivia", 5)
    response = client.post(
        login_url, {"login": "olivia", "password": "operator pass 9", "next": "/admin/"}
    )
    assert response.status_code == 429
    AccessAttempt.objects.all().delete()
    response = client.post(
        login_url, {"login": "olivia", "password": "operator pass 9", "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


def test_unknown_user_and_wrong_password_get_the_same_answer(client, alice, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    alice.set_password("correct horse 1")
    alice.save()
    answers = {}
    for username in ("alice", "nobody-here"):
        CountingHasher.calls = 0
        response = log_in(client, username, WRONG)
        answers[username] = (
            response.status_code,
            response.context["form"].non_field_errors(),
            CountingHasher.calls,
        )
    assert answers["alice"] == answers["nobody-here"]
    status, errors, hashes = answers["alice"]
    assert status == 200
    assert errors == ["The username and/or password you specified are not correct."]
    # The hasher runs for the unknown name too: both answers cost the same.
    assert hashes >= 1
