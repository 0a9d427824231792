"""manage.py import_images: a folder of photos into a user's library."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from gallery.models import Image
from gallery.services import uploads
from gallery.tests.camera_photos import photo_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(tmp_path, make_image_bytes):
    """A phone's export: nested folders, HEIC and JPEG, junk and hidden files."""
    root = tmp_path / "Photos"
    (root / "2024" / "May").mkdir(parents=True)
    (root / ".thumbnails").mkdir()
    (root / "2024" / "May" / "IMG_0001.HEIC").write_bytes(
        photo_bytes("HEIF", model="a")
    )
    (root / "2024" / "May" / "IMG_0002.jpg").write_bytes(photo_bytes(model="b"))
    (root / "2024" / "cover.avif").write_bytes(photo_bytes("AVIF", model="c"))
    (root / "notes.txt").write_text("shopping list")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / ".thumbnails" / "t.jpg").write_bytes(make_image_bytes())
    return root


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_images", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_it_imports_a_folder_tree_with_the_upload_rules(alice, folder):
    output = run("--user", "alice", str(folder))
    names = set(
        Image.objects.filter(owner=alice).values_list("original_filename", flat=True)
    )
    assert names == {"IMG_0001.HEIC", "IMG_0002.jpg", "cover.avif"}
    assert "Not imported: " in output and "notes.txt" in output
    assert "not an image we can store" in output
    assert "Imported 3 images, 0 already in the library, 1 not imported." in output
    heic = Image.objects.get(original_filename="IMG_0001.HEIC")
    assert heic.content_type == "image/heic" and heic.camera_model == "a"
    assert heic.thumbnail and heic.preview


def test_running_it_again_imports_nothing_twice(alice, folder):
    run("--user", "alice", str(folder))
    output = run("--user", "alice", str(folder))
    assert Image.objects.filter(owner=alice).count() == 3
    assert "Imported 0 images, 3 already in the library, 1 not imported." in output


def test_an_interrupted_import_resumes_where_it_stopped(
    alice, folder, monkeypatch, settings
):
    real_count = uploads.count_images
    calls = []

    def interrupted(owner_id, delta):
        calls.append(owner_id)
        if len(calls) == 2:
            # Ctrl-C once the second file's objects are written and its row
            # inserted, before the row is committed.
            raise KeyboardInterrupt
        return real_count(owner_id, delta)

    monkeypatch.setattr(uploads, "count_images", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run("--user", "alice", str(folder))
    assert Image.objects.filter(owner=alice).count() == 1
    stored = [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    assert len(stored) == 4  # one original and its three renditions, no orphans
    monkeypatch.undo()
    output = run("--user", "alice", str(folder))
    assert "Imported 2 images, 1 already in the library" in output
    assert Image.objects.filter(owner=alice).count() == 3
    assert len(set(Image.objects.values_list("sha256", flat=True))) == 3


def test_it_stops_at_the_cap_unless_told_otherwise(alice, folder, settings):
    settings.GALLERY_UPLOAD_LIMIT = 2
    output = run("--user", "alice", str(folder))
    assert Image.objects.filter(owner=alice).count() == 2
    assert "reached your limit of 2 images" in output
    assert "Run again with --ignore-limit" in output
    run("--user", "alice", "--ignore-limit", str(folder))
    assert Image.objects.filter(owner=alice).count() == 3


def test_single_files_can_be_named(alice, folder):
    run("--user", "alice", str(folder / "2024" / "cover.avif"))
    assert Image.objects.get(owner=alice).original_filename == "cover.avif"


def test_a_progress_bar_is_drawn_on_stderr(alice, folder):
    err = io.StringIO()
    call_command(
        "import_images",
        "--user",
        "alice",
        str(folder),
        stdout=io.StringIO(),
        stderr=err,
    )
    assert "4/4" in err.getvalue()


def test_unknown_users_and_paths_are_clear_errors(alice, folder):
    with pytest.raises(CommandError, match="No user named 'zed'"):
        run("--user", "zed", str(folder))
    with pytest.raises(CommandError, match="Not found: /nowhere"):
        run("--user", "alice", "/nowhere")
