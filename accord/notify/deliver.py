"""Sending what the outbox holds: claim due deliveries with row locks, send them outside any
transaction, record each try, and then mark them sent, retry them later, or let them die.

A claim is a lease: a worker killed mid-send leaves its deliveries `sending` until the lease runs
out, and the next claim takes them again (the receiver sees the same idempotency key). Sends run
on a small thread pool, each with its own timeout, so one slow or dead receiver never holds up
the rest.
"""

from __future__ import annotations

import datetime as dt
import http.client
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import close_old_connections, transaction
from django.db.models import F, Q

from accord.core import bulk, clock
from accord.notify import domain
from accord.notify.models import Attempt, Delivery

LEASE = dt.timedelta(minutes=2)  # longer than any one send may take
USER_AGENT = "Accord-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""
    ms: int = 0


def claim(*, now: dt.datetime, limit: int = 100, ids: Sequence[int] | None = None) -> list[Delivery]:
    """Take up to `limit` due deliveries (or those of `ids` that are due) for this worker."""
    due = Q(state__in=[Delivery.State.PENDING, Delivery.State.RETRYING], next_attempt_at__lte=now) | Q(
        state=Delivery.State.SENDING, locked_until__lt=now
    )
    with transaction.atomic():
        query = Delivery.objects.select_for_update(skip_locked=True).filter(due)
        if ids is not None:
            query = query.filter(pk__in=list(ids))
        taken = list(query.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        if not taken:
            return []
        Delivery.objects.filter(pk__in=taken).update(
            state=Delivery.State.SENDING, locked_until=now + LEASE, attempts=F("attempts") + 1
        )
    return list(Delivery.objects.select_related("message", "subscription").filter(pk__in=taken).order_by("pk"))


def deliver_due(
    *, now: dt.datetime | None = None, limit: int = 500, ids: Sequence[int] | None = None
) -> dict[str, int]:
    """Claim and send what is due, batch after batch until nothing is; counts by how it went."""
    counts = {"sent": 0, "retrying": 0, "dead": 0}
    threads = max(1, settings.ACCORD_DELIVERY_THREADS)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="accord-deliver") as pool:
        while True:
            batch = claim(now=now or clock.now(), limit=limit, ids=ids)
            if not batch:
                return counts
            # a few at a time, each few recorded as soon as it is sent: a worker killed mid-batch
            # leaves at most one few sent but not recorded (they go again, with the same key)
            for start in range(0, len(batch), threads):
                few = batch[start : start + threads]
                outcomes = list(pool.map(_send_closing, few))
                for state, n in finish_all(few, outcomes, now=now or clock.now()).items():
                    counts[state] += n
            if ids is not None:
                return counts


def _send_closing(delivery: Delivery) -> Outcome:
    try:
        return send(delivery)
    finally:
        close_old_connections()  # a pool thread has no request cycle to close its connection


def finish_all(batch: Sequence[Delivery], outcomes: Sequence[Outcome], *, now: dt.datetime) -> Counter[str]:
    """Record each try of a claimed batch and mark each delivery sent, retrying (with its backoff)
    or dead — unless its lease ran out meanwhile and another worker has it. The tries go in one
    insert, the sent ones in one update per answer code, the failed ones each."""
    bulk.insert_rows(
        Attempt,
        [
            {"delivery_id": d.pk, "at": now, "status": o.status, "error": o.error[:500], "ms": o.ms}
            for d, o in zip(batch, outcomes, strict=True)
        ],
    )
    counts: Counter[str] = Counter()
    sent: dict[tuple[int | None, dt.datetime | None], list[int]] = {}
    with transaction.atomic():
        for delivery, outcome in zip(batch, outcomes, strict=True):
            if outcome.ok:
                sent.setdefault((outcome.status, delivery.locked_until), []).append(delivery.pk)
                continue
            counts[_fail(delivery, outcome, now=now)] += 1
        for (status, lease), ids in sent.items():
            counts[Delivery.State.SENT] += Delivery.objects.filter(
                pk__in=ids, state=Delivery.State.SENDING, locked_until=lease
            ).update(state=Delivery.State.SENT, sent_at=now, last_status=status, last_error="", locked_until=None)
    return counts


