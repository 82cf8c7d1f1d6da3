"""A real SMTP server on loopback that keeps what it receives (STYLE §11)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.services import free_port


@dataclass
class Mail:
    to: list[str]
    subject: str
    html: str
    text: str

    def link_token(self) -> str:
        """The token at the end of a confirm-* link (``…/confirm-verification/<TOKEN>``)."""
        match = re.search(r"/confirm-[a-z-]+/([A-Za-z0-9_\-.]+)", self.html)
        assert match, self.html
        return match.group(1)

    def otp(self) -> str:
        match = re.search(r"<strong>(\d+)</strong>", self.html)
        assert match, self.html
        return match.group(1)


@dataclass
class Mailbox:
    host: str
    port: int
    mails: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0  # seconds to sit on each message, like a slow real server

    def clear(self) -> None:
        with self.lock:
            self.mails.clear()
        self.delay = 0.0

    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [m for m in self.mails if address in m.to]

    def wait_for(self, address: str, timeout: float = 5.0) -> Mail:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no mail to {address} within {timeout}s")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        html = message.get_body(("html",))
        plain = message.get_body(("plain",))
        mail = Mail(
            to=list(envelope.rcpt_tos),
            subject=str(message["Subject"]),
            html=html.get_content() if html else "",
            text=plain.get_content() if plain else "",
        )
        with self.lock:
            self.mails.append(mail)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_sink() -> Iterator[Mailbox]:
    port = free_port()
    box = Mailbox(host="127.0.0.1", port=port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
