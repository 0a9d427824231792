import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache


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

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
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
