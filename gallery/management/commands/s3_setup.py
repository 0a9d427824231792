"""Prepare the S3 bucket: create it, encrypt by default, block public access."""

from __future__ import annotations

from botocore.exceptions import ClientError
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from storages.backends.s3 import S3Storage


class Command(BaseCommand):
    help = (
        "Create the S3 bucket if missing, turn on default SSE-S3 encryption and "
        "block public access (where the server supports it)."
    )

    def handle(self, *args, **options):
        storage = storages["default"]
        if not isinstance(storage, S3Storage):
            raise CommandError(
                "Storage is not S3: set AWS_STORAGE_BUCKET_NAME (and credentials)."
            )
        client = storage.connection.meta.client
        bucket = storage.bucket_name
        self._create_bucket(client, bucket, storage.region_name)
        client.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
        )
        self.stdout.write(f"Default encryption (SSE-S3, AES256) is on for {bucket}.")
        self._block_public_access(client, bucket)

    def _create_bucket(self, client, bucket: str, region: str | None) -> None:
        try:
            client.head_bucket(Bucket=bucket)
            self.stdout.write(f"Bucket {bucket} exists.")
            return
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
                raise CommandError(f"Cannot reach bucket {bucket}: {error}") from None
        arguments: dict[str, object] = {"Bucket": bucket}
        if region and region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
        client.create_bucket(**arguments)
        self.stdout.write(self.style.SUCCESS(f"Created bucket {bucket}."))

    def _block_public_access(self, client, bucket: str) -> None:
        try:
            client.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "NotImplemented":
                raise
            self.stderr.write(
                self.style.WARNING(
                    "This S3 server does not implement public access blocks; "
                    "its objects are private unless a policy says otherwise."
                )
            )
            return
        self.stdout.write(f"Public access is blocked for {bucket}.")
