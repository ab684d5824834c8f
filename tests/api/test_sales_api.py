"""The hand-off and deal endpoints: a rep works the queue over the API, and bad input is refused
by name with nothing written.

Given the default playbook and the team its default route names ("SDR Americas": the sales rep,
managed by the sales manager), when a contact qualifies as an MQL, then the rep finds the
hand-off at /v1/handoffs?owner=me, works it, and opens and wins a deal; each refused call answers
4xx naming the field and leaves every row as it was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.accounts.models import Membership, Team
from accord.contacts.actions import contact_create
from accord.contacts.models import Contact
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.deals.models import Deal, DealChange
from accord.lifecycle import actions
from accord.lifecycle.models import Handoff, HandoffChange, StageChange, Touch

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def team(users: dict[str, Any]) -> Team:
    made = Team.objects.create(name="SDR Americas", side="sales", manager=users["sales_manager"])
    Membership.objects.create(team=made, user=users["sales_rep"])
    return made


@pytest.fixture
def handoff(users: dict[str, Any], team: Team) -> Handoff:
    contact = contact_create(data={"email": "ana@acme.io", "consent": True}, acting_user=users["admin"])
    Contact.objects.filter(pk=contact.pk).update(forms_submitted=1)
    given_scores(contact, fit_grade="A", fit_score=70, interest_score=55, quadrant="ready")
    contact.refresh_from_db()
    with clock.frozen(NOW):
        actions.contact_apply_rules(contact=contact)
    return Handoff.objects.get(contact=contact)


def counts() -> tuple[int, ...]:
    return (StageChange.objects.count(), HandoffChange.objects.count(), Touch.objects.count(), Deal.objects.count(),
            DealChange.objects.count())  # fmt: skip


@pytest.mark.django_db
def test_a_rep_finds_and_accepts_their_handoff_then_opens_and_wins_a_deal(api_as, users, handoff):
    api = api_as("sales_rep")
    listed = api.get("/handoffs?owner=me")
    assert listed.status_code == 200
    assert [(h["id"], h["state"], h["priority"], h["rule"]) for h in listed.data["items"]] == [
        (handoff.pk, "open", "high", "default")
    ]
    assert listed.data["items"][0]["trace"]["tried"][-1]["chosen"] == users["sales_rep"].pk
    touched = api.post(f"/handoffs/{handoff.pk}/touches", {"channel": "call", "outcome": "connected"})
    assert (touched.status_code, touched.data["channel"]) == (201, "call")
    accepted = api.post(f"/handoffs/{handoff.pk}/accept")
    assert (accepted.status_code, accepted.data["state"]) == (200, "accepted")
    assert Contact.objects.get(pk=handoff.contact_id).stage == "sql"
    history = api.get(f"/handoffs/{handoff.pk}/history")
    assert [c["kind"] for c in history.data] == ["routed", "touched", "accepted"]

    opened = api.post("/deals", {"contact_id": handoff.contact_id, "name": "Acme", "amount": "12500.50",
                                 "currency": "EUR", "expected_close": "2027-02-01"})  # fmt: skip
    assert opened.status_code == 201, opened.data
    assert (opened.data["amount_minor"], opened.data["amount"], opened.data["stage"]) == (1250050, "12500.50", "open")
    assert opened.data["contact_ids"] == [handoff.contact_id]
    assert Contact.objects.get(pk=handoff.contact_id).stage == "opportunity"
    won = api.post(f"/deals/{opened.data['id']}/win")
    assert (won.status_code, won.data["stage"]) == (200, "won")
    assert Contact.objects.get(pk=handoff.contact_id).stage == "customer"
    again = api.post(f"/deals/{opened.data['id']}/win")
    assert (again.status_code, again.data["current"]["stage"]) == (409, "won")
    assert [d["id"] for d in api.get("/deals?stage=won").data["items"]] == [opened.data["id"]]


@pytest.mark.django_db
def test_a_second_accept_answers_409_with_the_current_state(api_as, handoff):
    api = api_as("sales_rep")
    assert api.post(f"/handoffs/{handoff.pk}/accept").status_code == 200
    before = counts()
    again = api.post(f"/handoffs/{handoff.pk}/accept")
    assert again.status_code == 409
    assert (again.data["field"], again.data["current"]["state"]) == ("state", "accepted")
    assert counts() == before


BAD = [
    ("reject", {}, 422, "reason"),
    ("reject", {"reason": 5}, 422, "reason"),
    ("reject", {"reason": "bored"}, 422, "reason"),
    ("reject", {"reason": "other"}, 422, "note"),
    ("reject", {"reason": "no_budget", "colour": "red"}, 422, "colour"),
    ("recycle", {"reason": "timing"}, 422, "reengage_on"),
    ("recycle", {"reason": "timing", "reengage_on": "2020-01-01"}, 422, "reengage_on"),
    ("recycle", {"reason": "timing", "reengage_on": "soon"}, 422, "reengage_on"),
    ("touches", {"channel": "fax", "outcome": "connected"}, 422, "channel"),
    ("touches", {"channel": "call", "outcome": "connected", "at": "2999-01-01T00:00:00Z"}, 422, "at"),
    ("touches", {"channel": "call", "outcome": "connected", "note": "x\u0000y"}, 422, "note"),
    ("reassign", {"owner_id": 10**12, "reason": "x"}, 422, "owner_id"),
    ("reassign", {"owner_id": "abc", "reason": "x"}, 422, "owner_id"),
]


@pytest.mark.parametrize(("verb", "body", "status", "field"), BAD)
@pytest.mark.django_db
def test_bad_handoff_input_is_refused_by_name_and_writes_nothing(api_as, handoff, verb, body, status, field):
    api = api_as("sales_manager" if verb == "reassign" else "sales_rep")
    before = counts()
    with clock.frozen(NOW):
        answer = api.post(f"/handoffs/{handoff.pk}/{verb}", body)
    assert answer.status_code == status, answer.data
    named = [answer.data.get("field"), *(e["field"] for e in answer.data.get("errors") or [])]
    assert any(field in (n or "") for n in named), answer.data
    assert counts() == before
    assert Handoff.objects.get().state == "open"


BAD_DEALS = [
    ({"amount": "-1"}, "amount"),
    ({"amount": "ten"}, "amount"),
    ({"amount": True}, "amount"),
    ({"currency": "ZZZ"}, "currency"),
    ({"currency": 840}, "currency"),
    ({"name": ""}, "name"),
    ({"contact_id": 10**12}, "contact_id"),
    ({"contact_ids": [10**12]}, "contact_ids"),
    ({"stage": "won"}, "stage"),
]


@pytest.mark.parametrize(("change", "field"), BAD_DEALS)
@pytest.mark.django_db
def test_bad_deal_input_is_refused_by_name_and_writes_nothing(api_as, handoff, change, field):
    body = {"contact_id": handoff.contact_id, "name": "Acme", "amount": "100", "currency": "USD", **change}
    before = counts()
    answer = api_as("sales_rep").post("/deals", body)
    assert answer.status_code == 422, answer.data
    named = [answer.data.get("field"), *(e["field"] for e in answer.data.get("errors") or [])]
    assert any(field in (n or "") for n in named), answer.data
    assert counts() == before


@pytest.mark.django_db
def test_roles_and_scopes_are_checked_on_every_write(api_as, api_key, handoff):
    before = counts()
    assert api_as("viewer").post(f"/handoffs/{handoff.pk}/accept").status_code == 403
    assert api_as("marketing").post(f"/handoffs/{handoff.pk}/accept").status_code == 403
    assert api_as("sales_rep").post(f"/handoffs/{handoff.pk}/reassign",
                                    {"owner_id": handoff.owner_id, "reason": "x"}).status_code == 403  # fmt: skip
    assert api_key("read").post(f"/handoffs/{handoff.pk}/accept").status_code == 403
    deal = {"contact_id": handoff.contact_id, "name": "Acme", "amount": "1", "currency": "USD"}
    assert api_as("marketing").post("/deals", deal).status_code == 403
    assert api_as("viewer").get("/handoffs").status_code == 200
    assert counts() == before


@pytest.mark.django_db
def test_an_oversized_body_is_refused(api_as, handoff):
    answer = api_as("sales_rep").post(f"/handoffs/{handoff.pk}/reject", {"reason": "other", "note": "x" * 3_000_000})
    assert answer.status_code in (413, 422)
    assert Handoff.objects.get().state == "open"


@pytest.mark.django_db
def test_unknown_filters_are_named(api_as, handoff):
    assert api_as("viewer").get("/handoffs?state=lost").data["field"] == "state"
    assert api_as("viewer").get("/handoffs?owner=ann").data["field"] == "owner"
    assert api_as("viewer").get("/deals?stage=maybe").data["field"] == "stage"


@pytest.mark.django_db
def test_a_deal_on_someone_elses_open_handoff_is_refused_and_leaves_it_theirs(api_as, users, handoff):
    """Opening a deal accepts the contact's open hand-off: only those who may act on it may."""
    from django.test import Client

    from accord.accounts.models import User
    from conftest import ApiClient

    other = User.objects.create_user("ola@example.com", "pw", role="sales_rep", name="Ola")
    client = Client()
    client.force_login(other)
    before = counts()
    deal = {"contact_id": handoff.contact_id, "name": "Acme", "amount": "1000", "currency": "USD"}
    answer = ApiClient(client).post("/deals", deal)
    assert answer.status_code == 403, answer.data
    assert "only its owner or a sales manager" in answer.data["detail"], answer.data
    assert counts() == before
    assert Handoff.objects.get().state == "open"
    assert Contact.objects.get(pk=handoff.contact_id).stage == "mql"
    # the manager may (they may act on any of their team's hand-offs), as the owner may
    assert api_as("sales_manager").post("/deals", deal).status_code == 201
