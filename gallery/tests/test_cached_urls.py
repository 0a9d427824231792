"""Image URLs are stable within a window so the browser's cache works, and
still expire within 30 minutes of being handed out (local storage and S3)."""

from __future__ import annotations

import datetime
import io
import re
import time
import urllib.request

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import Client

from gallery import services, storage

pytestmark = pytest.mark.django_db


def thumbnail_urls(response) -> list[str]:
    return re.findall(r'<img src="(/media/[^"]+)"', response.content.decode())


@pytest.fixture
def clock(monkeypatch):
    """Move time.time() for the signers; starts at the beginning of a window."""
    now = [float(storage.url_window_start(time.time()) + storage.URL_WINDOW)]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


def test_a_second_visit_within_the_window_gets_the_same_urls(
    alice, alice_client, make_upload, clock
):
    for _ in range(3):
        services.image_upload(owner=alice, file=make_upload())
    first = thumbnail_urls(alice_client.get("/images/"))
    clock[0] += storage.URL_WINDOW - 1
    second = thumbnail_urls(alice_client.get("/images/"))
    assert len(first) == 3
    assert second == first
    # The next window signs anew.
    clock[0] += 1
    assert set(thumbnail_urls(alice_client.get("/images/"))).isdisjoint(first)


def test_a_url_expires_within_30_minutes_of_being_handed_out(alice, make_upload, clock):
    image = services.image_upload(owner=alice, file=make_upload())
    clock[0] += storage.URL_WINDOW - 1  # handed out at the end of a window
    handed_out = clock[0]
    url = image.thumbnail.url
    assert Client().get(url).status_code == 200
    clock[0] = storage.url_window_start(handed_out) + 30 * 60 + 1
    assert clock[0] - handed_out < 30 * 60
    assert Client().get(url).status_code == 403
    # At the start of a window it lives the whole 30 minutes.
    clock[0] = storage.url_window_start(clock[0]) + storage.URL_WINDOW
    url = image.thumbnail.url
    clock[0] += 30 * 60
    assert Client().get(url).status_code == 200
    clock[0] += 1
    assert Client().get(url).status_code == 403


def test_a_local_file_may_be_kept_while_its_url_is_sure_to_be_valid(alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    response = Client().get(image.thumbnail.url)
    assert response["Cache-Control"] == "private, max-age=1200"


def test_the_windowed_signer_still_refuses_tampered_tokens(alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    token = image.thumbnail.url.split("/")[2]
    with pytest.raises(signing.BadSignature):
        storage.read_media_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_s3_urls_are_stable_cacheable_and_expire(
    s3_server, settings, alice, make_upload, clock
):
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage_settings()}
    call_command("s3_setup", stdout=io.StringIO(), stderr=io.StringIO())
    image = services.image_upload(owner=alice, file=make_upload())
    url = image.thumbnail.url
    clock[0] += storage.URL_WINDOW - 1
    assert image.thumbnail.url == url
    assert "X-Amz-Expires=1800" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "private, max-age=1200"
    # Dated at the start of its window: S3 counts the 30 minutes from there.
    window = datetime.datetime.fromtimestamp(
        storage.url_window_start(clock[0]), datetime.UTC
    )
    assert f"X-Amz-Date={window:%Y%m%dT%H%M%SZ}" in url
    clock[0] += 1
    assert image.thumbnail.url != url


@pytest.fixture
def signed(monkeypatch) -> list[str]:
    """The names of the local files signed from now on, one per signing."""
    names: list[str] = []
    sign_media = storage.sign_media

    def counting(name, **kwargs):
        names.append(name)
        return sign_media(name, **kwargs)

    monkeypatch.setattr(storage, "sign_media", counting)
    return names


def test_a_process_signs_a_local_file_once_per_window(
    alice, make_upload, clock, signed
):
    image = services.image_upload(owner=alice, file=make_upload())
    url = image.thumbnail.url
    clock[0] += storage.URL_WINDOW - 1
    assert image.thumbnail.url == url
    assert signed == [image.thumbnail.name]
    # A download link (another disposition) is signed apart.
    assert storage.download_url(image) != url
    assert len(signed) == 2
    clock[0] += 1
    assert image.thumbnail.url != url
    assert len(signed) == 3


def test_a_gallery_page_signs_each_file_once_per_window(
    alice, alice_client, make_upload, clock, signed
):
    for _ in range(3):
        services.image_upload(owner=alice, file=make_upload())
    first = thumbnail_urls(alice_client.get("/images/"))
    # Each card shows three renditions (srcset, src, the viewer's preview).
    assert len(signed) == len(set(signed)) == 3 * 3
    signed.clear()
    clock[0] += storage.URL_WINDOW - 1
    assert thumbnail_urls(alice_client.get("/images/")) == first
    assert signed == []
    # The next window signs each file again, once.
    clock[0] += 1
    alice_client.get("/images/")
    assert len(signed) == len(set(signed)) == 3 * 3


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)
def test_s3_presigns_a_file_once_per_window(
    s3_server, settings, alice, make_upload, clock, monkeypatch
):
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage_settings()}
    call_command("s3_setup", stdout=io.StringIO(), stderr=io.StringIO())
    image = services.image_upload(owner=alice, file=make_upload())
    presigned = []
    presign = storage.QueryPresigner.url

    def counting(self, key, parameters):
        presigned.append(key)
        return presign(self, key, parameters)

    monkeypatch.setattr(storage.QueryPresigner, "url", counting)
    url = image.thumbnail.url
    clock[0] += storage.URL_WINDOW - 1
    assert image.thumbnail.url == url
    assert presigned == [image.thumbnail.name]
    clock[0] += 1
    assert image.thumbnail.url != url
    assert len(presigned) == 2


