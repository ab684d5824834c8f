"""Durability: a real gunicorn serving the suite's database, a client that retries like the Segment
SDKs (the same batch, the same message ids, until it is acknowledged), and two `kill -9`s of the
workers in the middle of the stream. Every acknowledged message is stored exactly once."""

from __future__ import annotations

import base64
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.db import connection

from accord.accounts.actions import apikey_create
from accord.tracking.models import Event

pytestmark = pytest.mark.django_db(transaction=True)

BATCHES, PER_BATCH = 120, 50
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or "5432"
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def _wait_until_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def _send_until_acknowledged(port: int, auth: str, body: bytes, stop: float) -> int:
    """POST one batch until a 200 answers it, retrying after errors and 5xx as the SDKs do."""
    attempts = 0
    while time.monotonic() < stop:
        attempts += 1
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            conn.request(
                "POST", "/v1/batch", body=body, headers={"Authorization": auth, "Content-Type": "application/json"}
            )
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return attempts
            assert response.status >= 500, response.status  # a 4xx would mean a bad batch: never retried
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(min(0.05 * attempts, 1.0))
    raise AssertionError("a batch was never acknowledged")


def test_every_acknowledged_message_is_stored_exactly_once_across_two_kills(users: Any, tmp_path: Path) -> None:
    _, key = apikey_create(name="durability", scopes="server", acting_user=users["admin"])
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")},
        "DATABASE_URL": _database_url(), "ACCORD_DATA_DIR": str(tmp_path), "ACCORD_PORT": str(port),
        "ACCORD_WEB_WORKERS": "2", "ACCORD_WEB_THREADS": "2", "ACCORD_ACCESS_LOG": "",
        "ACCORD_SECRET_KEY": "durability-" + "0123456789abcdef" * 4, "ACCORD_DB_CONN_MAX_AGE": "0",
    }  # fmt: skip
    server = subprocess.Popen(
        [str(GUNICORN), "accord.config.wsgi:application", "--config", "python:accord.config.gunicorn"],
        env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "gunicorn.log").open("wb"), start_new_session=True,
    )  # fmt: skip
    try:
        _wait_until_up(port, time.monotonic() + 60)
        auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        sent: list[str] = []
        bodies = []
        for n in range(BATCHES):
            batch = [
                {"type": "track", "messageId": str(uuid.uuid4()), "userId": f"user-{(n * PER_BATCH + i) % 300}",
                 "event": "Durability Checked", "properties": {"batch": n, "i": i}}
                for i in range(PER_BATCH)
            ]  # fmt: skip
            sent += [m["messageId"] for m in batch]
            bodies.append(orjson.dumps({"batch": batch}))
        kills: list[int] = []

        def killer() -> None:
            for at in (BATCHES // 3, 2 * BATCHES // 3):
                while progress["done"] < at:
                    time.sleep(0.01)
                for pid in _workers(server.pid)[:2]:
                    os.kill(pid, signal.SIGKILL)
                    kills.append(pid)

        progress = {"done": 0}
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        stop = time.monotonic() + 240
        retried = 0
        for body in bodies:
            retried += _send_until_acknowledged(port, auth, body, stop) - 1
            progress["done"] += 1
        thread.join(timeout=10)
        assert len(kills) >= 2, "the workers were not killed"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    stored = list(Event.objects.filter(message_id__in=sent).values_list("message_id", flat=True))
    assert len(stored) == len(set(stored)) == len(sent)  # every message once: none lost, none doubled
    print(f"{len(sent)} messages, {len(kills)} workers killed, {retried} batches sent again")
