"""The S3 backend against a real S3-compatible server (SeaweedFS `weed mini`)."""

from __future__ import annotations

import datetime
import io
import os
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image as PILImage

from gallery import services
from gallery.models import Image
from gallery.tests.support import row_lock_is_free

pytestmark = [pytest.mark.s3, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def s3(s3_server, settings):
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage_settings()}
    call_command("s3_setup", stdout=io.StringIO(), stderr=io.StringIO())
    return s3_server


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_uploads_are_stored_encrypted_with_sse_s3(s3, alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    client = s3.client()
    for key in (image.file.name, *(field.name for field in image.renditions)):
        head = client.head_object(Bucket=s3.bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
    assert image.file.name == f"images/{alice.id}/{image.id}.jpg"


def test_an_unsigned_get_is_refused(s3, alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    status, _ = fetch(f"{s3.endpoint}/{s3.bucket}/{image.file.name}")
    assert status == 403


def test_the_pages_presigned_url_downloads_the_exact_bytes(
    s3, alice, alice_client, make_upload, make_image_bytes
):
    data = make_image_bytes(size=(120, 90), color=(30, 60, 90))
    image = services.image_upload(owner=alice, file=make_upload("sea.jpg", data=data))
    page = alice_client.get(f"/images/{image.id}/").content.decode()
    url = image.file.url
    assert "X-Amz-Expires=1800" in url
    assert url.split("?")[0] in page
    status, body = fetch(url)
    assert status == 200
    assert body == data


def test_the_download_url_names_the_original_file(s3, alice, alice_client, make_upload):
    image = services.image_upload(owner=alice, file=make_upload("holiday photo.jpg"))
    url = alice_client.get(f"/images/{image.id}/").context["download_url"]
    with urllib.request.urlopen(url, timeout=10) as response:
        assert "attachment" in response.headers["Content-Disposition"]
        assert "holiday photo.jpg" in response.headers["Content-Disposition"]


def test_a_presigned_url_past_its_expiry_is_refused(s3, alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    url = default_storage.url(image.file.name, expire=1)
    time.sleep(2.1)
    status, _ = fetch(url)
    assert status == 403


def test_a_tampered_presigned_url_is_refused(s3, alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    url = image.file.url.replace(f"{image.id}.jpg", f"{image.id}.png")
    status, _ = fetch(url)
    assert status == 403


def test_deleting_the_image_removes_its_objects(
    s3, alice, alice_client, make_upload, settings
):
    settings.GALLERY_TRASH_DAYS = 0  # at once; the trash is tested below
    image = services.image_upload(owner=alice, file=make_upload())
    alice_client.post(f"/images/{image.id}/delete/")
    client = s3.client()
    for key in (image.file.name, *(field.name for field in image.renditions)):
        with pytest.raises(ClientError) as error:
            client.head_object(Bucket=s3.bucket, Key=key)
        assert error.value.response["Error"]["Code"] == "404"


def test_s3_setup_turns_on_default_encryption(s3):
    rules = s3.client().get_bucket_encryption(Bucket=s3.bucket)[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_s3_setup_warns_where_public_access_blocks_are_not_implemented(s3, capsys):
    call_command("s3_setup")
    captured = capsys.readouterr()
    assert f"Bucket {s3.bucket} exists." in captured.out
    assert "does not implement public access blocks" in captured.err


def test_an_unreachable_store_refuses_the_upload_and_keeps_no_row(
    s3, settings, alice_client, alice, make_upload
):
    unreachable = s3.storage_settings()
    unreachable["OPTIONS"]["endpoint_url"] = "http://127.0.0.1:9"
    settings.STORAGES = {**settings.STORAGES, "default": unreachable}
    response = alice_client.post("/images/upload/", {"images": [make_upload()]})
    assert response.status_code == 400
    assert "The image store is not answering right now" in response.content.decode()
    assert Image.objects.count() == 0


def test_healthz_reports_an_unreachable_store(s3, settings, client):
    assert client.get("/healthz").json()["storage"] == "ok"
    unreachable = s3.storage_settings()
    unreachable["OPTIONS"]["endpoint_url"] = "http://127.0.0.1:9"
    settings.STORAGES = {**settings.STORAGES, "default": unreachable}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"].startswith("error")


@pytest.fixture
def frozen_s3(s3, settings):
    """SeaweedFS stopped with SIGSTOP: connections open, nothing answers."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3.storage_settings(timeout=1, attempts=2),
    }
    os.killpg(s3.pid, signal.SIGSTOP)
    try:
        yield s3
    finally:
        os.killpg(s3.pid, signal.SIGCONT)


def test_a_frozen_store_refuses_the_upload_in_seconds_holding_no_lock(
    frozen_s3, alice, alice_client, make_upload
):
    seen = []

    def try_the_lock():
        time.sleep(0.5)  # the upload is waiting on storage by now
        seen.append(row_lock_is_free(alice))

    probe = threading.Thread(target=try_the_lock)
    probe.start()
    started = time.monotonic()
    response = alice_client.post("/images/upload/", {"images": [make_upload()]})
    elapsed = time.monotonic() - started
    probe.join()
    assert response.status_code == 400
    assert "The image store is not answering right now" in response.content.decode()
    assert elapsed < 10
    assert seen == [True]
    assert Image.objects.count() == 0


def test_healthz_answers_503_quickly_while_the_store_is_frozen(frozen_s3, client):
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert time.monotonic() - started < 6
    assert response.json()["database"] == "ok"


def test_other_pages_answer_while_the_store_is_frozen(frozen_s3, alice_client):
    started = time.monotonic()
    assert alice_client.get("/images/").status_code == 200
    assert alice_client.get("/accounts/").status_code == 200
    assert time.monotonic() - started < 6


def s3_calls(storage) -> list[str]:
    """The name of every S3 call the storage's client makes from now on."""
    calls: list[str] = []
    storage.connection.meta.client.meta.events.register(
        "before-call.s3", lambda model, **kwargs: calls.append(model.name)
    )
    return calls


def test_an_upload_writes_its_original_once_and_asks_nothing_else(
    s3, settings, alice, make_upload
):
    settings.GALLERY_PROCESSING = "worker"
    calls = s3_calls(default_storage)
    image = services.image_upload(owner=alice, file=make_upload())
    # Keys are made of ids: no HEAD to find a free name, no second write.
    assert calls == ["PutObject"]
    calls.clear()
    assert services.image_process_next()
    # One read of the original; each of the three renditions written once.
    assert sorted(calls) == ["GetObject", "PutObject", "PutObject", "PutObject"]
    image.refresh_from_db()
    client = s3.client()
    for key in (image.file.name, *(field.name for field in image.renditions)):
        assert client.head_object(Bucket=s3.bucket, Key=key)["ContentLength"] > 0


def test_a_large_original_is_one_put_too(s3, settings, alice, make_image_bytes):
    """Past boto3's 8 MB multipart threshold the original is still one
    request, with its exact bytes and its content type."""
    settings.GALLERY_PROCESSING = "worker"
    noise = PILImage.frombytes("RGB", (1800, 1700), os.urandom(1800 * 1700 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG", compress_level=0)
    data = out.getvalue()
    assert len(data) > 8 * 1024 * 1024  # boto3's multipart threshold
    calls = s3_calls(default_storage)
    image = services.image_upload(
        owner=alice, file=SimpleUploadedFile("noise.png", data, "image/png")
    )
    assert calls == ["PutObject"]
    stored = s3.client().get_object(Bucket=s3.bucket, Key=image.file.name)
    assert stored["ContentType"] == "image/png"
    assert stored["ServerSideEncryption"] == "AES256"
    assert stored["Body"].read() == data


def test_an_upload_is_written_from_the_request_thread_alone(
    s3, settings, alice, make_upload, monkeypatch
):
    # boto3's transfer manager would start a pool of threads for every write;
    # an upload's one PUT needs none (whatever its size: see above).
    settings.GALLERY_PROCESSING = "worker"
    started: list[threading.Thread] = []
    start = threading.Thread.start

    def record(thread):
        started.append(thread)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", record)
    image = services.image_upload(owner=alice, file=make_upload())
    assert started == []
    head = s3.client().head_object(Bucket=s3.bucket, Key=image.file.name)
    assert head["ContentLength"] == image.size_bytes


def test_trash_restore_and_purge_on_s3(s3, alice, alice_client, make_upload):
    kept = services.image_upload(owner=alice, file=make_upload("kept.jpg"))
    purged = services.image_upload(owner=alice, file=make_upload("purged.jpg"))
    alice_client.post("/images/delete/", {"ids": [kept.id, purged.id]})
    client = s3.client()
    keys = {
        image.pk: [image.file.name, *(field.name for field in image.renditions)]
        for image in (kept, purged)
    }
    for image_keys in keys.values():  # trashed: still stored
        for key in image_keys:
            client.head_object(Bucket=s3.bucket, Key=key)
    alice_client.post("/images/trash/restore/", {"ids": [kept.id]})
    Image.objects.filter(pk=purged.pk).update(
        trashed_at=timezone.now() - datetime.timedelta(days=31)
    )
    call_command("purge_trash", stdout=io.StringIO())
    assert list(Image.objects.values_list("pk", flat=True)) == [kept.pk]
    assert alice_client.get(f"/images/{kept.id}/").status_code == 200
    for key in keys[kept.pk]:
        client.head_object(Bucket=s3.bucket, Key=key)
    for key in keys[purged.pk]:
        with pytest.raises(ClientError) as error:
            client.head_object(Bucket=s3.bucket, Key=key)
        assert error.value.response["Error"]["Code"] == "404"


def test_each_thread_writes_with_its_own_client_from_one_session(
    s3, settings, alice, make_upload
):
    """A gunicorn worker's threads share one boto3 session, so botocore's S3
    model is parsed once per process (about 15 MB), not once per thread."""
    settings.GALLERY_PROCESSING = "worker"
    clients, images, errors = [], [], []

    def upload() -> None:
        try:
            clients.append(default_storage.connection.meta.client)
            images.append(services.image_upload(owner=alice, file=make_upload()))
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    first, second = clients
    assert first is not second
    assert first._loader is second._loader
    client = s3.client()
    for image in images:
        head = client.head_object(Bucket=s3.bucket, Key=image.file.name)
        assert head["ContentLength"] == image.size_bytes
