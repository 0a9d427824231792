from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_shows_username_and_password_rules(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "150 characters or fewer" in page
    assert "at least 8 characters" in page


def test_it_signs_up_and_signs_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "carol",
            "password1": "a quiet meadow 7",
            "password2": "a quiet meadow 7",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:list")
    assert get_user_model().objects.filter(username="carol").exists()
    gallery = client.get("/images/")
    assert gallery.status_code == 200
    # The gallery says what happened: an account was made, not a sign-in.
    page = gallery.content.decode()
    assert "Welcome, carol: your account is ready." in page
    assert "signed in as" not in page
    # Signing in later says so.
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"login": "carol", "password": "a quiet meadow 7"})
    assert "Signed in as carol." in client.get("/images/").content.decode()


def test_it_shows_errors_inline_with_status_200(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "dave", "password1": "123", "password2": "124"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "This password is too short." in page
    assert 'id="id_password1_error"' in page
    assert not get_user_model().objects.filter(username="dave").exists()


def test_it_refuses_two_different_passwords(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dave",
            "password1": "a quiet meadow 7",
            "password2": "a quiet meadow 8",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "You must type the same password each time." in page
    assert 'id="id_password2_error"' in page
    assert not get_user_model().objects.filter(username="dave").exists()


def test_it_refuses_a_taken_username(client, alice):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "alice",
            "password1": "a quiet meadow 7",
            "password2": "a quiet meadow 7",
        },
    )
    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()


def test_it_refuses_a_post_without_csrf_token(alice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        "/accounts/signup/",
        {
            "username": "erin",
            "password1": "a quiet meadow 7",
            "password2": "a quiet meadow 7",
        },
    )
    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="erin").exists()


def test_a_signed_in_user_is_sent_to_the_gallery(alice_client):
    response = alice_client.get("/accounts/signup/")
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:list")
