"""A merge's stage goes through the stage machine: the playbook's merge rule picks it, and a move
is a StageChange caused by the merge (ADR 0003, 0004)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accord.contacts.actions import contact_create
from accord.contacts.models import Contact, ContactMerge
from accord.core import clock
from accord.core.errors import PermissionDenied
from accord.lifecycle import actions
from accord.lifecycle.models import StageChange
from accord.playbook.queries import active_playbook

NOW = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=3)


def _contact(users: dict[str, Any], email: str, *stages: tuple[str, str]) -> Contact:
    """A contact who filled in a form and went through `stages` ((stage, role), …)."""
    contact = contact_create(data={"email": email, "consent": True}, acting_user=users["admin"])
    Contact.objects.filter(pk=contact.pk).update(forms_submitted=1)
    contact.refresh_from_db()
    with clock.frozen(NOW):
        for stage, role in stages:
            reason = "spam" if stage == "disqualified" else None
            actions.contact_change_stage(contact=contact, to_stage=stage, acting_user=users[role], reason=reason)
    return contact


def _history(contact_id: int) -> list[tuple[str, str, str, int | None]]:
    rows = StageChange.objects.filter(contact_id=contact_id).order_by("at", "id")
    return list(rows.values_list("from_stage", "to_stage", "kind", "merged_from"))


def _spam_and_lead(users: dict[str, Any]) -> tuple[Contact, Contact]:
    keep = _contact(users, "spam@acme.io", ("lead", "marketing"), ("disqualified", "marketing"))
    drop = _contact(users, "spam.2@acme.io", ("lead", "marketing"))
    return keep, drop


def _lead_and_sql(users: dict[str, Any]) -> tuple[Contact, Contact]:
    keep = _contact(users, "ana@acme.io", ("lead", "marketing"))
    drop = _contact(users, "ana.lee@acme.io", ("lead", "marketing"), ("sql", "sales_rep"))
    return keep, drop


@pytest.mark.django_db
def test_a_disqualified_kept_contact_stays_disqualified(users):
    keep, drop = _spam_and_lead(users)
    changed_at = Contact.objects.get(pk=keep.pk).stage_changed_at

    with clock.frozen(LATER):
        merged = actions.contact_merge(keep=keep, drop=drop, acting_user=users["marketing"])

    merged.refresh_from_db()
    assert (merged.stage, merged.stage_changed_at) == ("disqualified", changed_at)
    assert not Contact.objects.filter(pk=drop.pk).exists()
    # The dropped contact's history is re-pointed as before; the merge writes no stage row.
    assert _history(merged.pk) == [
        ("", "lead", "advance", None),
        ("lead", "disqualified", "hand_back", None),
        ("", "lead", "advance", drop.pk),
    ]
    assert ContactMerge.objects.get(kept=merged).snapshot["stage"] == "lead"


@pytest.mark.django_db
def test_the_more_advanced_stage_wins_as_one_stage_change_caused_by_the_merge(users):
    keep, drop = _lead_and_sql(users)

    with clock.frozen(LATER):
        merged = actions.contact_merge(keep=keep, drop=drop, acting_user=users["marketing"])

    merged.refresh_from_db()
    version = active_playbook()
    assert (merged.stage, merged.stage_changed_at, merged.playbook_version) == ("sql", LATER, version)
    assert _history(merged.pk) == [
        ("", "lead", "advance", None),
        ("", "lead", "advance", drop.pk),
        ("lead", "sql", "advance", drop.pk),
        ("lead", "sql", "advance", None),
    ]
    move = StageChange.objects.get(contact=merged, merged_from__isnull=True, to_stage="sql")
    assert (move.at, move.by_user, move.by_rule, move.playbook_version, move.reason, move.details) == (
        LATER,
        users["marketing"],
        "merge",
        version,
        "",
        {"merge": {"dropped": drop.pk}},
    )


@pytest.mark.django_db
def test_a_refused_merge_writes_no_stage_change(users):
    keep, drop = _lead_and_sql(users)
    before = StageChange.objects.count()
    with pytest.raises(PermissionDenied):
        actions.contact_merge(keep=keep, drop=drop, acting_user=users["sales_rep"])
    assert StageChange.objects.count() == before
    assert Contact.objects.get(pk=keep.pk).stage == "lead"


def _signed_in(users: dict[str, Any], role: str) -> Client:
    client = Client()
    client.force_login(users[role])
    return client


def _by_api(users: dict[str, Any], keep: Contact, drop: Contact) -> None:
    response = _signed_in(users, "marketing").post(
        f"/api/v1/contacts/{keep.pk}/merge", data={"drop_id": drop.pk}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == Contact.objects.get(pk=keep.pk).stage


def _by_page(users: dict[str, Any], keep: Contact, drop: Contact) -> None:
    response = _signed_in(users, "marketing").post(f"/contacts/{keep.pk}/merge/", {"drop": drop.pk})
    assert response.status_code == 303


@pytest.mark.django_db
@pytest.mark.parametrize("merge", [_by_api, _by_page], ids=["api", "page"])
def test_the_api_and_the_page_merge_the_same_way(users, merge: Callable[..., None]):
    spam, lead = _spam_and_lead(users)
    kept, sql = _lead_and_sql(users)

    with clock.frozen(LATER):
        merge(users, spam, lead)
        merge(users, kept, sql)

    assert Contact.objects.get(pk=spam.pk).stage == "disqualified"
    assert [row[:3] for row in _history(spam.pk)] == [
        ("", "lead", "advance"),
        ("lead", "disqualified", "hand_back"),
        ("", "lead", "advance"),
    ]
    assert Contact.objects.get(pk=kept.pk).stage == "sql"
    move = StageChange.objects.get(contact=kept, merged_from__isnull=True, to_stage="sql")
    assert (move.from_stage, move.kind, move.by_rule, move.details) == (
        "lead",
        "advance",
        "merge",
        {"merge": {"dropped": sql.pk}},
    )
