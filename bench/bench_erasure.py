"""Erasing one person who has 10,000 events (ACCORD_BENCH_ERASE_EVENTS): `contact_erase`, the whole
of it — their events' traits, properties, context and page query strings, identities, stage and
score history, consent evidence, audit values, the suppression list — in one transaction.
Baseline: a raw UPDATE that blanks the same number of another contact's event rows, in the same run.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid

from django.db import connection, transaction

from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.lifecycle.actions import contact_change_stage
from accord.tracking.ingest import record
from accord.trust.actions import contact_erase
from bench.support import figure


def _person(n: int, events: int) -> Contact:
    """A person identified on the site, with `events` page views and tracked actions over 90 days."""
    now = dt.datetime.now(dt.UTC)
    user_id = f"erase-{n}"
    record(
        [{"type": "identify", "userId": user_id, "anonymousId": f"anon-{n}",
          "traits": {"email": f"erase{n}@bench.example", "firstName": "Erin", "lastName": f"Bench{n}", "consent": True},
          "context": {"ip": "203.0.113.9"}},
         {"type": "track", "userId": user_id, "event": "Form Submitted", "properties": {"offer": "Guide"}}],
        sent_with="bench",
    )  # fmt: skip
    for start in range(0, events, 500):
        batch = []
        for i in range(start, min(start + 500, events)):
            at = (now - dt.timedelta(minutes=13 * i)).isoformat()
            if i % 5:
                batch.append({"type": "page", "userId": user_id, "messageId": str(uuid.uuid4()), "timestamp": at,
                              "properties": {"url": f"https://site.example/p{i % 40}?utm_source=news&e=erase{n}",
                                             "path": f"/p{i % 40}", "title": "Page"},
                              "context": {"ip": "203.0.113.9", "userAgent": "Mozilla/5.0"}})  # fmt: skip
            else:
                batch.append({"type": "track", "userId": user_id, "messageId": str(uuid.uuid4()), "timestamp": at,
                              "event": "Email Opened", "properties": {"subject": "News"}})  # fmt: skip
        record(batch, sent_with="bench")
    return Contact.objects.get(email=f"erase{n}@bench.example")


def run() -> None:
    events = int(os.environ.get("ACCORD_BENCH_ERASE_EVENTS", "10000"))
    admin = User.objects.create_user("bench-erase@example.com", "x", role="admin")
    erased, other = _person(1, events), _person(2, events)
    contact_change_stage(contact=erased, to_stage="recycled", acting_user=admin, reason="timing", note="Call Erin")

    started = time.perf_counter()
    erasure = contact_erase(contact=erased, reason="benchmark", acting_user=admin)
    seconds = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tracking_event SET properties = %s, context = %s, user_id = '', anonymous_id = '' "
            "WHERE contact_id = %s",
            ["{}", "{}", other.pk],
        )
    baseline = time.perf_counter() - started
    print(f"   one contact with {erasure.counts['events']:,} events, {erasure.counts['identities']} identities, "
          f"a stage change with a note")  # fmt: skip
    figure("contact_erase, all of it, one transaction", seconds * 1000, "ms",
           baseline=baseline * 1000, baseline_label="raw UPDATE of the events alone")  # fmt: skip
