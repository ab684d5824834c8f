"""The outbox and its deliveries, against real receivers on loopback.

Given people and subscriptions, when notes are written to the outbox, then each event is one
message, each person gets one in-app notification and one email, each subscription that wants the
event one delivery — however often the same notes are written — and the workers send them: email
through a real SMTP server, webhooks signed so the receiver can verify them, Slack-compatible
messages; a receiver that fails, is too slow or hangs up is tried again later, with backoff,
until the last try leaves the delivery dead, and never holds up the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time

import orjson
import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from accord.accounts.models import User
from accord.core import clock
from accord.notify import deliver, domain
from accord.notify.domain import Event
from accord.notify.models import Attempt, Delivery, Message, Notification, Subscription
from accord.notify.outbox import Note, outbox_write
from accord.notify.tests.receivers import arrived, http_receiver, smtp_mail

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def note(key: str = "handoff.assigned:1", users: tuple[int, ...] = (), event: Event = Event.HANDOFF_ASSIGNED) -> Note:
    return Note(event, key, "New hand-off: Jane Doe", "Acme, ready", "/queue/handoffs/1/", {"handoff": 1}, users)


def hook(url: str, *, kind: str = "webhook", events: list[str] | None = None) -> Subscription:
    return Subscription.objects.create(name=url, kind=kind, url=url, events=events or [], secret="whsec_test")


# --- the pure part ---------------------------------------------------------------------------------


@given(st.binary(max_size=500), st.text(min_size=1, max_size=40), st.integers(1_600_000_000, 2_000_000_000))
def test_a_signature_verifies_its_own_body_and_nothing_else(body: bytes, secret: str, t: int) -> None:
    header = domain.signature(secret, body, t)
    assert domain.verify(header, body, secret, now=t + 299)
    assert not domain.verify(header, body + b"x", secret, now=t)
    assert not domain.verify(header, body, secret + "x", now=t)
    assert not domain.verify(header, body, secret, now=t + 301)  # replayed after the window
    assert not domain.verify("t=abc,v1=00", body, secret, now=t)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # computed by hand: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_x
    expected = "b3438763ab46d9634b9844c8722818eaf523f803db1327484c6067462a5fd6d1"
    assert expected == hmac.new(b"whsec_x", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert domain.signature("whsec_x", b'{"a":1}', 1_700_000_000) == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize(("attempts", "wait"), [(1, 30), (2, 60), (3, 120), (5, 480), (7, 1920), (8, None), (20, None)])
def test_retries_back_off_exponentially_and_stop_after_the_last(attempts: int, wait: int | None) -> None:
    assert domain.retry_after(attempts) == wait


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.com/hooks/accord", None),
        ("http://127.0.0.1:9000/in", None),
        ("ftp://example.com/x", "must be http or https"),
        ("example.com/hooks", "must be http or https"),
        ("https://user:pw@example.com/", "user name or password"),
        ("https://example.com:99999/", "port"),
        ("https://exa mple.com/", "http(s) URL"),
        ("", "http(s) URL"),
        (5, "http(s) URL"),
    ],
)
def test_webhook_urls(url: object, problem: str | None) -> None:
    found = domain.webhook_url_problem(url)
    assert (found is None) if problem is None else (problem in (found or ""))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXX", True),
        ("https://chat.example.com/hooks/abc123", True),  # Mattermost
        ("https://hooks.slack.com/workflows/T000/A000/1/x", False),
        ("http://hooks.slack.com/services/T000/B000/XXXX", False),
        ("https://acme.slack.com/archives/C123", False),
        ("https://example.com/webhook", False),
    ],
)
def test_slack_urls_must_be_incoming_webhooks(url: str, ok: bool) -> None:
    assert (domain.slack_url_problem(url) is None) is ok


# --- writing -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_message_per_event_one_notification_and_email_per_person_one_delivery_per_subscription(users):
    rep, manager = users["sales_rep"], users["sales_manager"]
    hook("http://127.0.0.1:1/all")
    hook("http://127.0.0.1:1/deals-only", events=["deal.won"])
    hook("https://chat.example.com/hooks/x", kind="slack", events=["handoff.assigned"])
    with clock.frozen(NOW):
        first = outbox_write([note(users=(rep.pk, manager.pk, rep.pk))])
    with clock.frozen(NOW + dt.timedelta(seconds=1)):
        again = outbox_write([note(users=(rep.pk, manager.pk))])  # the same event, written again
    assert again == []
    assert Message.objects.count() == 1
    assert sorted(Notification.objects.values_list("user__email", flat=True)) == sorted([rep.email, manager.email])
    assert sorted(Delivery.objects.values_list("channel", "address")) == sorted(
        [
            ("email", rep.email),
            ("email", manager.email),
            ("webhook", "http://127.0.0.1:1/all"),
            ("slack", "https://chat.example.com/hooks/x"),
        ]
    )
    assert first == []  # without a broker nobody is told of the ids: the jobs process finds the rows
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}


@pytest.mark.django_db
def test_with_a_broker_the_deliveries_are_queued_to_the_workers_once_the_change_commits(
    users, django_capture_on_commit_callbacks
):
    from unittest import mock

    from accord.notify import tasks

    hook("http://127.0.0.1:1/all")
    with (
        override_settings(CELERY_TASK_ALWAYS_EAGER=False),
        mock.patch.object(tasks.deliver, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        ids = outbox_write([note(users=(users["sales_rep"].pk,))])
    assert len(callbacks) == 1
    assert sorted(ids) == sorted(Delivery.objects.values_list("pk", flat=True)) and len(ids) == 2
    delay.assert_called_once_with(delivery_ids=ids)


@pytest.mark.django_db
def test_inactive_people_and_subscriptions_are_not_told(users):
    rep = users["sales_rep"]
    User.objects.filter(pk=rep.pk).update(is_active=False)
    Subscription.objects.create(name="off", kind="webhook", url="http://127.0.0.1:1/", active=False)
    assert outbox_write([note(users=(rep.pk,))]) == []
    assert (Message.objects.count(), Notification.objects.count(), Delivery.objects.count()) == (1, 0, 0)


# --- sending ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_email_goes_through_a_real_smtp_server_once(users):
    rep = users["sales_rep"]
    with smtp_mail() as inbox:
        outbox_write([note(users=(rep.pk,))])
        assert deliver.deliver_due() == {"sent": 1, "retrying": 0, "dead": 0}
        assert deliver.deliver_due() == {"sent": 0, "retrying": 0, "dead": 0}
        arrived(inbox)
    assert len(inbox) == 1
    mail = inbox[0]
    assert (mail["Subject"], mail["To"], mail["X-Accord-Event"]) == (
        "New hand-off: Jane Doe",
        rep.email,
        "handoff.assigned",
    )
    assert "http://127.0.0.1:8000/queue/handoffs/1/" in mail.get_payload()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.sent_at is not None) == ("sent", 1, True)


@pytest.mark.django_db
def test_a_webhook_arrives_signed_and_the_receiver_can_verify_it():
    with http_receiver() as receiver:
        subscription = hook(f"{receiver.url}/ok")
        outbox_write([note()])
        assert deliver.deliver_due()["sent"] == 1
    got = receiver.of("/ok")[0]
    body = orjson.loads(got.body)
    assert (body["event"], body["data"], body["title"]) == (
        "handoff.assigned",
        {"handoff": 1},
        "New hand-off: Jane Doe",
    )
    assert got.headers["Idempotency-Key"] == body["id"] == f"handoff.assigned:1/webhook/{subscription.pk}"
    assert domain.verify(got.headers["Accord-Signature"], got.body, "whsec_test", now=int(time.time()))
    assert not domain.verify(got.headers["Accord-Signature"], got.body, "another secret", now=int(time.time()))


@pytest.mark.django_db
def test_a_slack_compatible_message_carries_the_title_and_a_link():
    with http_receiver() as receiver:
        hook(f"{receiver.url}/hooks/ok", kind="slack")
        outbox_write([note()])
        deliver.deliver_due()
    text = orjson.loads(receiver.of("/hooks/ok")[0].body)["text"]
    assert text == "*New hand-off: Jane Doe*\nAcme, ready\n<http://127.0.0.1:8000/queue/handoffs/1/|Open in Accord>"


@pytest.mark.django_db
@override_settings(ACCORD_WEBHOOK_TIMEOUT=0.5)
def test_failing_receivers_are_retried_with_backoff_and_never_hold_up_the_others():
    with http_receiver(slow=2.0) as receiver:
        for path in ("/fail", "/slow", "/close", "/ok", "/flaky"):
            hook(f"{receiver.url}{path}")
        with clock.frozen(NOW):
            outbox_write([note()])
            started = time.perf_counter()
            counts = deliver.deliver_due()
            took = time.perf_counter() - started
        assert counts == {"sent": 1, "retrying": 4, "dead": 0}
        assert took < 1.5  # the slow one timed out at 0.5 s while the others went on
        states = dict(Delivery.objects.values_list("address", "state"))
        assert {k.removeprefix(receiver.url): v for k, v in states.items()} == {
            "/fail": "retrying",
            "/slow": "retrying",
            "/close": "retrying",
            "/ok": "sent",
            "/flaky": "retrying",
        }
        flaky = Delivery.objects.get(address=f"{receiver.url}/flaky")
        assert (flaky.next_attempt_at, flaky.last_status) == (NOW + dt.timedelta(seconds=30), 500)
        closed = Delivery.objects.get(address=f"{receiver.url}/close")
        assert closed.last_status is None and closed.last_error
        with clock.frozen(NOW + dt.timedelta(seconds=29)):
            assert deliver.deliver_due() == {"sent": 0, "retrying": 0, "dead": 0}  # not due yet
        with clock.frozen(NOW + dt.timedelta(seconds=30)):
            assert deliver.deliver_due() == {"sent": 1, "retrying": 3, "dead": 0}  # flaky answers 200 now
    assert Attempt.objects.filter(delivery=flaky).count() == 2
    assert len(receiver.of("/ok")) == 1  # a sent delivery is never sent again


@pytest.mark.django_db
def test_the_last_failed_try_leaves_the_delivery_dead_and_a_resend_starts_it_again():
    with http_receiver() as receiver:
        hook(f"{receiver.url}/fail")
        outbox_write([note()])
        at = clock.now()
        for attempt in range(1, domain.MAX_ATTEMPTS + 1):
            deliver.deliver_due(now=at)
            delivery = Delivery.objects.get()
            assert delivery.attempts == attempt
            at = delivery.next_attempt_at
        assert (delivery.state, delivery.last_status) == ("dead", 500)
        assert deliver.deliver_due(now=at + dt.timedelta(days=1))["dead"] == 0
        deliver.resend(delivery)
        assert Delivery.objects.get().state == "pending"
    assert len(receiver.of("/fail")) == domain.MAX_ATTEMPTS


@pytest.mark.django_db
def test_a_worker_that_died_mid_send_leaves_a_lease_that_runs_out_and_the_delivery_is_sent_once():
    with http_receiver() as receiver:
        hook(f"{receiver.url}/ok")
        with clock.frozen(NOW):
            outbox_write([note()])
        claimed = deliver.claim(now=NOW)  # taken, then the worker is killed before it sends
        assert len(claimed) == 1
        assert Delivery.objects.get().state == "sending"
        assert deliver.deliver_due(now=NOW + dt.timedelta(minutes=1))["sent"] == 0  # its lease still holds
        assert deliver.deliver_due(now=NOW + deliver.LEASE + dt.timedelta(seconds=1))["sent"] == 1
        assert deliver.deliver_due(now=NOW + dt.timedelta(hours=1))["sent"] == 0
    assert len(receiver.of("/ok")) == 1
    assert Delivery.objects.get().attempts == 2
