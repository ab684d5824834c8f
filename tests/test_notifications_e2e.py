"""End to end, with real Redis and real Celery worker processes: an event qualifies a contact, the
MQL is routed, and the rep's email arrives at a local SMTP server; the sweep (sent through the
broker, with the clock moved on) reminds the rep and then escalates the breach to the manager;
each notification also reaches a local webhook receiver, which verifies its signature. Then a
worker is killed with SIGKILL in the middle of a run of deliveries: a new worker finishes them,
and every delivery is sent, once in Accord's books, with the same idempotency key on any retry.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis

from accord.accounts.actions import apikey_create
from accord.accounts.models import Membership, Team, User
from accord.config.celery import create_app
from accord.contacts.models import Account, Contact
from accord.lifecycle.models import Handoff
from accord.notify import domain
from accord.notify.models import Delivery, Message, Subscription
from accord.notify.outbox import Note, outbox_write
from accord.notify.tests.receivers import http_receiver, smtp_server
from accord.playbook import actions as playbook
from accord.playbook.queries import active_playbook
from conftest import must_have
from tests.test_durability import _database_url, _free_port, _wait_until_up

pytestmark = pytest.mark.django_db(transaction=True)
BIN = Path(sys.executable).parent
REDIS = os.environ.get("ACCORD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def broker() -> str:
    try:
        client = redis.Redis.from_url(REDIS, socket_connect_timeout=1)
        client.ping()
    except redis.RedisError:
        must_have(f"Redis at {REDIS}")
    client.flushdb()
    return REDIS


def _env(tmp_path: Path, broker: str, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")},
        "DATABASE_URL": _database_url(),
        "ACCORD_DATA_DIR": str(tmp_path),
        "ACCORD_BROKER_URL": broker,
        "ACCORD_RESULT_BACKEND": broker,
        "ACCORD_SECRET_KEY": "e2e-" + "0123456789abcdef" * 4,
        "ACCORD_DB_CONN_MAX_AGE": "0",
        "ACCORD_ACCESS_LOG": "",
        "ACCORD_WEBHOOK_TIMEOUT": "3",
        **extra,
    }


@contextmanager
def process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    running = subprocess.Popen(argv, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield running
    finally:
        if running.poll() is None:
            os.killpg(running.pid, signal.SIGTERM)
            try:
                running.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(running.pid, signal.SIGKILL)


def worker(env: dict[str, str], log: Path, *, name: str) -> Any:
    argv = [
        str(BIN / "celery"),
        "-A",
        "accord.config.celery",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}@%h",
    ]
    return process(argv, env, log)


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def _workspace() -> tuple[User, User, Contact]:
    admin = User.objects.create_user("admin@example.com", "pw", role="admin")
    rep = User.objects.create_user("ann@example.com", "pw", role="sales_rep", name="Ann")
    manager = User.objects.create_user("max@example.com", "pw", role="sales_manager", name="Max")
    marketing = User.objects.create_user("mia@example.com", "pw", role="marketing")
    team = Team.objects.create(name="SDR Americas", side="sales", manager=manager, time_zone="UTC", hours=ALWAYS)
    Membership.objects.create(team=team, user=rep)
    # a reminder half an hour of business time before the one-hour first touch is due
    source = active_playbook().source.replace("remind_before_hours: 1", "remind_before_hours: 0.5")
    version = playbook.playbook_draft_create(source=source, note="remind earlier", acting_user=admin)
    playbook.playbook_sign(version=version, acting_user=marketing)
    playbook.playbook_sign(version=version, acting_user=manager)
    version.refresh_from_db()
    playbook.playbook_activate(version=version, acting_user=admin)
    account = Account.objects.create(name="Acme", country="US", employees=300, industry="Software")
    contact = Contact.objects.create(
        email="jane@acme.io", first_name="Jane", consent=True, account=account, title="VP Marketing"
    )
    return admin, manager, contact


def test_event_to_routed_email_reminder_breach_escalation_and_signed_webhooks(broker: str, tmp_path: Path) -> None:
    admin, manager, contact = _workspace()
    _, key = apikey_create(name="e2e", scopes="server", acting_user=admin)
    port = _free_port()
    with smtp_server() as (smtp_port, inbox), http_receiver() as receiver:
        subscription = Subscription.objects.create(
            name="CRM", kind="webhook", url=f"{receiver.url}/ok", secret="whsec_e2e"
        )
        env = _env(
            tmp_path,
            broker,
            ACCORD_PORT=str(port),
            ACCORD_WEB_WORKERS="1",
            ACCORD_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            ACCORD_EMAIL_HOST="127.0.0.1",
            ACCORD_EMAIL_PORT=str(smtp_port),
        )
        gunicorn = [
            str(BIN / "gunicorn"),
            "accord.config.wsgi:application",
            "--config",
            "python:accord.config.gunicorn",
        ]
        with process(gunicorn, env, tmp_path / "gunicorn.log"), worker(env, tmp_path / "worker.log", name="e2e"):
            _wait_until_up(port, time.monotonic() + 60)
            body = orjson.dumps(
                {
                    "batch": [
                        {
                            "type": "identify",
                            "userId": "u-jane",
                            "traits": {"email": "jane@acme.io"},
                            "messageId": "m-1",
                        },
                        {"type": "track", "userId": "u-jane", "event": "Demo Requested", "messageId": "m-2"},
                    ]
                }
            )
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "POST",
                "/v1/batch",
                body=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            assert conn.getresponse().status == 200
            handoff = eventually(lambda: Handoff.objects.filter(contact=contact).first(), "the MQL was routed")
            rep = handoff.owner
            assert rep is not None and rep.email == "ann@example.com"

            def mail_to(address: str, words: str) -> list[Any]:
                return [m for m in inbox if m["To"] == address and words in m["Subject"]]

            eventually(lambda: mail_to(rep.email, "New hand-off"), "the rep's email", timeout=20)
            eventually(lambda: receiver.of("/ok"), "the webhook of the assignment", timeout=20)
            sweeper = create_app(broker_url=broker, result_backend=broker, task_always_eager=False)

            def sweep(minutes: int) -> dict[str, int]:
                at = handoff.created_at + dt.timedelta(minutes=minutes)
                result: dict[str, int] = sweeper.send_task("accord.sla.sweep", kwargs={"now": at.isoformat()}).get(30)
                return result

            assert sweep(20) == {"breached": 0, "reminded": 0}
            assert sweep(31) == {"breached": 0, "reminded": 1}
            eventually(lambda: mail_to(rep.email, "Reminder: first touch for Jane"), "the reminder", timeout=20)
            assert sweep(61) == {"breached": 1, "reminded": 0}
            assert sweep(61) == {"breached": 0, "reminded": 0}  # once
            eventually(lambda: mail_to(manager.email, "SLA breached: first touch for Jane"), "the escalation", 20)
            eventually(lambda: len(receiver.of("/ok")) >= 3, "the webhooks of reminder and breach", timeout=20)
            time.sleep(1.0)  # anything sent twice would have arrived by now
    events = []
    for got in receiver.of("/ok"):
        assert domain.verify(got.headers["Accord-Signature"], got.body, subscription.secret, now=int(time.time()))
        events.append(orjson.loads(got.body)["event"])
    assert sorted(events) == ["handoff.assigned", "sla.breached", "sla.reminder"]
    subjects = sorted((m["To"], m["Subject"].split(":")[0]) for m in inbox)
    assert subjects == [
        ("ann@example.com", "New hand-off"),
        ("ann@example.com", "Reminder"),
        ("ann@example.com", "SLA breached"),
        ("max@example.com", "SLA breached"),
    ]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_worker_killed_mid_delivery_loses_and_doubles_nothing(broker: str, tmp_path: Path) -> None:
    runs = 120
    with http_receiver(slow=0.05) as receiver:
        Subscription.objects.create(name="slow", kind="webhook", url=f"{receiver.url}/slow", secret="whsec_k")
        outbox_write([Note(domain.Event.DEAL_WON, f"deal.won:{n}", f"Won {n}") for n in range(runs)])
        env = _env(tmp_path, broker, ACCORD_DELIVERY_THREADS="2")
        sender = create_app(broker_url=broker, result_backend=broker, task_always_eager=False)
        with worker(env, tmp_path / "worker-1.log", name="first") as first:
            sender.send_task("accord.notify.deliver_due")
            eventually(lambda: len(receiver.received) >= runs // 4, "a quarter delivered", timeout=60)
            os.killpg(first.pid, signal.SIGKILL)  # kill -9, mid-run
            first.wait(timeout=10)
        sent_before = Delivery.objects.filter(state="sent").count()
        assert 0 < sent_before < runs
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=3)  # past the killed worker's leases
        with worker(env, tmp_path / "worker-2.log", name="second"):
            result = sender.send_task("accord.notify.deliver_due", kwargs={"now": later.isoformat()}).get(120)
        assert result["dead"] == 0
    assert Delivery.objects.filter(state="sent").count() == runs == Message.objects.count()
    keys = [r.headers["Idempotency-Key"] for r in receiver.of("/slow")]
    assert len(set(keys)) == runs  # none lost
    doubled = len(keys) - len(set(keys))
    assert doubled <= 2  # at most the two sends in flight when the worker died, each with its key again
    print(f"{runs} deliveries, {sent_before} sent before the kill, {doubled} received twice (same key)")
