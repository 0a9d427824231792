from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_landing_page_welcomes_visitors(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Create an account" in response.content.decode()


def test_the_landing_page_sends_signed_in_users_to_their_gallery(alice_client):
    response = alice_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/images/"


def test_login_honours_next(client, alice):
    response = client.post(
        "/accounts/login/?next=/images/upload/",
        {"login": "alice", "password": "correct horse 1", "next": "/images/upload/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/images/upload/"


def test_login_refuses_an_offsite_next(client, alice):
    response = client.post(
        "/accounts/login/",
        {
            "login": "alice",
            "password": "correct horse 1",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/images/"


def test_login_with_a_wrong_password_shows_an_error(client, alice):
    response = client.post("/accounts/login/", {"login": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "username and/or password you specified are not correct" in (
        response.content.decode()
    )


def test_pages_of_the_gallery_ask_visitors_to_log_in(client):
    response = client.get("/images/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/images/"


def test_logout_is_a_post(alice_client):
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    # The page it lands on says what happened.
    landing = alice_client.get(response["Location"])
    assert "You have signed out." in landing.content.decode()
    assert alice_client.get("/images/").status_code == 302


def test_a_get_to_logout_asks_to_confirm_and_keeps_the_session(alice_client):
    response = alice_client.get("/accounts/logout/")
    assert response.status_code == 200
    assert "Log out?" in response.content.decode()
    assert alice_client.get("/images/").status_code == 200
