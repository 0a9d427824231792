"""The trash: delete moves images there; restore, empty, and purge after a while."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from gallery import selectors, services
from gallery.models import Image, OwnerTag

pytestmark = pytest.mark.django_db(transaction=True)


def objects_of(image):
    return [image.file.name, *(field.name for field in image.renditions)]


def stored(image) -> bool:
    return all(default_storage.exists(name) for name in objects_of(image))


@pytest.fixture
def photo(alice, make_upload):
    return services.image_upload(owner=alice, file=make_upload("beach.jpg"))


def test_deleting_moves_the_image_to_the_trash(alice_client, photo):
    response = alice_client.post(f"/images/{photo.id}/delete/", follow=True)
    assert "Moved beach.jpg to the trash." in response.content.decode()
    photo.refresh_from_db()
    assert photo.trashed_at is not None
    assert stored(photo)
    assert "beach.jpg" not in alice_client.get("/images/").content.decode()
    assert alice_client.get(f"/images/{photo.id}/").status_code == 404
    assert alice_client.get(f"/images/{photo.id}/similar/").status_code == 404
    trash = alice_client.get("/images/trash/").content.decode()
    assert "beach.jpg" in trash
    assert "deleted for good 30 days after you delete them" in trash


def test_a_trashed_image_can_be_restored(alice_client, photo):
    alice_client.post(f"/images/{photo.id}/delete/")
    response = alice_client.post(
        "/images/trash/restore/", {"ids": [photo.id]}, follow=True
    )
    assert "Restored 1 image." in response.content.decode()
    assert "beach.jpg" in response.content.decode()
    photo.refresh_from_db()
    assert photo.trashed_at is None
    assert alice_client.get(f"/images/{photo.id}/").status_code == 200


def test_bulk_delete_and_delete_all_move_to_the_trash(alice_client, alice, make_upload):
    images = [services.image_upload(owner=alice, file=make_upload()) for _ in range(3)]
    alice_client.post("/images/delete/", {"ids": [images[0].id]})
    assert Image.objects.filter(trashed_at__isnull=False).count() == 1
    alice_client.post("/images/delete-all/")
    assert Image.objects.filter(trashed_at__isnull=False).count() == 3
    assert all(stored(image) for image in images)


def test_trashed_images_leave_search_similar_and_tag_counts(alice, photo, make_upload):
    Image.objects.filter(pk=photo.pk).update(tag_names=["sea"], tags=[])
    services.image_index(image=Image.objects.get(pk=photo.pk))
    other = services.image_upload(owner=alice, file=make_upload("beach-2.jpg"))
    assert selectors.tag_counts(owner=alice) == [("sea", 1)]
    services.images_trash(owner=alice, ids=[photo.pk])
    found = selectors.image_list(
        owner=alice, filters=selectors.image_filters({"q": "beach"})
    )
    assert list(found) == [other]
    assert selectors.tag_counts(owner=alice) == []
    assert photo.pk not in [i.pk for i, _ in selectors.similar_images(image=other)]
    services.images_restore(owner=alice, ids=[photo.pk])
    assert selectors.tag_counts(owner=alice) == [("sea", 1)]
    services.images_trash(owner=alice, ids=[photo.pk])
    services.trash_empty(owner=alice)
    assert not OwnerTag.objects.filter(owner=alice).exists()


def test_trashed_images_do_not_count_against_the_cap(alice, make_upload, settings):
    settings.GALLERY_UPLOAD_LIMIT = 2
    first = services.image_upload(owner=alice, file=make_upload())
    services.image_upload(owner=alice, file=make_upload())
    services.images_trash(owner=alice, ids=[first.pk])
    assert selectors.upload_allowance(owner=alice).left == 1
    services.image_upload(owner=alice, file=make_upload())
    # Restoring would make three: the limit is checked again.
    with pytest.raises(services.RestoreOverLimit) as refusal:
        services.images_restore(owner=alice, ids=[first.pk])
    assert "pass your limit of 2 images" in str(refusal.value)
    assert Image.objects.get(pk=first.pk).trashed_at is not None


def test_uploading_a_trashed_image_again_points_to_the_trash(
    alice_client, alice, make_image_bytes
):
    data = make_image_bytes(color=(9, 9, 9))
    image = services.image_upload(owner=alice, file=SimpleUploadedFile("a.jpg", data))
    services.images_trash(owner=alice, ids=[image.pk])
    answer = alice_client.post(
        "/images/upload/file/", {"image": SimpleUploadedFile("b.jpg", data)}
    ).json()
    assert answer["status"] == "duplicate"
    assert answer["message"] == "This image is in your trash: restore it from there."
    assert answer["url"] == "/images/trash/"


def test_emptying_the_trash_deletes_rows_and_objects(alice_client, alice, photo):
    services.images_trash(owner=alice, ids=[photo.pk])
    response = alice_client.post("/images/trash/empty/", follow=True)
    assert "Deleted 1 image for good." in response.content.decode()
    assert not Image.objects.exists()
    assert not any(default_storage.exists(name) for name in objects_of(photo))


def test_selected_images_can_be_deleted_for_good(
    alice_client, alice, photo, make_upload
):
    kept = services.image_upload(owner=alice, file=make_upload())
    services.images_trash(owner=alice, ids=[photo.pk, kept.pk])
    alice_client.post("/images/trash/delete/", {"ids": [photo.id]})
    assert list(Image.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not default_storage.exists(photo.file.name)


def test_nobody_else_restores_or_empties_your_trash(bob_client, alice, photo):
    services.images_trash(owner=alice, ids=[photo.pk])
    bob_client.post("/images/trash/restore/", {"ids": [photo.id]})
    bob_client.post("/images/trash/delete/", {"ids": [photo.id]})
    bob_client.post("/images/trash/empty/")
    photo.refresh_from_db()
    assert photo.trashed_at is not None
    assert "beach.jpg" not in bob_client.get("/images/trash/").content.decode()


def test_the_purge_deletes_what_has_waited_its_days(alice, make_upload, settings):
    old = services.image_upload(owner=alice, file=make_upload("old.jpg"))
    recent = services.image_upload(owner=alice, file=make_upload("recent.jpg"))
    services.images_trash(owner=alice, ids=[old.pk, recent.pk])
    Image.objects.filter(pk=old.pk).update(
        trashed_at=timezone.now() - dt.timedelta(days=31)
    )
    out = io.StringIO()
    call_command("purge_trash", stdout=out)
    assert "Deleted 1 image for good" in out.getvalue()
    assert list(Image.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not default_storage.exists(old.file.name)
    assert stored(recent)


def test_with_no_trash_days_deleting_is_at_once(alice_client, alice, photo, settings):
    settings.GALLERY_TRASH_DAYS = 0
    response = alice_client.post(f"/images/{photo.id}/delete/", follow=True)
    assert "Deleted beach.jpg." in response.content.decode()
    assert not Image.objects.exists()
    assert not default_storage.exists(photo.file.name)


def test_the_gallery_links_to_the_trash(alice_client, photo):
    assert 'href="/images/trash/"' in alice_client.get("/images/").content.decode()


def test_the_beat_task_purges_too(alice, photo):
    from gallery.tasks import purge_trash

    services.images_trash(owner=alice, ids=[photo.pk])
    Image.objects.filter(pk=photo.pk).update(
        trashed_at=timezone.now() - dt.timedelta(days=30, seconds=1)
    )
    assert purge_trash() == 1
    assert not Image.objects.exists()


def test_an_analysis_that_ends_after_the_trash_does_not_count_its_tags(
    alice, photo, settings
):
    settings.GALLERY_ANALYZER = "gallery.tests.analyzers.FixedAnalyzer"
    stale = Image.objects.get(pk=photo.pk)  # loaded before it was trashed
    services.images_trash(owner=alice, ids=[photo.pk])
    services.image_analyze(image=stale)
    assert selectors.tag_counts(owner=alice) == []
    services.images_restore(owner=alice, ids=[photo.pk])
    assert selectors.tag_counts(owner=alice) != []
