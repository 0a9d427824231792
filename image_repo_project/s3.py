"""The S3 storage options, built in one place for settings and the S3 tests."""

from __future__ import annotations

from botocore.config import Config


def s3_storage_options(
    *,
    bucket_name: str,
    access_key: str | None,
    secret_key: str | None,
    region_name: str | None,
    endpoint_url: str | None,
    url_max_age: int,
    timeout: float,
    attempts: int,
) -> dict:
    """STORAGES["default"]["OPTIONS"] for a private, encrypted bucket.

    Every call has a short connect and read timeout and at most ``attempts``
    tries in all (botocore's defaults are 60 s each and several retries), so a
    store that hangs costs an upload seconds, not a web worker's whole timeout.
    Keys are UUIDs, so objects are written without an existence check first.
    """
    # S3-compatible servers (SeaweedFS, MinIO) want path-style addresses.
    addressing_style = "path" if endpoint_url else None
    return {
        "bucket_name": bucket_name,
        "access_key": access_key,
        "secret_key": secret_key,
        "region_name": region_name,
        "endpoint_url": endpoint_url,
        "addressing_style": addressing_style,
        "signature_version": "s3v4",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": url_max_age,
        # Keys are made of ids (gallery.models.storage_key): a key is never
        # taken by another file, so no existence HEAD before each write, and a
        # rendition written again replaces itself.
        "file_overwrite": True,
        "object_parameters": {"ServerSideEncryption": "AES256"},
        "client_config": Config(
            s3={"addressing_style": addressing_style},
            signature_version="s3v4",
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "total_max_attempts": attempts},
        ),
    }
