"""GDPR: after `contact_erase` no table holds the person's email, name, phone or address; the funnel,
stage history and scores still add up; the person is not brought back by an import, a form or the
API. `contact_export` gives everything Accord held about them."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.db.models.functions import Cast
from django.test import Client

from accord.accounts.actions import apikey_create
from accord.contacts.actions import contact_merge, contact_update
from accord.contacts.models import Contact, Suppression
from accord.core.errors import Conflict, PermissionDenied
from accord.core.models import AuditEntry
from accord.imports.models import ImportProblem, ImportRun
from accord.lifecycle.actions import contact_change_stage
from accord.lifecycle.models import StageChange
from accord.scoring.models import ScoreChange
from accord.tracking.domain import Trust
from accord.tracking.ingest import record
from accord.tracking.models import Event
from accord.trust.actions import contact_erase
from accord.trust.models import Erasure
from accord.trust.queries import contact_export

pytestmark = pytest.mark.django_db

EMAIL, FIRST, LAST, PHONE, IP = (
    "zelda.quartz@example-corp.test",
    "Zelda",
    "Quartzberg",
    "+44 20 7946 0321",
    "203.0.113.77",
)
TOKENS = [EMAIL, FIRST, LAST, PHONE, IP, "zelda-user-42", "anon-zelda-browser"]


def columns_holding(token: str) -> list[str]:
    """Every text and JSON column, in every table, that holds `token` (any case)."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                continue
            rows = model._default_manager.annotate(_text=Cast(field.name, models.TextField()))
            if rows.filter(_text__icontains=token).exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


@pytest.fixture
def zelda(users, settings) -> Contact:
    """A person with a full history: tracked on the site (with her address), identified, a form, a
    merged duplicate, stage moves with notes, consent given, edits in the audit log, an import problem."""
    settings.ACCORD_IP_ANONYMIZE = False  # so the raw address is stored, and must be erased
    key, _ = apikey_create(name="site", scopes="server", acting_user=users["admin"])
    now = dt.datetime.now(dt.UTC)
    messages = [
        {"type": "page", "anonymousId": "anon-zelda-browser", "timestamp": (now - dt.timedelta(days=3)).isoformat(),
         "properties": {"url": f"https://site.test/pricing?email={EMAIL}", "path": "/pricing", "title": "Pricing"},
         "context": {"ip": IP, "userAgent": "Mozilla/5.0 Zelda's laptop"}},
        {"type": "identify", "anonymousId": "anon-zelda-browser", "userId": "zelda-user-42",
         "traits": {"email": EMAIL, "firstName": FIRST, "lastName": LAST, "phone": PHONE, "consent": True},
         "context": {"ip": IP, "page": {"url": f"https://site.test/signup?name={FIRST}"}}},
        {"type": "track", "userId": "zelda-user-42", "event": "Form Submitted",
         "properties": {"offer": "Guide", "form": "ebook", "comment": f"Call me, {FIRST}"}, "context": {"ip": IP}},
    ]  # fmt: skip
    outcome = record(messages, sent_with=key.prefix, client_ip=IP)
    assert outcome.accepted == 3, outcome
    contact = Contact.objects.get(email=EMAIL)
    twin = Contact.objects.create(email="z.quartzberg@example-corp.test", first_name=FIRST, last_name=LAST)
    contact_merge(keep=contact, drop=twin, acting_user=users["marketing"])
    contact_update(contact=contact, data={"title": "Head of Ops", "phone": PHONE}, acting_user=users["marketing"])
    contact_change_stage(
        contact=contact, to_stage="recycled", acting_user=users["marketing"], reason="timing",
        note=f"{FIRST} asked for a call in spring",
    )  # fmt: skip
    run = ImportRun.objects.create(kind="contacts", format="accord", path="/x.csv", size=1, head_sha256="x")
    ImportProblem.objects.create(run=run, line=3, field="Email", message=f"{EMAIL.upper()} belongs to another contact")
    contact.refresh_from_db()
    return contact


def funnel() -> list[tuple[str, int]]:
    return sorted(Contact.objects.values_list("stage").annotate(n=models.Count("pk")))


def test_after_erasure_no_table_holds_the_person(zelda, users):
    assert all(columns_holding(token) for token in (EMAIL, FIRST, PHONE, IP))  # they were there
    before = (funnel(), StageChange.objects.count(), ScoreChange.objects.count(), Event.objects.count())

    erasure = contact_erase(contact=zelda, reason="erasure request by email, 2 Dec 2026", acting_user=users["admin"])

    for token in TOKENS:
        assert columns_holding(token) == [], token
    assert (funnel(), StageChange.objects.count(), ScoreChange.objects.count(), Event.objects.count()) == before
    zelda.refresh_from_db()
    assert zelda.erased_at is not None and zelda.stage == "recycled" and str(zelda) == f"Erased contact {zelda.pk}"
    assert Event.objects.get(contact=zelda, type="page").url == "https://site.test/pricing"
    assert (erasure.erased_by, erasure.reason) == (users["admin"], "erasure request by email, 2 Dec 2026")
    assert erasure.counts["events"] == 3 and erasure.counts["identities"] == 2
    entry = AuditEntry.objects.get(action="contact_erase")
    assert entry.actor == users["admin"] and entry.object_id == str(zelda.pk)


