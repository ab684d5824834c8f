"""Real receivers on loopback for the notification tests: an HTTP server that answers as told
(200, 500, too late, or by closing the connection), and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Answers each path by its first segment: /ok → 200, /fail → 500, /slow → after `slow`
    seconds, /close → closes the connection unanswered, /flaky → 500 then 200."""

    url: str = ""
    slow: float = 3.0
    received: list[Received] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)

    def of(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@contextmanager
def http_receiver(slow: float = 3.0) -> Iterator[HttpReceiver]:
    state = HttpReceiver(slow=slow)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            kind = self.path.strip("/").split("/")[0]
            with lock:
                state.hits[self.path] = state.hits.get(self.path, 0) + 1
                hit = state.hits[self.path]
            if kind == "close":
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if kind == "slow":
                time.sleep(state.slow)
            with lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = 500 if kind == "fail" or (kind == "flaky" and hit == 1) else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@contextmanager
def smtp_mail() -> Iterator[list[Message]]:
    """A real SMTP server that Django's SMTP backend sends to, for the block: the messages received."""
    from django.test import override_settings

    with (
        smtp_server() as (port, inbox),
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port
        ),
    ):
        yield inbox


def arrived(inbox: list[Message], *, seconds: float = 2.5) -> list[Message]:
    """The inbox, once something has arrived (the server hands messages over on its own thread)."""
    deadline = time.monotonic() + seconds
    while not inbox and time.monotonic() < deadline:
        time.sleep(0.05)
    return inbox


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[Message]]]:
    """A real SMTP server on a free loopback port: (port, the messages it has received)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox.messages
    finally:
        controller.stop()
