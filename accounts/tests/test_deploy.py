"""The documented production settings, accounts included, pass check --deploy."""

from __future__ import annotations

import os

import pytest
from dotenv import dotenv_values

from gallery.tests.test_operations import run_check_deploy
from image_repo_project.tests.servers import Cluster

from .support import ROOT, settings_in_process


@pytest.mark.django_db(databases=[])
def test_check_deploy_is_silent_with_every_account_setting():
    result = run_check_deploy(
        IMG_REPO_SECRET_KEY="y" * 20 + "production-secret-key-with-many-characters",
        ALLOWED_HOSTS="photos.example.com",
        CSRF_TRUSTED_ORIGINS="https://photos.example.com",
        EMAIL_URL="smtp://mailer:secret@mail.example.com:587/?tls=True",
        DEFAULT_FROM_EMAIL="Photos <photos@example.com>",
        OIDC_ISSUER_URL="https://id.example.com/realms/main",
        OIDC_CLIENT_ID="photos",
        OIDC_CLIENT_SECRET="client-secret",
        OIDC_PROVIDER_NAME="Example ID",
        ACCOUNTS_STAFF_REQUIRE_2FA="true",
        ACCOUNTS_SIGNUP_RATE="10/h",
        ACCOUNTS_PASSWORD_RESET_RATE="5/h",
        TRUSTED_PROXY_COUNT="1",
        CACHE_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert result.stderr == ""


@pytest.mark.django_db(databases=[])
def test_an_issuer_without_a_client_id_names_the_variable():
    result = run_check_deploy(
        IMG_REPO_SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="photos.example.com",
        OIDC_ISSUER_URL="https://id.example.com",
    )
    assert result.returncode != 0
    assert "OIDC_CLIENT_ID is required" in result.stderr


@pytest.mark.django_db(databases=[])
def test_the_example_environment_file_loads_and_passes(tmp_path):
    example = dotenv_values(ROOT / ".env.example")
    values = {key: value or "" for key, value in example.items()}
    values.update(
        IMG_REPO_SECRET_KEY="example-" + "abcdefghij" * 6,
        ALLOWED_HOSTS="photos.example.com",
        DATABASE_URL=os.environ.get("DATABASE_URL", ""),
        IMG_REPO_DATA_DIR=str(tmp_path),
    )
    try:
        result = run_check_deploy(**values)
    finally:
        # Without DATABASE_URL the check started an embedded server there.
        Cluster(tmp_path / "pg").stop()
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db(databases=[])
def test_images_may_come_from_the_s3_endpoint():
    sources = settings_in_process(
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']",
        AWS_STORAGE_BUCKET_NAME="photos",
        AWS_S3_ENDPOINT_URL="https://s3.example.com",
    )
    assert sources == "[\"'self'\", 'data:', 'https://s3.example.com']"
