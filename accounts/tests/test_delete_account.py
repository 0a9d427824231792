"""A person deletes their own account: rows and stored objects all go."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command

from gallery import services
from gallery.models import Image, ImageEmbedding

User = get_user_model()


def stored_names(image: Image) -> list[str]:
    return [field.name for field in (image.file, *image.renditions) if field]


def delete_account(client, password: str, capture):
    with capture(execute=True):
        return client.post("/accounts/delete/", {"password": password})


def assert_everything_of_alice_is_gone(alice_id: int, names: list[str], bob_image):
    assert not User.objects.filter(pk=alice_id).exists()
    assert not Image.objects.filter(owner_id=alice_id).exists()
    assert not ImageEmbedding.objects.filter(image__owner_id=alice_id).exists()
    for name in names:
        assert not default_storage.exists(name), name
    # Another person's library is untouched.
    assert Image.objects.filter(pk=bob_image.pk).exists()
    assert all(default_storage.exists(name) for name in stored_names(bob_image))


@pytest.mark.django_db
def test_the_page_asks_for_the_password(alice_client):
    page = alice_client.get("/accounts/delete/")
    assert page.status_code == 200
    assert "Your password" in page.content.decode()


@pytest.mark.django_db
def test_a_wrong_password_deletes_nothing(
    alice_client, alice, make_upload, django_capture_on_commit_callbacks
):
    image = services.image_upload(owner=alice, file=make_upload())
    response = delete_account(
        alice_client, "not it", django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    assert Image.objects.filter(pk=image.pk).exists()
    assert all(default_storage.exists(name) for name in stored_names(image))


@pytest.mark.django_db
def test_an_account_without_a_password_sets_one_first(client, alice):
    alice.set_unusable_password()
    alice.save()
    client.force_login(alice)
    page = client.get("/accounts/delete/").content.decode()
    assert "set one first" in page
    assert client.post("/accounts/delete/", {"password": ""}).status_code == 200
    assert User.objects.filter(pk=alice.pk).exists()


@pytest.mark.django_db
def test_deleting_removes_every_row_and_object(
    alice_client, alice, bob, make_upload, django_capture_on_commit_callbacks
):
    images = [services.image_upload(owner=alice, file=make_upload()) for _ in range(3)]
    names = [name for image in images for name in stored_names(image)]
    assert len(names) == 12  # each an original and its three renditions
    bob_image = services.image_upload(owner=bob, file=make_upload())

    response = delete_account(
        alice_client, "correct horse 1", django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert alice_client.get("/images/").status_code == 302
    assert_everything_of_alice_is_gone(alice.pk, names, bob_image)


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_deleting_on_s3_leaves_no_object_behind(
    s3_server, settings, alice_client, alice, bob, make_upload
):
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage_settings()}
    call_command("s3_setup", stdout=io.StringIO(), stderr=io.StringIO())
    images = [services.image_upload(owner=alice, file=make_upload()) for _ in range(2)]
    names = [name for image in images for name in stored_names(image)]
    bob_image = services.image_upload(owner=bob, file=make_upload())

    response = alice_client.post("/accounts/delete/", {"password": "correct horse 1"})
    assert response.status_code == 302
    listed = s3_server.client().list_objects_v2(
        Bucket=s3_server.bucket, Prefix=f"images/{alice.pk}/"
    )
    assert listed.get("KeyCount", 0) == 0
    assert_everything_of_alice_is_gone(alice.pk, names, bob_image)
