"""Deleting removes the row and every object, and only for the owner."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from gallery import services
from gallery.models import Image
from gallery.storage import PrivateFileSystemStorage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_trash(settings):
    """Deleting at once (GALLERY_TRASH_DAYS=0); the trash has test_trash.py."""
    settings.GALLERY_TRASH_DAYS = 0


def objects_of(image):
    return [image.file.name, *(field.name for field in image.renditions)]


def test_the_owner_deletes_an_image_and_its_objects(alice_client, alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload("gone.jpg"))
    response = alice_client.post(f"/images/{image.id}/delete/")
    assert response.status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(default_storage.exists(name) for name in objects_of(image))
    assert "Deleted gone.jpg." in alice_client.get("/images/").content.decode()


def test_delete_is_a_post(alice_client, alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    assert alice_client.get(f"/images/{image.id}/delete/").status_code == 405
    assert Image.objects.filter(pk=image.pk).exists()


def test_bulk_delete_removes_only_the_owners_selected_images(
    alice_client, alice, bob, make_upload
):
    mine = [services.image_upload(owner=alice, file=make_upload()) for _ in range(3)]
    theirs = services.image_upload(owner=bob, file=make_upload())
    response = alice_client.post(
        "/images/delete/", {"ids": [mine[0].id, mine[1].id, theirs.id]}
    )
    assert response.status_code == 302
    assert set(Image.objects.values_list("pk", flat=True)) == {mine[2].pk, theirs.pk}
    assert default_storage.exists(theirs.file.name)
    assert not default_storage.exists(mine[0].file.name)
    assert "Deleted 2 images." in alice_client.get("/images/").content.decode()


def test_bulk_delete_with_a_malformed_id_changes_nothing(
    alice_client, alice, make_upload
):
    image = services.image_upload(owner=alice, file=make_upload())
    response = alice_client.post("/images/delete/", {"ids": [image.id, "../etc"]})
    assert response.status_code == 302
    assert Image.objects.filter(pk=image.pk).exists()
    assert (
        "The selection is not valid." in alice_client.get("/images/").content.decode()
    )


def test_bulk_delete_without_a_selection_says_so(alice_client):
    alice_client.post("/images/delete/", {})
    assert "Select at least one image." in alice_client.get("/images/").content.decode()


def test_a_storage_failure_during_delete_still_removes_the_row(
    alice, make_upload, monkeypatch
):
    image = services.image_upload(owner=alice, file=make_upload())

    def broken(self, name):
        raise OSError("disk unavailable")

    monkeypatch.setattr(PrivateFileSystemStorage, "delete", broken)
    services.image_delete(image=image)
    assert not Image.objects.filter(pk=image.pk).exists()


def test_deleting_a_user_removes_their_objects(alice, make_upload):
    images = [services.image_upload(owner=alice, file=make_upload()) for _ in range(2)]
    services.user_delete(user=alice)
    assert Image.objects.count() == 0
    for image in images:
        assert not any(default_storage.exists(name) for name in objects_of(image))


def test_delete_all_asks_to_confirm_with_the_count(alice_client, alice, make_upload):
    for _ in range(3):
        services.image_upload(owner=alice, file=make_upload())
    page = alice_client.get("/images/delete-all/").content.decode()
    assert "Delete all 3 images?" in page
    assert Image.objects.filter(owner=alice).count() == 3


def test_delete_all_removes_only_the_owners_images_and_objects(
    alice_client, alice, bob, make_upload
):
    mine = [services.image_upload(owner=alice, file=make_upload()) for _ in range(3)]
    theirs = services.image_upload(owner=bob, file=make_upload())
    response = alice_client.post("/images/delete-all/")
    assert response.status_code == 302
    assert list(Image.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert not any(default_storage.exists(image.file.name) for image in mine)
    assert default_storage.exists(theirs.file.name)
    assert (
        "Deleted all 3 of your images." in alice_client.get("/images/").content.decode()
    )
