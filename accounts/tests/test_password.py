"""Changing a password, and resetting one by email over real SMTP."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from .support import log_in, settings_in_process

pytestmark = pytest.mark.django_db


def test_a_forgotten_password_is_reset_through_a_mailed_link(
    client, alice, smtp_server
):
    alice.email = "alice@example.test"
    alice.save()
    response = client.post("/accounts/password/reset/", {"email": "alice@example.test"})
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "alice@example.test"
    assert message["Subject"].startswith("[Image Repo]")
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", smtp_server.last_text()
    )
    assert link, smtp_server.last_text()

    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    assert "New Password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
        {"password1": "a new meadow 42", "password2": "a new meadow 42"},
    )
    assert done.status_code == 302

    assert log_in(Client(), "alice", "correct horse 1").status_code == 200
    fresh = Client()
    assert log_in(fresh, "alice", "a new meadow 42").status_code == 302
    assert fresh.get("/images/").status_code == 200


def test_a_used_reset_link_does_not_work_twice(client, alice, smtp_server):
    alice.email = "alice@example.test"
    alice.save()
    client.post("/accounts/password/reset/", {"email": "alice@example.test"})
    path = re.search(r"(/accounts/password/reset/key/\S+)", smtp_server.last_text())
    form = client.get(path.group(1), follow=True)
    url = form.redirect_chain[-1][0]
    client.post(url, {"password1": "a new meadow 42", "password2": "a new meadow 42"})
    again = Client().get(path.group(1), follow=True)
    assert "The password reset link was invalid" in again.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("a new meadow 42")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client, alice, smtp_server
):
    alice.email = "alice@example.test"
    alice.save()
    known = client.post("/accounts/password/reset/", {"email": "alice@example.test"})
    unknown = client.post(
        "/accounts/password/reset/", {"email": "stranger@example.test"}
    )
    assert (known.status_code, known["Location"]) == (
        unknown.status_code,
        unknown["Location"],
    )
    assert [message["To"] for message in smtp_server.messages] == ["alice@example.test"]


def test_a_signed_in_person_changes_their_password(client, alice):
    assert log_in(client, "alice", "correct horse 1").status_code == 302
    page = client.get("/accounts/password/change/")
    assert page.status_code == 200
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "correct horse 1",
            "password1": "a new meadow 42",
            "password2": "a new meadow 42",
        },
    )
    assert response.status_code == 302
    assert client.get("/images/").status_code == 200
    assert log_in(Client(), "alice", "a new meadow 42").status_code == 302


def test_a_wrong_current_password_changes_nothing(client, alice):
    log_in(client, "alice", "correct horse 1")
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "nope",
            "password1": "a new meadow 42",
            "password2": "a new meadow 42",
        },
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("correct horse 1")


def test_sign_up_takes_an_optional_email(client):
    client.post(
        "/accounts/signup/",
        {
            "username": "carol",
            "email": "carol@example.test",
            "password1": "a quiet meadow 7",
            "password2": "a quiet meadow 7",
        },
    )
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="carol").email == "carol@example.test"
    assert [message.to for message in mail.outbox] == [["carol@example.test"]]
    assert "Confirm Your Email Address" in mail.outbox[0].subject


def email_settings(**environment) -> str:
    return settings_in_process(
        "s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS", **environment
    )


@pytest.mark.django_db(databases=[])
def test_mail_goes_to_the_console_when_nothing_is_configured():
    assert email_settings().startswith("django.core.mail.backends.console.EmailBackend")


@pytest.mark.django_db(databases=[])
def test_email_url_configures_smtp():
    assert email_settings(EMAIL_URL="smtp://u:p@mail.example.test:587/?tls=True") == (
        "django.core.mail.backends.smtp.EmailBackend mail.example.test 587 True"
    )


@pytest.mark.django_db(databases=[])
def test_email_host_variables_configure_smtp():
    assert email_settings(EMAIL_HOST="mail.example.test", EMAIL_PORT="2525") == (
        "django.core.mail.backends.smtp.EmailBackend mail.example.test 2525 False"
    )
