"""Error pages keep the site's layout and say what happened in plain words."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from gallery import selectors

pytestmark = pytest.mark.django_db

LAYOUT = 'class="site-header"'


@pytest.fixture
def quiet_client(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


def test_a_missing_page_is_a_branded_404(alice_client):
    response = alice_client.get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert LAYOUT in page
    assert "There is nothing at this address." in page
    # Signed in: the navigation still shows the gallery.
    assert 'href="/images/"' in page


def test_a_missing_image_is_a_branded_404(alice_client):
    response = alice_client.get("/images/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.content.decode()


def test_a_forged_form_is_a_branded_403(alice):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post("/images/delete-all/")
    page = response.content.decode()
    assert response.status_code == 403
    assert LAYOUT in page
    assert "nothing was changed" in page


def test_a_fault_is_a_branded_500_without_details(quiet_client, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(selectors, "image_list", broken)
    response = quiet_client.get("/images/")
    page = response.content.decode()
    assert response.status_code == 500
    assert LAYOUT in page
    assert "Something went wrong on our side" in page
    assert "secret detail" not in page and "Traceback" not in page


def test_a_lost_database_connection_is_a_503_with_retry_after(
    quiet_client, monkeypatch
):
    def unreachable(**kwargs):
        raise OperationalError("connection to server failed")

    monkeypatch.setattr(selectors, "image_list", unreachable)
    response = quiet_client.get("/images/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert LAYOUT in page
    assert "cannot reach its database" in page


def test_an_error_page_that_cannot_render_still_answers_in_words(
    client, settings, monkeypatch
):
    from image_repo_project import errors

    def broken(*args, **kwargs):
        raise ValueError("Missing staticfiles manifest entry")

    monkeypatch.setattr(errors, "render_to_string", broken)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.content.decode()
