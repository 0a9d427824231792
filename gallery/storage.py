"""Private local storage whose URLs are signed and expire.

Files live outside any static or media directory a web server would list; the
only way to read one is a URL carrying a Django signature of its key, checked
by ``image_repo_project.views.media_file``. The lifetime matches S3's presigned URLs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import PurePosixPath

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from django.utils.http import content_disposition_header
from storages.utils import clean_name

SALT = "gallery.media"


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
    return signing.TimestampSigner(salt=SALT).sign(signing.b64_encode(sealed).decode())


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

    def url(self, name: str | None, parameters: dict[str, str] | None = None) -> str:
        """A signed URL; takes S3's ResponseContentDisposition parameter too."""
        if not name:
            raise ValueError("A stored file's name is needed for its URL.")
        disposition = (parameters or {}).get("ResponseContentDisposition")
        token = sign_media(name, content_disposition=disposition)
        return reverse("media_file", args=[token])


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
