"""A local SMTP server for tests: aiosmtpd on a free loopback port, messages kept in memory."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage, float]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append((list(envelope.rcpt_tos), parsed, time.monotonic()))
            self.arrived.notify_all()
        return "250 OK"


class LocalSMTP:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> LocalSMTP:
        self.controller.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType]) -> None:
        self.controller.stop()

    def wait_for(self, recipient: str, timeout: float = 10) -> EmailMessage:
        deadline = time.monotonic() + timeout
        with self.handler.arrived:
            while True:
                for rcpts, message, _at in self.handler.messages:
                    if recipient in rcpts:
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no email to {recipient} within {timeout} s")
                self.handler.arrived.wait(left)