@pytest.mark.parametrize(
    "endpoint, token",
    [
        ("http://127.0.0.1:9", None),  # an S3-compatible server, path style
        ("https://s3.example.com:443", "session/token+="),  # temporary keys
        (None, None),  # AWS itself, virtual-hosted style
    ],
)
def test_s3_urls_are_exactly_the_ones_botocore_presigns(endpoint, token, clock):
    """The fast presigner makes botocore's URL byte for byte, for the keys and
    parameters pages use (no server needed: presigning is local)."""
    from django.utils.http import content_disposition_header
    from storages.backends.s3 import S3Storage

    from image_repo_project.s3 import s3_storage_options

    options = s3_storage_options(
        bucket_name="image-repo-photos",
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCY",
        region_name="eu-west-3",
        endpoint_url=endpoint,
        url_max_age=1800,
        timeout=1,
        attempts=1,
    )
    s3 = storage.PrivateS3Storage(**options, security_token=token)
    download = content_disposition_header(
        as_attachment=True, filename="Été à la plage; 1+1.jpg"
    )
    names = [
        "thumbnails/7/0b0f6f2e-5b1a-4a57-8a2a-3a8d1f0e9c11.webp",
        "images/7/a b+c é~(1).jpg",
    ]
    for name in names:
        for parameters in ({}, {"ResponseContentDisposition": download}):
            cached = f"private, max-age={storage.url_cache_seconds()}"
            expected = S3Storage.url(
                s3, name, {"ResponseCacheControl": cached, **parameters}
            )
            assert s3.url(name, parameters or None) == expected
    # Anything else (another lifetime, a method) still goes through botocore.
    assert "X-Amz-Expires=60" in s3.url(names[0], expire=60)


def test_s3_urls_are_signed_again_once_the_credentials_are_replaced(clock, monkeypatch):
    """Temporary credentials (an instance role's) are replaced before they
    expire; a URL cached in the window is not handed out any more with the
    keys that were replaced."""
    import boto3
    from botocore.credentials import ReadOnlyCredentials

    from image_repo_project.s3 import s3_storage_options

    class Rotating:  # what botocore's refreshable credentials look like
        keys = ReadOnlyCredentials("AKIDFIRST", "first-secret", "first-token")

        def get_frozen_credentials(self):
            return self.keys

    rotating = Rotating()
    monkeypatch.setattr(boto3.session.Session, "get_credentials", lambda _: rotating)
    s3 = storage.PrivateS3Storage(
        **s3_storage_options(
            bucket_name="image-repo-photos",
            access_key="AKIDFIRST",
            secret_key="first-secret",
            region_name="eu-west-3",
            endpoint_url="http://127.0.0.1:9",
            url_max_age=1800,
            timeout=1,
            attempts=1,
        )
    )
    name = "thumbnails/7/0b0f6f2e-5b1a-4a57-8a2a-3a8d1f0e9c11.webp"
    first = s3.url(name)
    assert "AKIDFIRST" in first and s3.url(name) == first

    rotating.keys = ReadOnlyCredentials("AKIDSECOND", "second-secret", "second-token")
    second = s3.url(name)
    assert "AKIDSECOND" in second and "second-token" in second
    assert s3.url(name) == second  # and kept for the rest of the window