def test_the_person_is_not_brought_back(zelda, users, tmp_path: Path):
    contact_erase(contact=zelda, reason="request", acting_user=users["admin"])
    assert Suppression.objects.count() == 3  # two addresses (one from the merged twin) and the user id
    contacts = Contact.objects.count()

    # An identify from the site, with the same email or the same user id: dropped, not stored.
    outcome = record([
        {"type": "identify", "anonymousId": "new-browser", "traits": {"email": EMAIL.upper(), "firstName": FIRST}},
        {"type": "track", "userId": "zelda-user-42", "event": "Came back"},
    ], sent_with="test")  # fmt: skip
    assert (outcome.accepted, outcome.suppressed) == (0, 2)
    # An import of a file that has her.
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(f"email,first_name\n{EMAIL},{FIRST}\nsomeone@else.test,Sam\n")
    err = io.StringIO()
    call_command("import", "contacts", str(csv_file), stdout=io.StringIO(), stderr=err)
    assert "was erased on request (GDPR)" in err.getvalue() and EMAIL not in err.getvalue()
    # The API.
    _, secret = apikey_create(name="crm", scopes="read,write", acting_user=users["admin"])
    response = Client().post(
        "/api/v1/contacts", data=json.dumps({"email": EMAIL}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )  # fmt: skip
    assert response.status_code == 409 and response.json()["field"] == "email"
    assert Contact.objects.count() == contacts + 1  # only Sam
    assert columns_holding(EMAIL) == []


def test_an_export_holds_everything_and_then_nothing(zelda, users):
    data = contact_export(contact=zelda, acting_user=users["admin"])
    assert data["contact"]["email"] == EMAIL and data["contact"]["phone"] == PHONE
    assert {e["type"] for e in data["events"]} == {"page", "identify", "track"}
    assert sorted(i["value"] for i in data["identities"]) == ["anon-zelda-browser", "zelda-user-42"]
    assert [c["to_stage"] for c in data["stage_changes"]][-1] == "recycled"
    assert data["merges"][0]["snapshot"]["email"] == "z.quartzberg@example-corp.test"
    assert any(a["action"] == "contact_update" for a in data["audit"])
    assert data["consent_changes"][0]["ip"] == IP
    contact_erase(contact=zelda, reason="request", acting_user=users["admin"])
    text = json.dumps(contact_export(contact=zelda, acting_user=users["admin"]), default=str)
    for token in TOKENS:
        assert token.casefold() not in text.casefold(), token
    assert '"reason": "request"' in text


@pytest.mark.parametrize("role", ["marketing", "sales_manager", "sales_rep", "viewer"])
def test_only_admins_export_or_erase_and_a_refusal_writes_nothing(zelda, users, role):
    with pytest.raises(PermissionDenied):
        contact_erase(contact=zelda, reason="x", acting_user=users[role])
    with pytest.raises(PermissionDenied):
        contact_export(contact=zelda, acting_user=users[role])
    zelda.refresh_from_db()
    assert zelda.erased_at is None and zelda.email == EMAIL and Erasure.objects.count() == 0


def test_erasing_twice_or_without_a_reason_is_refused(zelda, users):
    from accord.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        contact_erase(contact=zelda, reason="  ", acting_user=users["admin"])
    contact_erase(contact=zelda, reason="request", acting_user=users["admin"])
    with pytest.raises(Conflict, match="erased already"):
        contact_erase(contact=zelda, reason="again", acting_user=users["admin"])


def test_the_api_and_the_command_line(zelda, users, capsys):
    _, secret = apikey_create(name="dpo", scopes="admin", acting_user=users["admin"])
    _, reader = apikey_create(name="reader", scopes="read,write", acting_user=users["admin"])
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    exported = client.get(f"/api/v1/contacts/{zelda.pk}/export", **headers)
    assert exported.status_code == 200 and exported.json()["contact"]["email"] == EMAIL
    refused = client.post(f"/api/v1/contacts/{zelda.pk}/erase", data={"reason": "r"}, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {reader}")  # fmt: skip
    assert refused.status_code == 403 and Erasure.objects.count() == 0
    erased = client.post(f"/api/v1/contacts/{zelda.pk}/erase", data={"reason": "ticket 81"},
                         content_type="application/json", **headers)  # fmt: skip
    assert erased.status_code == 200 and erased.json()["reason"] == "ticket 81"

    out = io.StringIO()
    call_command("contact", "export", str(zelda.pk), "--output", "/dev/null", stdout=out)
    assert "wrote" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="erased already"):
        call_command("contact", "erase", str(zelda.pk), "--reason", "again")


def test_addresses_are_truncated_at_ingest_by_default(users):
    record(
        [{"type": "page", "anonymousId": "a", "context": {"ip": "198.51.100.200"}}], sent_with="t", trust=Trust.SERVER
    )
    record([{"type": "page", "anonymousId": "b"}], sent_with="t", client_ip="2001:db8:abcd:12:1:2:3:4")
    assert sorted(Event.objects.values_list("context__ip", flat=True)) == ["198.51.100.0", "2001:db8:abcd::"]


def test_events_past_the_retention_period_are_deleted(users, settings):
    from accord.tracking.retention import events_expire

    now = dt.datetime.now(dt.UTC)
    for days in (1, 40, 400):
        record(
            [{"type": "page", "anonymousId": f"a{days}", "timestamp": (now - dt.timedelta(days=days)).isoformat()}],
            sent_with="t",
        )
    assert events_expire(now=now) == 0  # no retention set: kept for ever
    settings.ACCORD_EVENT_RETENTION_DAYS = 30
    assert events_expire(now=now, chunk=1) == 2
    assert list(Event.objects.values_list("anonymous_id", flat=True)) == ["a1"]


def test_an_erased_contact_cannot_be_edited_or_merged(zelda, users):
    contact_erase(contact=zelda, reason="request", acting_user=users["admin"])
    with pytest.raises(Conflict):
        contact_update(contact=zelda, data={"first_name": "Back"}, acting_user=users["admin"])
    other = Contact.objects.create(email="other@x.test")
    with pytest.raises(Conflict, match="erased contact cannot be merged"):
        contact_merge(keep=other, drop=zelda, acting_user=users["admin"])
