"""Four clients posting batches at once about the same people, on PostgreSQL with real threads.

Given known contacts and user ids never seen before, each sent by every client (page views, tracked
offers, identify calls with emails; in order and late), when four threads post their batches to
/v1/batch at the same moment, then every answer is 200, every event accepted is stored exactly
once, and every user id ends up on exactly one contact, with all of its events.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import threading
import uuid
from collections import Counter
from typing import Any

import orjson
import pytest
from django.db import connection
from django.test import Client

from accord.accounts.actions import apikey_create
from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.tracking.models import Event, Identity

CLIENTS = 4
KNOWN = 30  # contacts that exist before the clients start, each with a server user id
NEW = 30  # user ids nobody has sent yet: every client sends each of them
BATCHES = 6  # per client
SIZE = 120  # events per batch


def _person(n: int) -> tuple[str, str, str]:
    """A user id, an email and the browser's anonymous id; the first KNOWN are known contacts."""
    if n < KNOWN:
        return f"known-{n}", f"known{n}@acme.example", f"browser-k{n}"
    return f"new-{n}", f"new{n}@globex.example", f"browser-n{n}"


def _batch(rng: random.Random, now: dt.datetime, *, late: bool, start: dt.datetime) -> list[dict[str, Any]]:
    """One client's batch: each event about a known or a new person, in order from `start` or late."""
    events: list[dict[str, Any]] = []
    for i in range(SIZE):
        user, email, anon = _person(rng.randrange(KNOWN + NEW))
        at = now - dt.timedelta(days=rng.random() * 30) if late else start + dt.timedelta(seconds=i)
        base = {
            "messageId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "userId": user,
            "anonymousId": anon,
            "timestamp": at.isoformat().replace("+00:00", "Z"),
        }
        roll = rng.random()
        if roll < 0.1:
            events.append({**base, "type": "identify", "traits": {"email": email, "title": "VP Marketing"}})
        elif roll < 0.45:
            context = {"campaign": {"source": "linkedin", "medium": "paid_social", "name": rng.choice("abc")}}
            props = {"offer": rng.choice(["report", "guide"]), "form": "ebook"}
            name = rng.choice(["Form Submitted", "Email Clicked", "Demo Requested"])
            events.append({**base, "type": "track", "event": name, "properties": props, "context": context})
        else:
            path = rng.choice(["/", "/pricing", "/demo"])
            props = {"url": f"https://acme.example{path}", "path": path}
            events.append({**base, "type": "page", "name": path, "properties": props})
    return events


def _plans(now: dt.datetime) -> list[list[list[dict[str, Any]]]]:
    """Each client's batches. Every client opens with a batch naming every new person (so several
    requests create the same contacts at once) and repeats some of another client's events."""
    rng = random.Random(20261203)
    opening = [
        [{"type": "page", "userId": _person(n)[0], "anonymousId": _person(n)[2], "name": "/",
          "messageId": str(uuid.uuid4()), "timestamp": (now - dt.timedelta(hours=2)).isoformat()}
         for n in range(KNOWN + NEW)]
        for _ in range(CLIENTS)
    ]  # fmt: skip
    for batch in opening:
        rng.shuffle(batch)  # each request meets the same people in a different order
    plans = []
    for client in range(CLIENTS):
        plan = [opening[client]]
        for number in range(BATCHES - 1):
            start = now - dt.timedelta(hours=1) + dt.timedelta(minutes=number * CLIENTS + client)
            plan.append(_batch(rng, now, late=(number + client) % 2 == 1, start=start))
        plans.append(plan)
    for client in range(CLIENTS):  # the same messages sent again by another client
        plans[client][2] = plans[client][2] + plans[(client + 1) % CLIENTS][1][:20]
    return plans


@pytest.mark.django_db(transaction=True)
def test_four_clients_at_once_about_the_same_people_all_land_once_each() -> None:
    # On SQLite one write transaction runs at a time, so the requests queue; on PostgreSQL they overlap.
    admin = User.objects.create_user("ingest-race@example.com", "x", role="admin")
    _, key = apikey_create(name="race", scopes="server", acting_user=admin)
    for n in range(KNOWN):
        user, email, _ = _person(n)
        contact = Contact.objects.create(email=email)
        Identity.objects.create(kind="user", value=user, contact=contact)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    plans = _plans(now)
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    answers: list[tuple[int, dict[str, Any]]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(CLIENTS)

    def run(plan: list[list[dict[str, Any]]]) -> None:
        client = Client()
        try:
            start.wait(timeout=30)
            for batch in plan:
                try:
                    response = client.post(
                        "/v1/batch", data=orjson.dumps({"batch": batch}), content_type="application/json",
                        HTTP_AUTHORIZATION=auth,
                    )  # fmt: skip
                    answers.append((response.status_code, response.json()))
                except Exception as exc:  # what the server would answer with a 500
                    answers.append((500, {"error": f"{type(exc).__name__}: {exc}"}))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)

    failed = [(status, body) for status, body in answers if status != 200]
    assert failed == [], f"{len(failed)} of {len(answers)} batches failed: {failed[:3]}"
    assert all(body["rejected"] == [] for _, body in answers)
    sent = [m for plan in plans for batch in plan for m in batch]
    distinct = {m["messageId"] for m in sent}
    # every message accepted once, the repeats counted as duplicates, nothing lost
    assert sum(body["accepted"] for _, body in answers) == len(distinct)
    assert sum(body["duplicates"] for _, body in answers) == len(sent) - len(distinct)
    assert Event.objects.count() == len(distinct)
    assert set(Event.objects.values_list("message_id", flat=True)) == distinct
    # each user id on exactly one contact, and each of its events on that contact
    owners = dict(Identity.objects.filter(kind="user").values_list("value", "contact_id"))
    assert sorted(owners) == sorted(_person(n)[0] for n in range(KNOWN + NEW))
    assert len(set(owners.values())) == KNOWN + NEW
    assert Contact.objects.count() == KNOWN + NEW
    by_user = Counter(Event.objects.values_list("user_id", "contact_id"))
    assert {user for user, _ in by_user} == set(owners)
    assert all(owners[user] == contact_id for user, contact_id in by_user)
    # each browser's anonymous id is its person's, and each new person has the email they gave
    anonymous = dict(Identity.objects.filter(kind="anonymous").values_list("value", "contact_id"))
    assert anonymous == {_person(n)[2]: owners[_person(n)[0]] for n in range(KNOWN + NEW)}
    emails = dict(Contact.objects.values_list("pk", "email"))
    identified = {m["userId"] for m in sent if m["type"] == "identify"}
    for n in range(KNOWN + NEW):
        user, email, _ = _person(n)
        if n < KNOWN or user in identified:
            assert emails[owners[user]] == email
