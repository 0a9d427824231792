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
import hmac
import json
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import SplitResult, quote, unquote, urlsplit

from botocore.auth import AUTH_TYPE_MAPS, SIGV4_TIMESTAMP, S3SigV4QueryAuth
from botocore.credentials import ReadOnlyCredentials
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


# The GetObject parameters pages pass, by their query names, in the order
# botocore writes them (the S3 model's order).
_QUERY_NAMES = {
    "ResponseCacheControl": "response-cache-control",
    "ResponseContentDisposition": "response-content-disposition",
}
_PROBE_KEY = "gallery-presign-probe"


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


class QueryPresigner:
    """Presigned GetObject URLs of one bucket, as botocore makes them, in
    about a tenth of the time.

    botocore runs every presigned URL through its generic request pipeline
    (endpoint rules, validation, serialisation, events): about 250 µs a URL
    here, and a gallery page shows dozens. The URL itself is SigV4's query
    form: a canonical request, one HMAC chain, one HMAC. botocore still
    decides the address, region and scope: they are read from one URL it
    presigns at the start, and every URL made here is byte for byte the one
    WindowedS3SigV4QueryAuth would make in the same window (a test compares
    them, with and without a session token).
    """

    def __init__(self, client, bucket: str, credentials, expires: int) -> None:
        probe = urlsplit(
            client.generate_presigned_url(
                "get_object",
                Params={"Bucket": bucket, "Key": _PROBE_KEY},
                ExpiresIn=expires,
            )
        )
        if not probe.path.endswith("/" + _PROBE_KEY):
            raise ValueError(f"Unexpected presigned URL path {probe.path!r}")
        self._origin = f"{probe.scheme}://{probe.netloc}"
        self._prefix = probe.path[: -len(_PROBE_KEY)]
        query = dict(pair.split("=", 1) for pair in probe.query.split("&"))
        # access key / date / region / service / aws4_request
        _, _, region, service, _ = unquote(query["X-Amz-Credential"]).rsplit("/", 4)
        self._scope_tail = f"{region}/{service}/aws4_request"
        self._region, self._service = region, service
        self._host = _signed_host(probe)
        self._credentials = credentials
        self._expires = str(expires)
        self._keys: dict[tuple[str, str], bytes] = {}

    def signing_keys(self) -> ReadOnlyCredentials:
        """The credentials URLs are signed with now (temporary ones are
        replaced before they expire)."""
        if self._credentials is None:
            raise NoCredentialsError()
        return self._credentials.get_frozen_credentials()

    def url(self, key: str, parameters: dict[str, str]) -> str:
        credentials = self.signing_keys()
        stamp = datetime.datetime.fromtimestamp(url_window_start(), datetime.UTC)
        timestamp = stamp.strftime(SIGV4_TIMESTAMP)
        day = timestamp[:8]
        scope = f"{day}/{self._scope_tail}"
        path = self._prefix + quote(key, safe="/~")
        operation = [
            (query_name, parameters[name])
            for name, query_name in _QUERY_NAMES.items()
            if name in parameters
        ]
        auth = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", f"{credentials.access_key}/{scope}"),
            ("X-Amz-Date", timestamp),
            ("X-Amz-Expires", self._expires),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if credentials.token is not None:
            auth.append(("X-Amz-Security-Token", credentials.token))
        encoded = [(_encode(k), _encode(v)) for k, v in operation + auth]
        canonical = "\n".join(
            [
                "GET",
                path,
                "&".join(f"{k}={v}" for k, v in sorted(encoded)),
                f"host:{self._host}\n",
                "host",
                "UNSIGNED-PAYLOAD",
            ]
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        to_sign = f"AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n{digest}"
        signature = hmac.new(
            self._signing_key(credentials.secret_key, day),
            to_sign.encode(),
            hashlib.sha256,
        ).hexdigest()
        query = "&".join(f"{k}={v}" for k, v in encoded)
        return f"{self._origin}{path}?{query}&X-Amz-Signature={signature}"

    def _signing_key(self, secret: str, day: str) -> bytes:
        key = self._keys.get((secret, day))
        if key is None:
            key = f"AWS4{secret}".encode()
            for part in (day, self._region, self._service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {(secret, day): key}  # one day's key is enough
        return key


def _signed_host(url: SplitResult) -> str:
    """The Host header SigV4 signs: no default port (as botocore's)."""
    host = url.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if url.port is not None and url.port != {"http": 80, "https": 443}.get(url.scheme):
        host = f"{host}:{url.port}"
    return host


class PrivateS3Storage(S3Storage):
    """A private bucket whose presigned URLs are stable within a window and
    tell the browser how long it may keep the file."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self._presigner: QueryPresigner | None = None
        self._presigner_lock = threading.Lock()
        self._session = None
        self._session_lock = threading.RLock()
        self._urls = WindowUrls()

    def _create_session(self):
        """One boto3 session per storage, shared by every thread's connection.

        django-storages builds a session for each thread's connection, and
        each session parses botocore's S3 model again: about 15 MB per
        thread of a web worker. A session's clients share its parsed models;
        each thread still gets its own resource and client.
        """
        with self._session_lock:
            if self._session is None:
                self._session = super()._create_session()
            return self._session

    @property
    def connection(self):
        connection = getattr(self._connections, "connection", None)
        if connection is None:
            # A boto3 session is not safe to build clients from in two
            # threads at once; the clients it built are.
            with self._session_lock:
                connection = super().connection
            connection.meta.client.meta.events.register(
                "choose-signer.s3.GetObject",
                _presign_in_windows,
                unique_id="gallery-windowed-presign",
            )
        return connection

    def _save(self, name, content):
        """One PutObject whatever the size, straight from the client.

        django-storages hands every file to boto3's transfer manager: a
        resource object and a thread hand-off per file (several milliseconds
        of CPU on a 1 MB photo) and, past 8 MB, a multipart upload of several
        requests. Uploads are bounded (GALLERY_MAX_UPLOAD_MB), far below S3's
        5 GB for one PUT.
        """
        cleaned = clean_name(name)
        key = self._normalize_name(cleaned)
        parameters = self._get_write_parameters(key, content)
        content.seek(0)
        self.connection.meta.client.put_object(
            Bucket=self.bucket_name, Key=key, Body=content, **parameters
        )
        return cleaned

    def url(self, name, parameters=None, expire=None, http_method=None):
        parameters = {
            "ResponseCacheControl": f"private, max-age={url_cache_seconds()}",
            **(parameters or {}),
        }
        presign = super().url

        def sign() -> str:
            if (
                expire is None
                and http_method in (None, "GET")
                and self.querystring_auth
                and not self.custom_domain
                and parameters.keys() <= _QUERY_NAMES.keys()
            ):
                key = self._normalize_name(clean_name(name))
                return self.presigner().url(key, parameters)
            return presign(name, parameters, expire, http_method)

        # By signing key too: once temporary credentials are replaced, the
        # URLs signed with the old ones are not handed out any more.
        keys = self.presigner().signing_keys() if self.querystring_auth else None
        signer = (keys.access_key, keys.token) if keys else None
        key = (signer, name, tuple(sorted(parameters.items())), expire, http_method)
        return self._urls.get(key, sign)

    def presigner(self) -> QueryPresigner:
        with self._presigner_lock:
            if self._presigner is None:
                self._presigner = QueryPresigner(
                    self.connection.meta.client,
                    self.bucket_name,
                    self._create_session().get_credentials(),
                    self.querystring_expire,
                )
            return self._presigner


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
