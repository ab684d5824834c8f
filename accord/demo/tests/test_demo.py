"""`accord demo`: given an empty workspace, when the command runs, then the workspace tells a
consistent story: users per role, a signed second playbook version, legal histories."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client

from accord.accounts.domain import Role, Side, acts_for
from accord.accounts.models import Team, User
from accord.contacts.models import Account, Contact
from accord.contacts.queries import contact_facts
from accord.core import clock
from accord.core.models import AuditEntry
from accord.demo.domain import people
from accord.lifecycle.domain import MoveKind, rule_target, transition
from accord.lifecycle.models import StageChange
from accord.playbook.domain import conditions
from accord.playbook.models import PlaybookVersion, VersionStatus

pytestmark = pytest.mark.django_db

CONTACTS, SEED = 300, 3
NOW = dt.datetime(2025, 3, 14, 15, 30, tzinfo=dt.UTC)


def demo(**options: Any) -> str:
    out = io.StringIO()
    options = {"contacts": CONTACTS, "seed": SEED, **options}
    call_command("demo", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (Contact, Account, StageChange, User, Team, PlaybookVersion, AuditEntry)
    return {model.__name__: model.objects.count() for model in models}


def test_creates_a_user_per_role_who_can_log_in_with_the_demo_password() -> None:
    output = demo()

    users = {u.email: u for u in User.objects.filter(email__endswith=f"@{people.DEMO_DOMAIN}")}
    assert set(users) == {d.email for d in people.USERS}
    assert {u.role for u in users.values()} == {role.value for role in Role}
    assert sum(u.role == Role.SALES_REP for u in users.values()) == 6
    assert len({u.password for u in users.values()}) == 1  # one hash of the one demo password
    for role in Role:
        email = next(d.email for d in people.USERS if d.role is role)
        assert Client().login(username=email, password=people.DEMO_PASSWORD), email
        assert email in output
    assert f"password: {people.DEMO_PASSWORD}" in output
    teams = {t.name: t for t in Team.objects.select_related("manager")}
    assert set(teams) == {"Marketing", "SDR Americas", "SDR EMEA", "Account Executives"}
    assert teams["Marketing"].side == Side.MARKETING and teams["Marketing"].manager.email == people.MARKETING
    assert teams["SDR EMEA"].side == Side.SALES and teams["SDR EMEA"].time_zone == "Europe/London"
    assert teams["SDR Americas"].manager.email == people.SALES_MANAGER
    for name, reps in people.REPS_BY_TEAM.items():
        assert sorted(teams[name].members.values_list("email", flat=True)) == sorted(reps)


def test_version_two_is_signed_by_both_sides_and_active_and_version_one_retired() -> None:
    with clock.frozen(NOW):
        demo()

    v1, v2 = PlaybookVersion.objects.order_by("number")
    assert (v1.number, v1.status, v2.number, v2.status) == (1, VersionStatus.RETIRED, 2, VersionStatus.ACTIVE)
    signatures = {s.side: s for s in v2.signatures.select_related("user")}
    assert signatures[Side.MARKETING].user.email == people.MARKETING
    assert signatures[Side.SALES].user.email == people.SALES_MANAGER
    assert v2.activated_by is not None and v2.activated_by.email == people.ADMIN
    assert v2.note.startswith("Raised the MQL interest threshold")
    assert v2.activated_at is not None and v1.retired_at == v2.activated_at
    assert v1.activated_at is not None and v1.activated_at < v2.created_at
    assert v2.created_at < signatures[Side.MARKETING].signed_at < signatures[Side.SALES].signed_at < v2.activated_at
    assert 115 <= (NOW - v2.activated_at).days <= 125  # about four months ago
    assert v1.source != v2.source
    assert v2.playbook.data["sla"]["marketing"]["mqls"] == 100
    assert v1.playbook.data["sla"]["marketing"]["mqls"] == 120


def test_every_history_obeys_the_stage_machine_and_ends_in_the_current_stage() -> None:
    demo()

    versions = {v.pk: v for v in PlaybookVersion.objects.all()}
    v2 = next(v for v in versions.values() if v.number == 2)
    assert v2.activated_at is not None
    users = {u.pk: u for u in User.objects.all()}
    history: dict[int, list[StageChange]] = defaultdict(list)
    for change in StageChange.objects.order_by("contact_id", "at", "id"):
        history[change.contact_id].append(change)
    contacts = list(Contact.objects.select_related("account", "owner"))
    assert len(contacts) == CONTACTS
    now = clock.now()
    seen: defaultdict[str, int] = defaultdict(int)
    for contact in contacts:
        changes = history[contact.pk]
        assert changes, contact.email
        last = changes[-1]
        assert (contact.stage, contact.stage_changed_at, contact.playbook_version_id, contact.reengage_on) == (
            last.to_stage, last.at, last.playbook_version_id, last.reengage_on
        )
        assert changes[0].from_stage == ""
        for before, change in zip([None, *changes], changes, strict=False):
            version = versions[change.playbook_version_id]
            assert version.number == (1 if change.at < v2.activated_at else 2), change
            if before is not None:
                assert change.from_stage == before.to_stage and change.at > before.at, change
            assert change.at <= now
            row = transition(version.playbook, change.from_stage or None, change.to_stage)
            assert change.kind == row.kind, change
            if change.by_user_id is not None:
                assert acts_for(users[change.by_user_id].role) & row.sides, change
            else:
                assert change.by_rule and row.by_rule, change
            if row.kind is MoveKind.HAND_BACK:
                assert row.reason_list is not None
                reason = version.playbook.reason(row.reason_list, change.reason)
                assert reason is not None, f"{change}: {change.reason!r} is not a {row.reason_list} reason"
                assert change.note or not reason.note_required, change
                seen[row.reason_list] += 1
            else:
                assert change.reason == "", change
            if row.needs_reengage_date:
                assert change.reengage_on is not None and change.reengage_on > change.at.date(), change
            else:
                assert change.reengage_on is None, change
            if change.to_stage == "mql":
                assert contact.fit_grade in {"A", "B"}, change
                assert change.by_rule == "mql" and change.details["criteria"]["ok"] is True
            seen[f"{change.to_stage}@v{version.number}"] += 1
        reached_mql = any(c.to_stage == "mql" for c in changes)
        assert (contact.owner is not None) == reached_mql, contact.email
        if contact.owner is not None:
            assert contact.owner.role == Role.SALES_REP
    # The shape later reports rely on: both versions qualified people, and every kind of hand-back occurs.
    assert seen["mql@v1"] and seen["mql@v2"] and seen["sql@v2"] and seen["opportunity@v2"]
    assert seen["reject"] and seen["recycle"] and seen["disqualify"]


def test_scores_agree_with_the_playbook_and_no_good_fit_lead_is_left_above_the_mql_line() -> None:
    demo()

    playbook = PlaybookVersion.objects.get(status=VersionStatus.ACTIVE).playbook
    fit = playbook.data["fit"]
    now = clock.now()
    for contact in Contact.objects.select_related("account", "owner"):
        facts = contact_facts(contact, now=now)
        points = sum(r["points"] for r in fit["rules"] if conditions.evaluate(r["when"], facts))
        grade = next((g for g in "ABC" if points >= fit["grades"][g]), "D")
        assert (contact.fit_score, contact.fit_grade) == (points, grade), contact.email
        target = rule_target(playbook, from_key=contact.stage or None, facts=facts)
        assert target is None or target.key != "mql", contact.email
        if contact.account is not None:
            assert contact.email is not None and contact.email.endswith(f"@{contact.account.domain}")
    domains = list(Account.objects.values_list("domain", flat=True))
    assert len(domains) == len(set(domains))


def test_the_same_seed_gives_the_same_workspace() -> None:
    def run(seed: int) -> list[tuple[Any, ...]]:
        with transaction.atomic(), clock.frozen(NOW):
            demo(seed=seed)
            people = list(
                Contact.objects.order_by("pk").values_list(
                    "email", "first_name", "last_name", "title", "account__name", "fit_grade", "stage"
                )
            )
            moves = list(
                StageChange.objects.order_by("contact_id", "at", "id").values_list(
                    "contact__email", "to_stage", "at", "by_user__email", "reason"
                )
            )
            transaction.set_rollback(True)
        return [*people, *moves]

    first, again, other = run(SEED), run(SEED), run(SEED + 1)

    assert len(first) > CONTACTS
    assert first == again
    assert [row[0] for row in first[:CONTACTS]] != [row[0] for row in other[:CONTACTS]]


def test_if_empty_on_a_loaded_workspace_writes_nothing() -> None:
    demo()
    before = row_counts()

    output = demo(if_empty=True)

    assert row_counts() == before
    assert "demo workspace already loaded" in output
    assert people.ADMIN in output


def test_a_loaded_workspace_is_refused_without_force_and_added_to_with_it() -> None:
    demo(if_empty=True)
    before = row_counts()

    with pytest.raises(CommandError, match="--force"):
        demo()
    assert row_counts() == before

    demo(force=True)
    after = row_counts()
    assert after["Contact"] == 2 * CONTACTS
    assert (after["User"], after["Team"], after["PlaybookVersion"]) == (before["User"], before["Team"], 2)


def test_zero_contacts_still_sets_up_the_people_and_the_playbook() -> None:
    output = demo(contacts=0)

    assert Contact.objects.count() == 0
    assert User.objects.count() == len(people.USERS)
    assert PlaybookVersion.objects.get(status=VersionStatus.ACTIVE).number == 2
    assert "Wrote" in output
