"""Storage that refuses, or hangs: nothing half-done, nothing forgotten.

Local storage here; the same faults against a frozen SeaweedFS are in test_s3.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from gallery import services
from gallery.models import Image, PendingDeletion
from gallery.storage import PrivateFileSystemStorage
from gallery.tests.support import row_lock_is_free

pytestmark = pytest.mark.django_db


def files_under(root) -> list[str]:
    return (
        sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    )


@pytest.fixture
def refusing_deletes(monkeypatch):
    def refuse(self, name):
        raise OSError("storage says no")

    monkeypatch.setattr(PrivateFileSystemStorage, "delete", refuse)
    return monkeypatch


def test_a_refused_write_stores_nothing_and_says_so(
    alice_client, make_upload, monkeypatch, tmp_path
):
    def refuse(self, name, content):
        raise OSError("disk says no")

    monkeypatch.setattr(PrivateFileSystemStorage, "_save", refuse)
    response = alice_client.post("/images/upload/", {"images": [make_upload()]})
    assert response.status_code == 400
    assert 'data-code="storage_unavailable"' in response.content.decode()
    assert "nothing was saved" in response.content.decode()
    assert Image.objects.count() == 0
    assert files_under(tmp_path / "media") == []


def test_a_refused_delete_hides_the_image_and_remembers_its_files(
    alice_client,
    alice,
    make_upload,
    refusing_deletes,
    tmp_path,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.GALLERY_TRASH_DAYS = 0  # deleting is at once
    image = services.image_upload(owner=alice, file=make_upload())
    names = sorted(f.name for f in (image.file, *image.renditions))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/images/{image.id}/delete/", follow=True)
    assert f"Deleted {image.original_filename}." in response.content.decode()
    assert not Image.objects.filter(pk=image.pk).exists()
    assert alice_client.get(f"/images/{image.id}/").status_code == 404
    # The files are still there, and remembered.
    assert len(files_under(tmp_path / "media")) == 4
    assert sorted(PendingDeletion.objects.values_list("name", flat=True)) == names


def test_remembered_files_are_removed_once_storage_deletes_again(
    alice, make_upload, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    first = services.image_upload(owner=alice, file=make_upload())
    second = services.image_upload(owner=alice, file=make_upload())
    real_delete = PrivateFileSystemStorage.delete
    monkeypatch.setattr(
        PrivateFileSystemStorage,
        "delete",
        lambda self, name: (_ for _ in ()).throw(OSError("down")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.image_delete(image=first)
    assert PendingDeletion.objects.count() == 4  # the original, three renditions
    # Storage answers again; the retry is due.
    monkeypatch.setattr(PrivateFileSystemStorage, "delete", real_delete)
    PendingDeletion.objects.update(next_attempt_at=timezone.now())
    # The next deletion, of anything, also clears the outbox.
    with django_capture_on_commit_callbacks(execute=True):
        services.image_delete(image=second)
    assert PendingDeletion.objects.count() == 0
    assert files_under(tmp_path / "media") == []


def test_a_pending_deletion_waits_longer_after_each_refusal(refusing_deletes):
    PendingDeletion.objects.create(
        name="images/1/x.jpg", next_attempt_at=timezone.now()
    )
    waits = []
    for _ in range(3):
        PendingDeletion.objects.update(next_attempt_at=timezone.now())
        before = timezone.now()
        assert services.pending_deletions_retry() == (0, 1)
        pending = PendingDeletion.objects.get()
        waits.append(pending.next_attempt_at - before)
    assert waits[0] < waits[1] < waits[2] <= timedelta(hours=1, seconds=5)
    assert "storage says no" in PendingDeletion.objects.get().last_error


def test_a_failed_upload_whose_cleanup_is_refused_remembers_the_objects(
    alice, make_upload, refusing_deletes, monkeypatch
):
    from gallery.services import uploads

    # The step after the row's INSERT, before its commit.
    def broken_count(owner_id, delta):
        raise RuntimeError("count down")

    monkeypatch.setattr(uploads, "count_images", broken_count)
    with pytest.raises(RuntimeError):
        services.image_upload(owner=alice, file=make_upload())
    assert Image.objects.count() == 0
    # The original, written before the row (renditions come after it).
    assert PendingDeletion.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_no_row_lock_is_held_while_storage_is_written(alice, make_upload, monkeypatch):
    real_save = PrivateFileSystemStorage._save
    seen = []

    def save_while_probing(self, name, content):
        seen.append(row_lock_is_free(alice))
        return real_save(self, name, content)

    monkeypatch.setattr(PrivateFileSystemStorage, "_save", save_while_probing)
    services.image_upload(owner=alice, file=make_upload())
    assert seen == [True, True, True, True]  # the original, three renditions


def test_healthz_answers_503_quickly_while_storage_hangs(client, monkeypatch):
    release = threading.Event()

    def hang(self, name):
        release.wait(20)
        return False

    monkeypatch.setattr(PrivateFileSystemStorage, "exists", hang)
    try:
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert response.status_code == 503
    assert response.json()["storage"] == "error: TimeoutError"
    assert elapsed < 6
    assert response.json()["database"] == "ok"
    assert default_storage.exists  # the real storage is untouched


def test_operators_see_the_outbox_in_the_admin(admin_client, refusing_deletes):
    PendingDeletion.objects.create(
        name="images/7/gone.jpg", next_attempt_at=timezone.now(), attempts=2
    )
    page = admin_client.get("/admin/gallery/pendingdeletion/").content.decode()
    assert "images/7/gone.jpg" in page
