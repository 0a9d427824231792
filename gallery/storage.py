"""Private storage whose URLs are signed and expire: local files, and S3.

Local files live outside any static or media directory a web server would
list; the only way to read one is a URL carrying a Django signature of its key,
checked by ``image_repo_project.views.media_file``. The lifetime matches S3's
presigned URLs.

Both kinds of URL are signed as of the start of a time window (URL_WINDOW), not
the second they are made: every page shown within one window gets the same URL
for the same file, so the browser's cache serves a photo seen a minute ago
instead of downloading it again. A URL still expires IMAGE_URL_MAX_AGE after
its window began, so never later than that after it was handed out.

Since a URL is the same all through its window, each storage keeps the URLs
it signed in the current window (WindowUrls) and signs a file once per window
and process, however many pages and renditions show it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import PurePosixPath

from botocore.auth import AUTH_TYPE_MAPS, SIGV4_TIMESTAMP, S3SigV4QueryAuth
from botocore.exceptions import NoCredentialsError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

SALT = "gallery.media"
# URLs made within one window are the same URL (see the module docstring).
URL_WINDOW = 10 * 60


def url_window_start(now: float | None = None) -> int:
    """The start, in Unix seconds, of the signing window holding ``now``."""
    now = time.time() if now is None else now
    return int(now // URL_WINDOW * URL_WINDOW)


def url_cache_seconds() -> int:
    """How long a browser may keep a file fetched by a fresh URL: the time
    the URL is sure to stay valid, whenever in its window it was made."""
    return settings.IMAGE_URL_MAX_AGE - URL_WINDOW


class WindowUrls:
    """The URLs signed in the current window, by what they were signed for.

    Bounded: past ``limit`` entries the window's URLs are forgotten and
    signed again as they are asked for. A URL signed as one window ends is
    not kept for the next.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._window = 0
        self._urls: dict[Hashable, str] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, sign: Callable[[], str]) -> str:
        window = url_window_start()
        with self._lock:
            if window != self._window:
                self._window, self._urls = window, {}
            url = self._urls.get(key)
        if url is not None:
            return url
        url = sign()
        with self._lock:
            if self._window == window == url_window_start():
                if len(self._urls) >= self._limit:
                    self._urls = {}
                self._urls[key] = url
        return url


class _WindowSigner(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(url_window_start())


@dataclass(frozen=True)
class MediaGrant:
    name: str
    content_disposition: str | None


def sign_media(name: str, *, content_disposition: str | None = None) -> str:
    """A signed, expiring token for one stored file.

    The grant is encrypted (AES-SIV, deterministic: the same grant gives the
    same ciphertext), so a token read by anyone shows neither the storage key
    (which holds the owner's id) nor the original filename.
    """
    payload = {"n": name}
    if content_disposition:
        payload["d"] = content_disposition
    sealed = _cipher().encrypt(json.dumps(payload).encode(), None)
    return _WindowSigner(salt=SALT).sign(signing.b64_encode(sealed).decode())


def read_media_token(token: str) -> MediaGrant:
    """The grant in a token; raises signing.BadSignature when tampered or expired."""
    sealed = signing.TimestampSigner(salt=SALT).unsign(
        token, max_age=settings.IMAGE_URL_MAX_AGE
    )
    try:
        payload = json.loads(
            _cipher().decrypt(signing.b64_decode(sealed.encode()), None)
        )
    except (InvalidTag, ValueError) as error:
        raise signing.BadSignature("Unreadable media token") from error
    return MediaGrant(name=payload["n"], content_disposition=payload.get("d"))


def _cipher() -> AESSIV:
    # A 512-bit AES-SIV key derived from SECRET_KEY for this one purpose.
    key = hashlib.sha512(f"{SALT}.encryption:{settings.SECRET_KEY}".encode()).digest()
    return AESSIV(key)


class PrivateFileSystemStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        kwargs.setdefault("location", settings.MEDIA_ROOT)
        kwargs.pop("base_url", None)
        # Keys are made of ids, as on S3: a rendition written again by a
        # restarted job replaces itself instead of leaving an orphan beside it.
        kwargs.setdefault("allow_overwrite", True)
        super().__init__(**kwargs)
        self._urls = WindowUrls()

    def url(self, name: str | None, parameters: dict[str, str] | None = None) -> str:
        """A signed URL; takes S3's ResponseContentDisposition parameter too."""
        if not name:
            raise ValueError("A stored file's name is needed for its URL.")
        disposition = (parameters or {}).get("ResponseContentDisposition")

        def sign() -> str:
            token = sign_media(name, content_disposition=disposition)
            return reverse("media_file", args=[token])

        return self._urls.get((name, disposition, settings.SECRET_KEY), sign)


class WindowedS3SigV4QueryAuth(S3SigV4QueryAuth):
    """S3 presigning dated at the start of the signing window.

    botocore dates a presigned URL the moment it is made; the expiry
    (X-Amz-Expires) counts from that date, so dating it earlier only
    shortens its life, and URLs made in one window are equal.
    """

    def add_auth(self, request):
        if self.credentials is None:
            raise NoCredentialsError()
        window = datetime.datetime.fromtimestamp(url_window_start(), datetime.UTC)
        request.context["timestamp"] = window.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


WINDOWED_PRESIGN = "gallery-windowed-s3v4-query"
AUTH_TYPE_MAPS[WINDOWED_PRESIGN] = WindowedS3SigV4QueryAuth


def _presign_in_windows(signature_version, **kwargs):
    if signature_version == "s3v4-query":
        return WINDOWED_PRESIGN
    return None


class PrivateS3Storage(S3Storage):
    """A private bucket whose presigned URLs are stable within a window and
    tell the browser how long it may keep the file."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._urls = WindowUrls()

    @property
    def connection(self):
        connection = super().connection
        connection.meta.client.meta.events.register(
            "choose-signer.s3.GetObject",
            _presign_in_windows,
            unique_id="gallery-windowed-presign",
        )
        return connection

    def url(self, name, parameters=None, expire=None, http_method=None):
        parameters = {
            "ResponseCacheControl": f"private, max-age={url_cache_seconds()}",
            **(parameters or {}),
        }
        presign = super().url

        def sign() -> str:
            return presign(name, parameters, expire, http_method)

        key = (name, tuple(sorted(parameters.items())), expire, http_method)
        return self._urls.get(key, sign)


def download_filename(image) -> str:
    """The original name with the extension of the type found in the bytes.

    A JPEG uploaded as ``poly.html`` downloads as ``poly.jpg``: whatever the
    name claimed, the saved file opens as the image it is.
    """
    extension = PurePosixPath(image.file.name).suffix
    stem, dot, _ = image.original_filename.rpartition(".")
    return f"{stem if dot and stem else image.original_filename}{extension}"


def download_url(image) -> str:
    """A short-lived URL that downloads the original under its original name."""
    disposition = content_disposition_header(
        as_attachment=True, filename=download_filename(image)
    )
    return image.file.storage.url(
        image.file.name, parameters={"ResponseContentDisposition": disposition}
    )


def read_object(name: str) -> bytes:
    """The bytes of a stored object, in one request on S3.

    django-storages' S3 files send a HEAD when opened and another before the
    download; the object's key is known, so a single GET does.
    """
    bucket = getattr(default_storage, "bucket", None)
    normalize = getattr(default_storage, "_normalize_name", None)
    if bucket is None or normalize is None:
        with default_storage.open(name, "rb") as stored:
            data: bytes = stored.read()
        return data
    body: bytes = bucket.Object(normalize(clean_name(name))).get()["Body"].read()
    return body
