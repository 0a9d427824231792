"""The per-user cap holds for forms, direct POSTs and parallel requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.models import Profile
from gallery import services
from gallery.models import Image

pytestmark = pytest.mark.django_db


def fill(user, count, make_upload):
    for _ in range(count):
        services.image_upload(owner=user, file=make_upload())


def test_it_rejects_a_sixth_upload(alice_client, alice, make_upload):
    fill(alice, 5, make_upload)
    response = alice_client.post("/images/upload/", {"images": [make_upload()]})
    assert response.status_code == 400
    assert "You have reached your limit of 5 images." in response.content.decode()
    assert Image.objects.filter(owner=alice).count() == 5


def test_a_post_of_many_files_stops_at_the_cap(alice_client, alice, make_upload):
    files = [make_upload(f"{n}.jpg") for n in range(7)]
    response = alice_client.post("/images/upload/", {"images": files})
    page = response.content.decode()
    assert page.count("Stored:") == 5
    assert page.count("You have reached your limit") == 2
    assert Image.objects.filter(owner=alice).count() == 5


def test_the_upload_page_says_when_the_limit_is_reached(
    alice_client, alice, make_upload
):
    fill(alice, 5, make_upload)
    page = alice_client.get("/images/upload/").content.decode()
    assert "You have reached your upload limit." in page
    assert "0 uploads left" in alice_client.get("/images/").content.decode()


def test_an_operator_can_raise_one_users_limit(alice, bob, make_upload):
    Profile.objects.create(user=alice, upload_limit=7)
    fill(alice, 7, make_upload)
    fill(bob, 5, make_upload)
    with pytest.raises(services.UploadLimitReached):
        services.image_upload(owner=bob, file=make_upload())
    with pytest.raises(services.UploadLimitReached):
        services.image_upload(owner=alice, file=make_upload())


def test_a_zero_limit_means_no_limit(alice, make_upload, settings):
    settings.GALLERY_UPLOAD_LIMIT = 0
    fill(alice, 8, make_upload)
    assert Image.objects.filter(owner=alice).count() == 8


def test_a_per_user_zero_overrides_the_site_limit(alice, make_upload):
    Profile.objects.create(user=alice, upload_limit=0)
    fill(alice, 6, make_upload)
    assert Image.objects.filter(owner=alice).count() == 6


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_cannot_pass_the_cap(alice, make_upload):
    fill(alice, 4, make_upload)
    files = [make_upload(f"race-{n}.jpg") for n in range(12)]

    def attempt(file):
        try:
            services.image_upload(owner=alice, file=file)
            return "stored"
        except services.UploadLimitReached:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(attempt, files))

    assert outcomes.count("stored") == 1
    assert outcomes.count("refused") == 11
    assert Image.objects.filter(owner=alice).count() == 5
