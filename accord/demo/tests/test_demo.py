"""`accord demo`: given an empty workspace, when the command runs, then the workspace tells a
consistent story: users per role, a signed second playbook version, legal histories."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zoneinfo
from collections import defaultdict
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client

from accord.accounts.domain import Role, Side, acts_for
from accord.accounts.models import Team, User
from accord.campaigns.models import Campaign
from accord.contacts.models import Account, Contact
from accord.contacts.queries import contact_facts
from accord.core import clock
from accord.core.models import AuditEntry
from accord.deals.models import Deal, DealChange
from accord.demo.domain import people, sales
from accord.demo.domain.activity import LIBRARY, SITE, lead_source
from accord.demo.domain.workspace import WINDOW_DAYS
from accord.lifecycle import handoffs as product_handoffs
from accord.lifecycle import routing
from accord.lifecycle.domain import MoveKind, rule_target, transition
from accord.lifecycle.models import Handoff, HandoffChange, StageChange
from accord.lifecycle.models import Touch as TouchRow
from accord.playbook.domain import conditions
from accord.playbook.models import PlaybookVersion, VersionStatus
from accord.tracking.domain import FORM_SUBMITTED, EventType, Message, Touch, message_key, touch
from accord.tracking.models import Event, Identity

pytestmark = pytest.mark.django_db

CONTACTS, SEED = 300, 3
NOW = dt.datetime(2025, 3, 14, 15, 30, tzinfo=dt.UTC)


def demo(**options: Any) -> str:
    out = io.StringIO()
    options = {"contacts": CONTACTS, "seed": SEED, **options}
    call_command("demo", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (Contact, Account, StageChange, User, Team, PlaybookVersion, AuditEntry, Campaign, Event, Identity)
    return {model.__name__: model.objects.count() for model in models}


def as_message(e: Event) -> Message:
    """The stored event as the message `touch` reads."""
    return Message(
        type=EventType(e.type), message_id=e.message_id, message_key=e.message_key, user_id=e.user_id,
        anonymous_id=e.anonymous_id, name=e.name, timestamp=e.timestamp, original_timestamp=e.original_timestamp,
        sent_at=e.sent_at, received_at=e.received_at, properties=e.properties, context=e.context, url=e.url,
        path=e.path, referrer=e.referrer, utm_source=e.utm_source, utm_medium=e.utm_medium,
        utm_campaign=e.utm_campaign, offer=e.offer,
    )


def events_by_contact() -> dict[int | None, list[Event]]:
    found: dict[int | None, list[Event]] = defaultdict(list)
    for event in Event.objects.select_related("campaign").order_by("timestamp", "id"):
        found[event.contact_id].append(event)
    return found


FUNNEL_FROM_LEAD = {"lead", "mql", "sql", "opportunity", "customer"}
# The reason lists a hand-back may draw from besides its target's, by the stage it leaves.
HAND_BACK_LISTS = {"mql": ("reject",), "opportunity": ("loss",)}


def test_creates_a_user_per_role_who_can_log_in_with_the_demo_password() -> None:
    output = demo()

    users = {u.email: u for u in User.objects.filter(email__endswith=f"@{people.DEMO_DOMAIN}")}
    assert set(users) == {d.email for d in people.USERS}
    assert {u.role for u in users.values()} == {role.value for role in Role}
    assert sum(u.role == Role.SALES_REP for u in users.values()) == 6
    assert len({u.password for u in users.values()}) == 1  # one hash of the one demo password
    for role in Role:
        email = next(d.email for d in people.USERS if d.role is role)
        response = Client().post("/login/", {"username": email, "password": people.DEMO_PASSWORD})
        assert response.status_code == 303, email
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
    handoffs: dict[int, list[Handoff]] = defaultdict(list)
    for handoff in Handoff.objects.order_by("created_at", "id"):
        handoffs[handoff.contact_id].append(handoff)
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
                # A rejected hand-off hands back with a reject reason, a lost deal with a loss reason.
                lists = [row.reason_list, *HAND_BACK_LISTS.get(change.from_stage, ())]
                found = [(name, version.playbook.reason(name, change.reason)) for name in lists]
                name, reason = next(((n, r) for n, r in found if r is not None), (row.reason_list, None))
                assert reason is not None, f"{change}: {change.reason!r} is not a reason of {lists}"
                assert change.note or not reason.note_required, change
                seen[name] += 1
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
        # The owner is the rep of the latest hand-off that had one (none when it waits in a queue).
        owners = [h.owner_id for h in handoffs[contact.pk] if h.owner_id is not None]
        assert contact.owner_id == (owners[-1] if owners else None), contact.email
        if contact.owner is not None:
            assert contact.owner.role == Role.SALES_REP
    # The shape later reports rely on: both versions qualified people, and every kind of hand-back occurs.
    assert seen["mql@v1"] and seen["mql@v2"] and seen["sql@v2"] and seen["opportunity@v2"]
    assert seen["reject"] and seen["recycle"] and seen["disqualify"] and seen["loss"]


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
                    "email", "first_name", "last_name", "title", "account__name", "score__fit_grade", "stage"
                )
            )
            moves = list(
                StageChange.objects.order_by("contact_id", "at", "id").values_list(
                    "contact__email", "to_stage", "at", "by_user__email", "reason"
                )
            )
            events = list(
                Event.objects.order_by("id").values_list(
                    "message_id", "contact__email", "anonymous_id", "type", "name", "timestamp", "received_at", "url"
                )
            )
            transaction.set_rollback(True)
        return [*people, *moves, *events]

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
    assert after["Campaign"] == before["Campaign"]  # the calendar is there already
    assert after["Event"] > before["Event"] and after["Identity"] > before["Identity"]


def printed_summary(output: str) -> tuple[dict[str, int], dict[str, int]]:
    """The contacts by stage and the row counts that `accord demo` printed."""
    lines = output.splitlines()
    by_stage = next(line for line in lines if line.startswith("Contacts by stage: "))
    stages = {}
    for part in by_stage.removeprefix("Contacts by stage: ").removesuffix(".").split(", "):
        stage, n = part.rsplit(" ", 1)
        stages["" if stage == "no stage" else stage] = int(n.replace(",", ""))
    wrote = next(line for line in lines if line.startswith("Wrote "))
    found = re.findall(
        r"([\d,]+) (contacts|stage changes|hand-offs|deals|events|identities|accounts|audit entries)\b", wrote
    )
    return stages, {name: int(n.replace(",", "")) for n, name in found}


def test_the_summary_counts_what_the_database_holds_once_the_load_is_done() -> None:
    with clock.frozen(NOW):
        output = demo()

    stages, counts = printed_summary(output)
    assert stages == dict(Contact.objects.values_list("stage").annotate(n=Count("id")))
    assert counts == {
        "contacts": Contact.objects.count(),
        "stage changes": StageChange.objects.count(),
        "hand-offs": Handoff.objects.count(),
        "deals": Deal.objects.count(),
        "events": Event.objects.count(),
        "identities": Identity.objects.count(),
        "accounts": Account.objects.count(),
        "audit entries": AuditEntry.objects.count(),
    }
    # Among them the moves the stage rules made after the bulk writes, once the engine had
    # scored the events: today's MQLs, each with its score breakdown.
    by_engine = StageChange.objects.filter(to_stage="mql", by_rule="mql", details__has_key="score")
    assert by_engine.exists()
    assert stages["mql"] == Contact.objects.filter(stage="mql").count()


def test_a_second_load_counts_only_what_it_added() -> None:
    demo()
    before = row_counts()
    stages_before = dict(Contact.objects.values_list("stage").annotate(n=Count("id")))

    output = demo(force=True, seed=SEED + 1)

    stages, counts = printed_summary(output)
    after = row_counts()
    now_in = dict(Contact.objects.values_list("stage").annotate(n=Count("id")))
    assert sum(stages.values()) == CONTACTS
    assert {s: now_in.get(s, 0) - stages_before.get(s, 0) for s in now_in} == {s: stages.get(s, 0) for s in now_in}
    assert counts["contacts"] == after["Contact"] - before["Contact"] == CONTACTS
    assert counts["stage changes"] == after["StageChange"] - before["StageChange"]
    assert counts["events"] == after["Event"] - before["Event"]


def test_the_engines_mqls_are_moved_when_their_latest_event_made_them_qualify() -> None:
    with clock.frozen(NOW):
        demo()

    moves = list(
        StageChange.objects.filter(to_stage="mql", details__has_key="score").select_related("contact", "by_user")
    )
    assert moves
    for move in moves:
        earlier = StageChange.objects.filter(contact=move.contact, at__lt=move.at).order_by("-at", "-id").first()
        assert earlier is not None, move
        latest = Event.objects.filter(contact=move.contact).order_by("-timestamp").first()
        assert latest is not None, move
        expected = min(max(latest.timestamp, earlier.at + dt.timedelta(minutes=1)), NOW)
        assert move.at == expected, move
        # The rule looked at the contact at that moment: the stored breakdown is as of then.
        assert dt.datetime.fromisoformat(move.details["score"]["as_of"]) == move.at
        assert move.by_user is None and move.contact.stage_changed_at == move.at
        # Routed by the product as the rule moved it: its open hand-off, and its rep owns the contact.
        handoff = Handoff.objects.get(stage_change=move)
        assert (handoff.state, handoff.created_at, handoff.trace["rule"]) == ("open", move.at, handoff.rule)
        if handoff.owner_id is not None:
            assert move.contact.owner_id == handoff.owner_id and move.contact.owner.role == Role.SALES_REP
        else:
            assert handoff.team_id is not None


def test_zero_contacts_still_sets_up_the_people_and_the_playbook() -> None:
    output = demo(contacts=0)

    assert Contact.objects.count() == 0
    assert User.objects.count() == len(people.USERS)
    assert PlaybookVersion.objects.get(status=VersionStatus.ACTIVE).number == 2
    assert "Wrote" in output


# --------------------------------------------------------------------------- hand-offs and deals


def counts_at(found: list[Handoff], plan: Any, reps: dict[int, routing.Rep], at: dt.datetime) -> dict[int, Any]:
    """Each rep with the counts routing weighed at `at`, read back from the hand-offs written."""
    result = {}
    for rep_id, rep in reps.items():
        zone = "Europe/London" if rep.email in people.REPS_BY_TEAM["SDR EMEA"] else "America/New_York"
        day = dt.datetime.combine(routing.local_day(at, zone), dt.time(), tzinfo=zoneinfo.ZoneInfo(zone))
        start = routing.period_start(at, plan.period, zone)
        period = dt.datetime.combine(start, dt.time(), tzinfo=zoneinfo.ZoneInfo(zone))
        mine = [h for h in found if h.owner_id == rep_id and h.assigned_at is not None and h.assigned_at < at]
        result[rep_id] = dataclasses.replace(
            rep,
            assigned_today=sum(h.assigned_at >= day for h in mine),  # type: ignore[operator]
            assigned_in_period=sum(h.assigned_at >= period for h in mine),  # type: ignore[operator]
            open_handoffs=sum(h.closed_at is None or h.closed_at > at for h in mine),
            last_assigned_at=max((h.assigned_at for h in mine), default=None),
        )
    return result


def test_every_move_into_mql_opens_one_hand_off_routed_by_the_product_and_ended_as_the_history_says() -> None:
    with clock.frozen(NOW):
        demo()

    versions = {v.pk: v for v in PlaybookVersion.objects.all()}
    places = product_handoffs.workspace(versions[max(versions)].playbook.routing, now=NOW, lock=False)
    idle = {i: dataclasses.replace(r, assigned_today=0, assigned_in_period=0, open_handoffs=0, last_assigned_at=None)
            for i, r in places.reps.items()}  # fmt: skip
    found = list(Handoff.objects.select_related("contact__account", "stage_change").order_by("created_at", "id"))
    by_change = {h.stage_change_id: h for h in found}
    # The plan routes its own MQLs in time order; those the scoring engine makes at the end of the
    # load (their move carries the score breakdown) come after, so they are not in the plan's counts.
    planned = [h for h in found if h.stage_change is not None and "score" not in h.stage_change.details]
    assert len(by_change) == len(found) == StageChange.objects.filter(to_stage="mql").count()
    history: dict[int, list[StageChange]] = defaultdict(list)
    for change in StageChange.objects.order_by("contact_id", "at", "id"):
        history[change.contact_id].append(change)
    changes: dict[int, list[HandoffChange]] = defaultdict(list)
    for row in HandoffChange.objects.order_by("at", "id"):
        changes[row.handoff_id].append(row)
    touches: dict[int, list[TouchRow]] = defaultdict(list)
    for t in TouchRow.objects.order_by("at", "id"):
        touches[t.handoff_id].append(t)  # type: ignore[index]
    states: defaultdict[str, int] = defaultdict(int)
    for handoff in found:
        move = handoff.stage_change
        assert move is not None and move.to_stage == "mql" and move.contact_id == handoff.contact_id
        assert (handoff.created_at, handoff.playbook_version_id) == (move.at, move.playbook_version_id)
        playbook = versions[handoff.playbook_version_id].playbook
        if "score" not in move.details:  # the load's own: routed in time order, so routing again agrees
            decision = routing.route(
                playbook.routing, facts=contact_facts(handoff.contact, now=handoff.created_at), teams=places.teams,
                reps=counts_at(planned, playbook.routing, idle, handoff.created_at),
                account_owner_id=handoff.contact.account.owner_id if handoff.contact.account else None,
                now=handoff.created_at,
            )  # fmt: skip
            assert handoff.trace == decision.as_dict(), handoff
        assert (handoff.owner_id, handoff.rule, handoff.method) == (
            handoff.trace["owner"], handoff.trace["rule"], handoff.trace["method"]
        )
        assert handoff.priority == playbook.routing.priority_of(handoff.quadrant or None)
        assert handoff.assigned_at == (handoff.created_at if handoff.owner_id else None)
        later = [c for c in history[handoff.contact_id] if c.at > move.at]
        end = later[0] if later else None
        states[handoff.state] += 1
        if end is None:
            assert (handoff.state, handoff.closed_at, handoff.contact.stage) == ("open", None, "mql"), handoff
        elif end.to_stage == "sql":
            assert handoff.state == "accepted", handoff
        elif handoff.state == "rejected":
            reason = playbook.reason("reject", end.reason)
            assert reason is not None and playbook.reject_outcome(reason).key == end.to_stage  # type: ignore[union-attr]
        else:
            assert handoff.state == "recycled" and end.to_stage == "recycled", handoff
            assert playbook.reason("recycle", end.reason) is not None
        if end is not None:
            assert (handoff.closed_at, handoff.closed_by_id) == (end.at, end.by_user_id), handoff
            assert (handoff.reason, handoff.note, handoff.reengage_on) == (
                (end.reason, end.note, end.reengage_on) if handoff.state != "accepted" else ("", "", None)
            )
        rows = changes[handoff.pk]
        first = HandoffChange.Kind.ROUTED if handoff.owner_id else HandoffChange.Kind.QUEUED
        assert (rows[0].kind, rows[0].at, rows[0].to_owner_id) == (first, handoff.created_at, handoff.owner_id)
        logged = touches[handoff.pk]
        assert [r.details["touch"] for r in rows if r.kind == "touched"] == [t.pk for t in logged]
        assert handoff.touches == len(logged)
        assert handoff.first_touch_at == (logged[0].at if logged else None)
        for t in logged:
            assert t.user_id == handoff.owner_id and handoff.created_at < t.at
            assert t.at < (handoff.closed_at or NOW)
        if handoff.state == "open":
            assert [r.kind for r in rows if r.kind != "touched"] == [first]
        else:
            assert (rows[-1].kind, rows[-1].at, rows[-1].by_user_id) == (
                handoff.state, handoff.closed_at, handoff.closed_by_id
            )
        if handoff.owner_id is None:  # in the team's queue: routing found everyone in the team away
            tried = handoff.trace["tried"][-1]
            assert tried["chosen"] is None and all(c["skipped"] for c in tried["considered"])
    assert states["accepted"] and states["rejected"] and states["recycled"] and states["open"]
    assert sum(len(t) for t in touches.values()) > 0
    # Someone is away today, and routing skipped them for today's hand-offs.
    away = [u for u in User.objects.filter(role=Role.SALES_REP) if u.away_from and u.away_from <= NOW.date()
            and u.away_until and NOW.date() <= u.away_until]  # fmt: skip
    assert away
    skipped = [c["rep"] for h in found for t in h.trace["tried"] for c in t["considered"] if c["skipped"] == "away"]
    assert {u.pk for u in away} & set(skipped)


def test_the_routing_staff_is_the_workspace_as_the_product_reads_it() -> None:
    with clock.frozen(NOW):
        demo(contacts=0)

    users = {u.email: u for u in User.objects.all()}
    staff = sales.staff({e: u.pk for e, u in users.items()}, dict(Team.objects.values_list("name", "pk")),
                        today=NOW.date())  # fmt: skip
    playbook = PlaybookVersion.objects.get(status=VersionStatus.ACTIVE).playbook
    places = product_handoffs.workspace(playbook.routing, now=NOW, lock=False)
    assert places.teams == staff.teams
    assert places.reps == staff.reps
    teams = {t.name: t for t in Team.objects.select_related("manager")}
    assert set(playbook.routing.teams()) <= set(teams)
    assert all(teams[name].manager is not None for name in people.REPS_BY_TEAM)


def test_deals_explain_every_opportunity_and_customer() -> None:
    with clock.frozen(NOW):
        demo()

    playbook = PlaybookVersion.objects.get(status=VersionStatus.ACTIVE).playbook
    deals: dict[int, list[Deal]] = defaultdict(list)
    for deal in Deal.objects.select_related("account", "primary_contact").order_by("created_at", "id"):
        deals[deal.primary_contact_id].append(deal)  # type: ignore[index]
        assert list(deal.contacts.values_list("pk", flat=True)) == [deal.primary_contact_id]
        assert deal.currency in {"USD", "EUR", "GBP"} and deal.amount % 100 == 0, deal
        employees = deal.account.employees if deal.account and deal.account.employees else 10
        low, high = (6_000, 12_000) if employees < 50 else (12_000, 30_000) if employees < 200 else (
            (25_000, 80_000) if employees < 1000 else (60_000, 250_000)
        )
        assert low * 100 <= deal.amount <= high * 100, deal
        assert deal.owner is not None and deal.owner.role == Role.SALES_REP
        assert deal.source == deal.primary_contact.first_source  # type: ignore[union-attr]
        kinds = list(DealChange.objects.filter(deal=deal).order_by("at", "id").values_list("kind", "at"))
        if deal.stage == "open":
            assert kinds == [("created", deal.created_at)] and deal.closed_at is None
        else:
            assert kinds == [("created", deal.created_at), (deal.stage, deal.closed_at)], deal
        if deal.stage == "lost":
            assert playbook.reason("loss", deal.loss_reason) is not None
    assert {d.stage for found in deals.values() for d in found} == {"open", "won", "lost"}
    for contact in Contact.objects.select_related("account"):
        mine = deals.get(contact.pk, [])
        assert (contact.open_deals, contact.won_deals) == (
            sum(d.stage == "open" for d in mine), sum(d.stage == "won" for d in mine)
        ), contact.email
        if contact.stage == "opportunity":
            assert contact.open_deals >= 1, contact.email
        if contact.stage == "customer":
            assert contact.won_deals >= 1, contact.email
        changes = list(StageChange.objects.filter(contact=contact).order_by("at", "id"))
        for change in changes:
            if change.to_stage == "opportunity":
                assert any(d.created_at == change.at and d.owner_id == change.by_user_id for d in mine), change
            if change.to_stage == "customer":
                assert any(d.stage == "won" and d.closed_at == change.at for d in mine), change
        for deal in mine:
            if deal.stage == "lost":
                back = next(c for c in changes if c.at == deal.closed_at)
                assert (back.to_stage, back.reason, back.note) == ("recycled", deal.loss_reason, deal.loss_note)
    for account in Account.objects.all():
        won = [d.closed_at for d in Deal.objects.filter(account=account, stage="won")]
        assert account.customer_since == (min(won) if won else None), account  # type: ignore[type-var]


def test_history_rows_are_written_once_and_never_updated() -> None:
    statements: list[str] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        demo()

    tables = [m._meta.db_table for m in (StageChange, HandoffChange, DealChange)]
    touched = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "DELETE"))]
    assert not [s for s in touched if any(f'"{t}"' in s or f" {t} " in s for t in tables)]
    assert StageChange.objects.exists() and HandoffChange.objects.exists() and DealChange.objects.exists()


# --------------------------------------------------------------------------- events


def test_every_lead_submitted_a_form_just_before_becoming_one() -> None:
    with clock.frozen(NOW):
        demo()

    events = events_by_contact()
    leads = 0
    for contact in Contact.objects.all():
        forms = [e for e in events[contact.pk] if e.type == "track" and e.name == FORM_SUBMITTED]
        assert contact.forms_submitted == len(forms), contact.email
        assert (contact.first_offer, contact.last_offer) == (
            (forms[0].offer, forms[-1].offer) if forms else ("", "")
        ), contact.email
        assert all(f.offer and f.properties["offer"] == f.offer and f.properties["form"] for f in forms)
        changes = list(StageChange.objects.filter(contact=contact).order_by("at", "id"))
        entered = next((c for c in changes if c.to_stage in FUNNEL_FROM_LEAD), None)
        if entered is None:
            assert not forms, f"{contact.email} submitted a form but never became a lead"
            continue
        before = [f for f in forms if f.timestamp < entered.at]
        assert before, f"{contact.email} reached {entered.to_stage} without a form"
        trigger = before[-1]
        assert trigger.received_at < entered.at, contact.email
        if entered.by_rule == "entry:lead":
            leads += 1
            assert entered.at - trigger.received_at < dt.timedelta(seconds=10), contact.email
            criteria = {p["text"]: p["actual"] for p in entered.details["criteria"]["parts"]}
            assert criteria["contact.forms_submitted ≥ 1"] == len(before)
        identify = [e for e in events[contact.pk] if e.type == "identify"]
        assert len(identify) == 1 and identify[0].timestamp <= trigger.timestamp, contact.email
        assert identify[0].properties["email"] == contact.email
    assert leads > CONTACTS / 2


def test_first_and_last_touch_and_the_lead_source_agree_with_the_events() -> None:
    with clock.frozen(NOW):
        demo()

    events = events_by_contact()
    sources: defaultdict[str, int] = defaultdict(int)
    for contact in Contact.objects.all():
        touches = [(e, t) for e in events[contact.pk] if (t := touch(as_message(e))) is not None]
        assert touches, contact.email
        first_event, first = touches[0]
        assert (contact.first_source, contact.first_medium, contact.first_campaign, contact.first_seen_at) == (
            first.source, first.medium, first.campaign, first_event.timestamp
        ), contact.email
        outside = [t for _, t in touches if not t.is_direct]
        last = outside[-1] if outside else Touch("", "", "")
        assert (contact.last_source, contact.last_medium, contact.last_campaign) == (
            last.source, last.medium, last.campaign
        ), contact.email
        assert contact.last_seen_at == max(e.timestamp for e in events[contact.pk])
        assert contact.properties["lead_source"] == lead_source(contact.first_medium), contact.email
        sources[contact.first_medium] += 1
    # Several kinds of first touch: campaigns, search, social, referral sites and direct visits.
    assert {"organic", "social", "referral", "(none)", "cpc", "paid_social", "email"} <= set(sources)


def test_events_look_like_what_the_tracking_api_receives() -> None:
    with clock.frozen(NOW):
        demo()

    events = list(Event.objects.order_by("id"))
    assert 10 * CONTACTS <= len(events) <= 30 * CONTACTS
    assert len({e.message_key for e in events}) == len(events)
    campaigns = {c.pk: c for c in Campaign.objects.all()}
    anonymous_ids = {i.contact_id: i.value for i in Identity.objects.filter(kind="anonymous")}
    user_ids = {i.contact_id: i.value for i in Identity.objects.filter(kind="user")}
    start = NOW - dt.timedelta(days=WINDOW_DAYS + 1)
    for before, e in zip([None, *events], events, strict=False):
        assert e.message_key == message_key(e.message_id)
        assert start <= e.timestamp <= e.received_at <= NOW, e
        assert e.original_timestamp is not None and e.sent_at is not None
        # The timestamp is corrected for the sender's clock: receivedAt - (sentAt - timestamp).
        assert abs(e.timestamp - (e.received_at - (e.sent_at - e.original_timestamp))) < dt.timedelta(milliseconds=1)
        if before is not None:
            assert before.received_at <= e.received_at  # stored in the order they arrived
        assert e.context["library"] == LIBRARY and e.context["userAgent"] and e.context["ip"]
        if e.anonymous_id:  # from the browser: the page it happened on
            page = e.context["page"]
            assert page["url"].startswith(SITE + page["path"]) and page["title"] and e.path == page["path"]
            if e.type == "page":
                assert e.properties["url"] == page["url"] == e.url
        else:
            assert e.name in {"Email Opened", "Email Clicked", "Webinar Attended"} and e.user_id, e
        if e.utm_campaign:
            assert e.campaign_id is not None and campaigns[e.campaign_id].utm_campaign == e.utm_campaign
            assert e.context["campaign"]["name"] == e.utm_campaign and f"utm_campaign={e.utm_campaign}" in e.url
        else:
            assert e.campaign_id is None
        if e.contact_id is None:
            assert e.type == "page" and not e.user_id  # a visitor who never said who they are
            assert e.anonymous_id not in anonymous_ids.values()
        else:
            if e.anonymous_id:
                assert anonymous_ids[e.contact_id] == e.anonymous_id
            if e.user_id:
                assert user_ids[e.contact_id] == e.user_id
    per_contact = list(Contact.objects.annotate(n=Count("events")).values_list("n", flat=True))
    assert min(per_contact) >= 1 and max(per_contact) <= 250
    assert sorted(per_contact)[len(per_contact) // 2] >= 5
    names = {e.name for e in events if e.type == "track"}
    assert {FORM_SUBMITTED, "Email Opened", "Email Clicked", "Demo Requested", "Webinar Attended", "Subscribed",
            "Unsubscribed"} <= names
    assert {e.path for e in events} >= {"/", "/pricing", "/demo", "/blog/what-is-an-mql", "/customers/northwind"}
    assert sum(e.contact_id is None for e in events) > 0


def test_anonymous_history_belongs_to_the_contact_from_the_identify_on() -> None:
    with clock.frozen(NOW):
        demo()

    for contact in Contact.objects.prefetch_related("identities"):
        events = list(Event.objects.filter(contact=contact).order_by("timestamp", "id"))
        kinds = {i.kind: i for i in contact.identities.all()}
        assert set(kinds) == ({"anonymous", "user"} if any(e.type == "identify" for e in events) else {"anonymous"})
        if "user" not in kinds:
            assert not any(e.user_id for e in events)
            continue
        identified = kinds["user"].first_seen_at
        assert kinds["user"].value == contact.email and kinds["anonymous"].first_seen_at <= identified
        for e in events:
            if e.anonymous_id:  # the browser sends the user id once the identify told it
                assert bool(e.user_id) == (e.timestamp >= identified - dt.timedelta(seconds=1)), e


def test_campaigns_fill_the_calendar_and_belong_to_marketing() -> None:
    with clock.frozen(NOW):
        demo()

    campaigns = list(Campaign.objects.select_related("owner"))
    assert 8 <= len(campaigns) <= 12
    personas = {p["key"] for p in PlaybookVersion.objects.get(status=VersionStatus.ACTIVE).playbook.data["personas"]}
    window = (NOW - dt.timedelta(days=WINDOW_DAYS)).date()
    for c in campaigns:
        assert c.owner is not None and c.owner.email == people.MARKETING
        assert c.name and c.utm_campaign == c.utm_campaign.lower() and c.channel and c.offer
        assert c.persona in personas and c.talking_points and c.key_data_point
        assert c.starts_on is not None and c.starts_on <= NOW.date()
        assert c.ends_on is None or c.ends_on >= c.starts_on
    assert len({c.channel for c in campaigns}) >= 6
    assert sum(window <= c.starts_on for c in campaigns) >= 6  # most start within the six months
    used = set(Event.objects.exclude(campaign=None).values_list("campaign_id", flat=True))
    assert used == {c.pk for c in campaigns}
