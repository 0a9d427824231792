from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache

from gallery.tests.support import component_missing


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class Mailbox:
    """What a real SMTP server on 127.0.0.1 received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        message = BytesParser(policy=default).parsebytes(envelope.content)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def last_text(self) -> str:
        message = self.messages[-1]
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def smtp_server(settings):
    """An aiosmtpd server on a free port; Django sends its mail there over SMTP."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox(port=port)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield mailbox
    controller.stop()


OIDC_DIR = Path(__file__).resolve().parent / "oidc_provider"
CALLBACK_PATH = "/accounts/oidc/oidc/login/callback/"


@dataclass
class OIDCProvider:
    issuer: str
    client_id: str
    client_secret: str


@pytest.fixture
def oidc_provider(live_server, settings, tmp_path):
    """A real OpenID Connect provider (npm oidc-provider) on a free local port.

    `make test` installs it with `npm ci` from the committed lock file. The
    site is configured to use it exactly as OIDC_* variables would.
    """
    node = shutil.which("node")
    if node is None or not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        component_missing(
            "The test OpenID Connect provider is not installed "
            "(make oidc-provider: node and npm ci in accounts/tests/oidc_provider)."
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = OIDCProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id="image-repo",
        client_secret="image-repo-test-client-secret",
    )
    log = tmp_path / "oidc-provider.log"
    process = subprocess.Popen(
        [node, "server.mjs"],
        cwd=OIDC_DIR,
        env={
            "PATH": os.environ.get("PATH", ""),
            "OIDC_PORT": str(port),
            "OIDC_CLIENT_ID": provider.client_id,
            "OIDC_CLIENT_SECRET": provider.client_secret,
            "OIDC_REDIRECT_URI": live_server.url + CALLBACK_PATH,
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(300):
            if "ready" in log.read_text() or process.poll() is not None:
                break
            time.sleep(0.05)
        if "ready" not in log.read_text():
            pytest.fail(f"The OpenID Connect provider did not start: {log.read_text()}")
        # The live server speaks plain HTTP; production callbacks use https.
        settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "oidc",
                        "name": "Test Provider",
                        "client_id": provider.client_id,
                        "secret": provider.client_secret,
                        "settings": {"server_url": provider.issuer},
                    }
                ],
            }
        }
        directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
        settings.CONTENT_SECURITY_POLICY = {
            "DIRECTIVES": {
                **directives,
                "form-action": [*directives["form-action"], provider.issuer],
            }
        }
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)