def _fail(delivery: Delivery, outcome: Outcome, *, now: dt.datetime) -> str:
    wait = domain.retry_after(delivery.attempts)
    state = Delivery.State.DEAD if wait is None else Delivery.State.RETRYING
    fields: dict[str, object] = {
        "last_status": outcome.status,
        "last_error": outcome.error[:500],
        "last_ms": outcome.ms,
        "locked_until": None,
    }
    if wait is not None:
        fields["next_attempt_at"] = now + dt.timedelta(seconds=wait)
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING, locked_until=delivery.locked_until).update(
        state=state, **fields
    )
    return str(state)


def resend(delivery: Delivery, *, now: dt.datetime | None = None) -> None:
    """Try a delivery again at once (from the delivery log): dead or sent, it becomes pending."""
    Delivery.objects.filter(pk=delivery.pk).exclude(state=Delivery.State.SENDING).update(
        state=Delivery.State.PENDING, next_attempt_at=now or clock.now(), attempts=0
    )


# --------------------------------------------------------------------------- channels


def send(delivery: Delivery) -> Outcome:
    started = time.perf_counter()
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            outcome = _email(delivery)
        elif delivery.channel == Delivery.Channel.WEBHOOK:
            body = webhook_body(delivery)
            outcome = _post(delivery.address, body, _webhook_headers(delivery, body))
        else:
            outcome = _post(delivery.address, slack_body(delivery), {"Content-Type": "application/json"})
    except Exception as error:  # any failure of a receiver is a failed try, never a crash
        outcome = Outcome(False, error=f"{type(error).__name__}: {error}"[:500])
    ms = round((time.perf_counter() - started) * 1000)
    return Outcome(outcome.ok, outcome.status, outcome.error, ms)


def _link(delivery: Delivery) -> str:
    return f"{settings.ACCORD_BASE_URL}{delivery.message.link}" if delivery.message.link else settings.ACCORD_BASE_URL


def _email(delivery: Delivery) -> Outcome:
    message = delivery.message
    text = f"{message.body}\n\n{_link(delivery)}\n" if message.body else f"{_link(delivery)}\n"
    mail = EmailMessage(
        subject=message.title,
        body=text,
        to=[delivery.address],
        headers={
            "Message-ID": f"<{delivery.key.replace('/', '.').replace(':', '-')}@accord>",
            "Auto-Submitted": "auto-generated",
            "X-Accord-Event": message.event,
        },
        connection=get_connection(timeout=settings.ACCORD_WEBHOOK_TIMEOUT),
    )
    mail.send(fail_silently=False)
    return Outcome(True)


def webhook_body(delivery: Delivery) -> bytes:
    message = delivery.message
    return orjson.dumps(
        {
            "id": delivery.key,
            "event": message.event,
            "created_at": message.created_at.isoformat(),
            "title": message.title,
            "link": _link(delivery),
            "data": message.payload,
        }
    )


def _webhook_headers(delivery: Delivery, body: bytes) -> dict[str, str]:
    secret = delivery.subscription.secret if delivery.subscription else ""
    return {
        "Content-Type": "application/json",
        domain.SIGNATURE_HEADER: domain.signature(secret, body, int(time.time())),
        "Accord-Event": delivery.message.event,
        "Idempotency-Key": delivery.key,
    }


def slack_body(delivery: Delivery) -> bytes:
    message = delivery.message
    text = f"*{message.title}*"
    if message.body:
        text += f"\n{message.body}"
    return orjson.dumps({"text": f"{text}\n<{_link(delivery)}|Open in Accord>"})


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body`; ok on a 2xx. Redirects are not followed: a receiver answers where it was set up."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=settings.ACCORD_WEBHOOK_TIMEOUT)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        response.read(64 * 1024)
        ok = 200 <= response.status < 300
        return Outcome(ok, response.status, "" if ok else f"answered {response.status} {response.reason}"[:500])
    finally:
        connection.close()
