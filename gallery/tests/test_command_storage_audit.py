"""`manage.py storage_audit` finds objects and rows that lost each other."""

from __future__ import annotations

import io
import os
import time
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from PIL import Image as PILImage

from gallery import services
from gallery.models import Image
from gallery.services import renditions

# Deleting rows removes their objects on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

CLEAN = (
    "0 objects without row, 0 rows without object, "
    "0 rows without a preview or thumbnail."
)


def audit(*args) -> str:
    out = io.StringIO()
    call_command("storage_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def audit_failing(*args) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("storage_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue(), str(raised.value)


def stray_object(name: str, *, hours_old: float = 2) -> str:
    """An object no row references, written hours_old ago (local storage)."""
    name = default_storage.save(name, ContentFile(b"not referenced"))
    written = time.time() - hours_old * 3600
    os.utime(default_storage.path(name), (written, written))
    return name


def test_a_clean_library_reports_nothing_and_exits_0(alice, bob, make_upload):
    for owner in (alice, alice, bob):
        services.image_upload(owner=owner, file=make_upload())

    output = audit()

    assert output == f"Checked 3 image rows and 12 objects: {CLEAN}\n"


def test_an_empty_library_is_clean():
    assert audit() == f"Checked 0 image rows and 0 objects: {CLEAN}\n"


def test_it_lists_objects_without_a_row_and_exits_non_zero(alice, bob, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    strays = [
        stray_object(f"images/{alice.id}/{uuid.uuid4()}.jpg"),
        # bob has no images at all: his whole directory is orphaned.
        stray_object(f"thumbnails/{bob.id}/{uuid.uuid4()}.jpg"),
        stray_object(f"small-thumbnails/{alice.id}/{uuid.uuid4()}.webp"),
        stray_object("images/loose.jpg"),
    ]

    output, error = audit_failing()

    for name in strays:
        assert f"object without row: {name}\n" in output
    assert image.file.name not in output
    assert "Checked 1 image row and 8 objects: 4 objects without row," in output
    assert error == "Found 4 problems; run with --fix to repair."
    assert all(default_storage.exists(name) for name in strays)


def test_fix_deletes_objects_without_a_row_only(alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    stray = stray_object(f"images/{alice.id}/{uuid.uuid4()}.jpg")

    output = audit("--fix")

    assert f"object without row: {stray}\ndeleted object: {stray}\n" in output
    assert "Fixed 1." in output
    assert not default_storage.exists(stray)
    assert default_storage.exists(image.file.name)
    assert default_storage.exists(image.thumbnail.name)
    assert default_storage.exists(image.preview.name)
    assert CLEAN in audit()


def test_it_lists_rows_whose_original_is_missing(alice, make_upload):
    kept = services.image_upload(owner=alice, file=make_upload())
    lost = services.image_upload(owner=alice, file=make_upload())
    default_storage.delete(lost.file.name)

    output, error = audit_failing()

    assert f"row without object: {lost.id} {lost.file.name}\n" in output
    assert str(kept.id) not in output
    assert "1 row without object" in output
    assert error == "Found 1 problem; run with --fix to repair."
    assert Image.objects.filter(pk=lost.pk).exists()


def test_fix_deletes_a_row_whose_original_is_missing_with_its_renditions(
    alice, make_upload
):
    kept = services.image_upload(owner=alice, file=make_upload())
    lost = services.image_upload(owner=alice, file=make_upload())
    default_storage.delete(lost.file.name)

    output = audit("--fix")

    assert f"deleted row: {lost.id} {lost.file.name}\n" in output
    assert set(Image.objects.values_list("pk", flat=True)) == {kept.pk}
    assert not default_storage.exists(lost.thumbnail.name)
    assert not default_storage.exists(lost.preview.name)
    assert not default_storage.exists(lost.thumbnail_small.name)
    assert default_storage.exists(kept.file.name)
    assert audit() == f"Checked 1 image row and 4 objects: {CLEAN}\n"


def test_missing_renditions_are_reported_and_rebuilt_by_fix(
    alice, alice_client, make_upload
):
    image = services.image_upload(owner=alice, file=make_upload(size=(2000, 1000)))
    default_storage.delete(image.thumbnail.name)
    default_storage.delete(image.preview.name)

    output, _ = audit_failing()
    assert f"row without thumbnail: {image.id} {image.thumbnail.name}\n" in output
    assert f"row without preview: {image.id} {image.preview.name}\n" in output
    assert "1 row without a preview or thumbnail." in output

    output = audit("--fix")

    assert f"rebuilt renditions: {image.id}\n" in output
    image.refresh_from_db()
    for field, longest_side in zip(image.renditions, (1600, 480, 240), strict=True):
        with default_storage.open(field.name) as rendition:
            opened = PILImage.open(rendition)
            assert opened.format == "WEBP"
            assert max(opened.size) == longest_side
    assert audit() == f"Checked 1 image row and 4 objects: {CLEAN}\n"


def test_renditions_are_cleared_when_the_original_is_unreadable(
    alice, make_upload, monkeypatch
):
    image = services.image_upload(owner=alice, file=make_upload())
    default_storage.delete(image.thumbnail.name)
    monkeypatch.setattr(renditions, "renditions_of", _broken_renditions)

    output = audit("--fix")

    assert f"cleared renditions: {image.id}\n" in output
    image.refresh_from_db()
    assert [field.name for field in image.renditions] == ["", "", ""]
    # Nothing is left behind: the audit finds no orphan.
    assert audit() == f"Checked 1 image row and 1 object: {CLEAN}\n"


def _broken_renditions(pixels, **kwargs):
    raise OSError("unreadable")


def test_a_fresh_unreferenced_object_is_left_alone(alice):
    # An upload writes its objects just before its row commits.
    fresh = stray_object(f"images/{alice.id}/{uuid.uuid4()}.jpg", hours_old=0)

    output = audit("--fix")

    assert "object without row" not in output
    assert "Left alone 1 unreferenced object younger than --min-age." in output
    assert default_storage.exists(fresh)
    with pytest.raises(CommandError):
        audit("--min-age", "0")


def test_objects_in_another_owners_directory_still_count_as_referenced(
    alice, bob, make_upload
):
    image = services.image_upload(owner=alice, file=make_upload())
    # An operator gave the image to bob: its keys stay under alice's id.
    Image.objects.filter(pk=image.pk).update(owner=bob)

    assert CLEAN in audit("--fix", "--min-age", "0")

    assert default_storage.exists(image.file.name)
    assert default_storage.exists(image.thumbnail.name)
    assert default_storage.exists(image.preview.name)
    assert Image.objects.filter(pk=image.pk).exists()


@pytest.mark.s3
def test_the_audit_works_against_real_s3(s3_server, settings, alice, make_upload):
    storage = s3_server.storage_settings()
    # A prefix of its own, so objects left by other S3 tests do not show up.
    prefix = f"audit-{uuid.uuid4().hex}"
    storage["OPTIONS"] = {**storage["OPTIONS"], "location": prefix}
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    call_command("s3_setup", stdout=io.StringIO(), stderr=io.StringIO())

    kept, lost, bare = (
        services.image_upload(owner=alice, file=make_upload()) for _ in range(3)
    )
    default_storage.delete(lost.file.name)
    default_storage.delete(bare.thumbnail.name)
    stray = default_storage.save(
        f"images/{alice.id}/{uuid.uuid4()}.jpg", ContentFile(b"not referenced")
    )

    output, error = audit_failing("--min-age", "0")

    assert f"object without row: {stray}\n" in output
    assert f"row without object: {lost.id} {lost.file.name}\n" in output
    assert f"row without thumbnail: {bare.id} {bare.thumbnail.name}\n" in output
    assert str(kept.id) not in output
    assert error == "Found 3 problems; run with --fix to repair."

    output = audit("--fix", "--min-age", "0")
    assert "Fixed 3." in output

    listing = s3_server.client().list_objects_v2(
        Bucket=s3_server.bucket, Prefix=f"{prefix}/"
    )
    keys = {entry["Key"].removeprefix(f"{prefix}/") for entry in listing["Contents"]}
    bare.refresh_from_db()
    assert keys == {
        name
        for image in (kept, bare)
        for name in (image.file.name, *(field.name for field in image.renditions))
    }
    assert set(Image.objects.values_list("pk", flat=True)) == {kept.pk, bare.pk}
    assert audit("--min-age", "0") == f"Checked 2 image rows and 8 objects: {CLEAN}\n"
