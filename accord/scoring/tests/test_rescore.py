"""The full rescore and the daily refresh give, contact by contact, exactly what the incremental
path and a recompute from the history give; they write only what changed, keep the score history
as the pipeline keeps it, let the stage rules move contacts whose scores rose, and never overwrite
scores the event pipeline wrote meanwhile.

Events go through the real ingest (`tracking.ingest.record`), so contacts are first scored the way
production scores them. Run on SQLite and on PostgreSQL (DATABASE_URL): there the rescore reads
through COPY and writes through a temporary table.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.contacts.models import Account, Contact, Score
from accord.contacts.queries import contact_facts
from accord.core import clock
from accord.lifecycle.models import StageChange
from accord.playbook.actions import playbook_activate, playbook_draft_create, playbook_sign
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.scoring import domain, narrowing, reader, rescore, tasks
from accord.scoring.actions import NOTICEABLE, contacts_refresh
from accord.scoring.models import Cause, ScoreChange
from accord.scoring.queries import contact_hits, model_of
from accord.scoring.store import SCORES
from accord.tracking.ingest import record

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _the_clock_reads_now() -> Any:
    """The stage rules and the breakdown they store read the clock: the tests' NOW."""
    with clock.frozen(NOW):
        yield


DEFAULT_SOURCE = (Path(__file__).resolve().parents[2] / "playbook" / "default.yaml").read_text()
SCORE_FIELDS = [f"score__{f}" for f in SCORES]  # a contact's stored scores, read through the contact
STATE = [f for f in SCORE_FIELDS if f not in ("score__scored_at", "score__score_version_id")]


# --------------------------------------------------------------------------- the workspace


def _message(kind: str, at: dt.datetime, user: str, **fields: Any) -> dict[str, Any]:
    message = {"type": kind, "messageId": str(uuid.uuid4()), "timestamp": at.isoformat(), **fields}
    if user:
        message["userId"] = user
    return message


def identify(user: str, email: str, at: dt.datetime, **traits: Any) -> dict[str, Any]:
    return _message("identify", at, user, traits={"email": email, **traits})


def track(user: str, name: str, at: dt.datetime, **properties: Any) -> dict[str, Any]:
    return _message("track", at, user, event=name, properties=properties)


def page(user: str, path: str, at: dt.datetime) -> dict[str, Any]:
    return _message("page", at, user, properties={"path": path, "url": f"https://acme.example{path}"})


def ingest(*items: dict[str, Any], at: dt.datetime = NOW) -> None:
    with clock.frozen(at):
        outcome = record(list(items), sent_with="test", received_at=at)
    assert outcome.rejected == [], outcome.rejected


def ago(days: int, hours: int = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days, hours=hours)


@pytest.fixture
def workspace(db: Any) -> dict[str, Contact]:
    """Five contacts of every kind of fit, scored by the pipeline from events delivered on one day
    (NOW): some in order, some late and out of order, some capped, one anonymous history linked
    when its visitor identified."""
    acme = Account.objects.create(
        name="Acme", domain="acme.com", industry="Software", employees=500, country="US", properties={"tier": "gold"}
    )
    tiny = Account.objects.create(name="Tiny", domain="tiny.io", industry="Retail", employees=8, country="BR")
    people = {
        "ada": Contact.objects.create(
            email="ada@acme.com", title="VP Marketing", seniority="vp", account=acme, consent=True, stage="lead"
        ),
        "bob": Contact.objects.create(email="bob@gmail.com", title="Student", account=tiny, forms_submitted=1),
        "cy": Contact.objects.create(
            email="cy@acme.com", title="Head of RevOps", seniority="director", account=acme, consent=False
        ),
        "dee": Contact.objects.create(email="dee@nowhere.example", properties={"plan": "Enterprise"}),
        "eve": Contact.objects.create(email="eve@acme.com", title="Sales Director", seniority="director", account=acme),
    }
    with clock.frozen(ago(1)):
        # an anonymous visitor browses the pricing page for days before identifying as eve
        record(
            [{**page("", "/pricing", ago(d)), "anonymousId": "anon-eve"} for d in (3, 3, 3, 2, 40, 41)],
            sent_with="test",
            received_at=ago(1),
        )
    ingest(
        identify("u-ada", "ada@acme.com", ago(60)),
        identify("u-bob", "bob@gmail.com", ago(60)),
        identify("u-cy", "cy@acme.com", ago(60)),
        identify("u-dee", "dee@nowhere.example", ago(60)),
        *[page("u-ada", "/pricing", ago(1, h)) for h in range(4)],  # capped at 20 a day
        *[track("u-ada", "Email Opened", ago(0, h)) for h in range(5)],  # capped at 3 a day
        track("u-ada", "Demo Requested", ago(10)),
        *[track("u-bob", "Form Submitted", ago(2, h), offer="ebook") for h in range(3)],
        track("u-bob", "Unsubscribed", ago(1)),
        track("u-cy", "Webinar Attended", ago(200)),
        track("u-cy", "email clicked", ago(5)),  # track names match without regard to case
        page("u-dee", "/Pricing/Enterprise", ago(3)),
        at=ago(0, 3),
    )
    # late and out of order: earlier days of capped rules, an older demo request
    ingest(
        *[page("u-ada", "/pricing", ago(30, h)) for h in range(3)],
        track("u-ada", "Email Opened", ago(2)),
        track("u-cy", "Demo Requested", ago(400)),
        at=ago(0, 2),
    )
    # eve identifies: her anonymous history is linked and counted
    ingest({**identify("u-eve", "eve@acme.com", ago(0, 1)), "anonymousId": "anon-eve"}, at=ago(0, 1))
    return {name: Contact.objects.get(pk=c.pk) for name, c in people.items()}


def snapshot() -> dict[int, tuple[Any, ...]]:
    return {row[0]: row[1:] for row in Contact.objects.order_by("pk").values_list("pk", *SCORE_FIELDS)}


def expected(contact: Contact, now: dt.datetime) -> tuple[Any, ...]:
    """The contact's scores worked out one contact at a time by the domain rules: fit from its
    facts, interest recomputed from its whole history."""
    version = active_playbook()
    model = model_of(version)
    today = domain.day_number(now)
    fit = model.fit(contact_facts(contact, now=now))
    state = domain.recompute(model, contact_hits(model, contact.pk), today)
    interest = model.value(state.mass, state.anchor, today)
    quadrant = model.quadrant(fit.grade, interest).value
    return (fit.score, fit.grade, fit.persona, interest, quadrant, state.mass, state.anchor, state.as_json())


def stored(contact: Contact) -> tuple[Any, ...]:
    return tuple(Contact.objects.filter(pk=contact.pk).values_list(*STATE).get())


def activate(users: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> PlaybookVersion:
    """Draft the default playbook changed by `change`, have both sides sign it and activate it (the
    rescore that activation queues runs after commit, which a test never reaches: these call it)."""
    data = yaml.safe_load(DEFAULT_SOURCE)
    change(data)
    draft = playbook_draft_create(source=yaml.safe_dump(data, sort_keys=False), acting_user=users["admin"])
    playbook_sign(version=draft, acting_user=users["marketing"])
    playbook_sign(version=draft, acting_user=users["sales_manager"])
    return playbook_activate(version=draft, acting_user=users["admin"])


def version_two(data: dict[str, Any]) -> None:
    """Other points, caps, half-life and grades; a fit rule and an interest rule on custom
    properties; a persona on the account's properties."""
    rules = data["interest"]["rules"]
    pricing = next(r for r in rules if r["key"] == "pricing_page")
    pricing.update(points=25, max_per_day=50)
    next(r for r in rules if r["key"] == "email_open").update(points=2, max_per_day=4)
    rules.append(
        {
            "key": "ebook",
            "label": "Downloaded the ebook",
            "event": "Form Submitted",
            "when": {"field": "event.properties.offer", "op": "eq", "value": "EBOOK"},
            "points": 7,
        }
    )
    data["interest"]["half_life_days"] = 14
    data["fit"]["rules"].append(
        {
            "key": "enterprise_plan",
            "when": {"field": "contact.properties.plan", "op": "eq", "value": "enterprise"},
            "points": 45,
        }
    )
    data["personas"].insert(
        0,
        {
            "key": "gold_buyer",
            "name": "Gold account buyer",
            "match": {"field": "account.properties.tier", "op": "in", "value": ["Gold", "Platinum"]},
        },
    )
    data["fit"]["grades"] = {"A": 80, "B": 45, "C": 30}
    data["quadrants"]["high_interest"] = 30


# --------------------------------------------------------------------------- the invariants


def test_after_ingest_a_rescore_changes_nothing(workspace: dict[str, Contact]) -> None:
    before, history = snapshot(), ScoreChange.objects.count()
    assert all(row[0] is not None for row in before.values())  # everyone was scored by the pipeline

    result = rescore.rescore(now=NOW)

    assert (result.contacts, result.written, result.changed, result.skipped, result.moved) == (5, 0, 0, 0, {})
    assert snapshot() == before
    assert ScoreChange.objects.count() == history
    # and what the pipeline stored is what the domain gives from the history
    for contact in workspace.values():
        assert stored(contact) == expected(contact, NOW)


def test_the_hits_and_events_read_are_counted(workspace: dict[str, Contact]) -> None:
    result = rescore.rescore(now=NOW)
    model = model_of(active_playbook())
    hits = sum(len(list(contact_hits(model, c.pk))) for c in workspace.values())
    assert result.hits == hits
    assert result.events >= hits


def test_under_a_new_version_the_rescore_gives_what_a_recompute_gives(
    workspace: dict[str, Contact], users: dict[str, Any]
) -> None:
    before = snapshot()
    version = activate(users, version_two)
    history = set(ScoreChange.objects.values_list("pk", flat=True))

    result = rescore.rescore(now=NOW, apply_rules=False)

    assert (result.contacts, result.written, result.skipped) == (5, 5, 0)  # the version changed for all
    for contact in workspace.values():
        assert stored(contact) == expected(contact, NOW), contact.email
    assert set(Contact.objects.values_list("score__score_version", flat=True)) == {version.pk}
    assert set(Contact.objects.values_list("score__scored_at", flat=True)) == {NOW}
    # the new rules on properties count
    assert stored(workspace["dee"])[:3] == (45, "B", "")
    assert stored(workspace["ada"])[2] == "gold_buyer"
    model = model_of(version)
    assert [rule.key for rule, _ in contact_hits(model, workspace["bob"].pk)].count("ebook") == 3

    # a ScoreChange (cause rescore) for exactly the contacts whose scores moved noticeably
    after = snapshot()
    noticed = {
        pk
        for pk, row in after.items()
        if row[0:2] != before[pk][0:2] or row[4] != before[pk][4] or abs(row[3] - before[pk][3]) >= NOTICEABLE
    }
    changes = ScoreChange.objects.exclude(pk__in=history)
    assert sorted(changes.values_list("contact_id", flat=True)) == sorted(noticed)
    assert result.changed == len(noticed)
    for change in changes:
        old, new = before[change.contact_id], after[change.contact_id]
        assert (change.cause, change.playbook_version_id, change.at) == (Cause.RESCORE, version.pk, NOW)
        assert (change.fit_score, change.fit_grade, change.interest_score, change.quadrant) == (
            new[0],
            new[1],
            new[3],
            new[4],
        )
        assert (change.previous_fit_score, change.previous_grade, change.previous_interest) == (*old[0:2], old[3])

    # the per-contact path agrees: scoring everyone again from the history changes nothing
    scored = contacts_refresh(ids=list(after), history=True, now=NOW)
    assert scored.changed == set()
    assert snapshot() == after


def test_a_second_rescore_writes_nothing(workspace: dict[str, Contact], users: dict[str, Any]) -> None:
    activate(users, version_two)
    rescore.rescore(now=NOW, apply_rules=False)
    after, history = snapshot(), ScoreChange.objects.count()
    result = rescore.rescore(now=NOW + dt.timedelta(hours=1), apply_rules=False)
    assert (result.written, result.changed) == (0, 0)
    assert snapshot() == after
    assert ScoreChange.objects.count() == history


def test_contacts_without_events_and_never_scored_get_their_fit_and_no_interest(db: Any) -> None:
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    quiet = Contact.objects.create(email="q@acme.com", seniority="c_level", account=acme)
    result = rescore.rescore(now=NOW)
    assert (result.contacts, result.written, result.changed, result.events) == (1, 1, 1, 0)
    assert stored(quiet) == (75, "A", "", 0.0, "nurture", 0, None, {}) == expected(quiet, NOW)
    change = ScoreChange.objects.get(contact=quiet)
    assert (change.previous_fit_score, change.previous_grade, change.previous_interest) == (None, "", None)


def test_an_empty_workspace_rescores_nothing(db: Any) -> None:
    calls: list[tuple[int, int]] = []
    result = rescore.rescore(now=NOW, progress=lambda done, total: calls.append((done, total)))
    assert (result.contacts, result.written, result.changed, result.events) == (0, 0, 0, 0)
    assert calls == [(0, 0)]


def test_progress_counts_contacts_in_chunks(workspace: dict[str, Contact]) -> None:
    calls: list[tuple[int, int]] = []
    rescore.rescore(now=NOW, chunk_size=2, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]


def test_chunks_give_the_same_scores_as_one_pass(workspace: dict[str, Contact], users: dict[str, Any]) -> None:
    activate(users, version_two)
    rescore.rescore(now=NOW, apply_rules=False, chunk_size=2)
    for contact in workspace.values():
        assert stored(contact) == expected(contact, NOW)


def test_a_subset_of_contacts_is_rescored_alone(workspace: dict[str, Contact], users: dict[str, Any]) -> None:
    activate(users, version_two)
    before = snapshot()
    ada, bob = workspace["ada"], workspace["bob"]
    result = rescore.rescore(now=NOW, apply_rules=False, contact_ids=[ada.pk, bob.pk])
    assert (result.contacts, result.written) == (2, 2)
    after = snapshot()
    assert {pk for pk in after if after[pk] != before[pk]} == {ada.pk, bob.pk}
    assert stored(ada) == expected(ada, NOW) and stored(bob) == expected(bob, NOW)


# --------------------------------------------------------------------------- the stage rules


def lower_the_mql_bar(data: dict[str, Any]) -> None:
    data["mql"]["when"]["all"][1]["value"] = 15
    data["quadrants"]["high_interest"] = 15


def test_contacts_whose_scores_rose_are_moved_by_the_mql_rule_with_the_breakdown(
    db: Any, users: dict[str, Any]
) -> None:
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    ada = Contact.objects.create(email="ada@acme.com", seniority="vp", account=acme, consent=True, stage="lead")
    ingest(
        identify("u-ada", "ada@acme.com", ago(1)), page("u-ada", "/pricing", ago(1)), page("u-ada", "/pricing", ago(1))
    )
    assert Contact.objects.get(pk=ada.pk).stage == "lead"  # 20 points: below the MQL rule's 40
    version = activate(users, lower_the_mql_bar)

    result = rescore.rescore(now=NOW)

    assert result.moved == {ada.pk: "mql"} and result.handed == 1
    move = StageChange.objects.get(contact=ada, to_stage="mql")
    assert (move.by_rule, move.playbook_version_id) == ("mql", version.pk)
    assert move.details["score"]["playbook_version"] == version.number
    assert move.details["score"]["quadrant"] == "ready"
    assert Contact.objects.get(pk=ada.pk).stage == "mql"


def test_no_stage_moves_leaves_stages_alone(db: Any, users: dict[str, Any]) -> None:
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    ada = Contact.objects.create(email="ada@acme.com", seniority="vp", account=acme, consent=True, stage="lead")
    ingest(
        identify("u-ada", "ada@acme.com", ago(1)), page("u-ada", "/pricing", ago(1)), page("u-ada", "/pricing", ago(1))
    )
    activate(users, lower_the_mql_bar)
    result = rescore.rescore(now=NOW, apply_rules=False)
    assert (result.moved, result.handed, result.written) == ({}, 0, 1)
    assert Contact.objects.get(pk=ada.pk).stage == "lead"
    assert not StageChange.objects.filter(to_stage="mql").exists()


def test_contacts_the_rules_would_not_move_are_not_handed_to_them(
    workspace: dict[str, Contact], users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[int] = []
    real = rescore.contact_apply_rules

    def spy(*, contact: Contact, **kwargs: Any) -> Any:
        handed.append(contact.pk)
        return real(contact=contact, **kwargs)

    monkeypatch.setattr(rescore, "contact_apply_rules", spy)
    activate(users, lower_the_mql_bar)
    result = rescore.rescore(now=NOW)

    # the new version scored all five for the first time; only eve (good fit, no stage yet, enough
    # interest for the lower bar) meets a stage rule now: she alone is handed over, and moves
    assert result.written == 5
    assert result.moved == {workspace["eve"].pk: "mql"}
    assert handed == [workspace["eve"].pk] and result.handed == 1


def test_after_a_new_version_only_the_mql_rule_is_applied_to_contacts_whose_scores_did_not_rise(
    db: Any, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # never scored by the pipeline: meets the subscriber criteria (email and consent) but was never moved
    quiet = Contact.objects.create(email="quiet@acme.com", consent=True)
    handed: list[int] = []
    real = rescore.contact_apply_rules
    monkeypatch.setattr(
        rescore, "contact_apply_rules", lambda **kwargs: handed.append(kwargs["contact"].pk) or real(**kwargs)
    )
    rescore.rescore(now=NOW, apply_rules=False)  # scored, not moved
    activate(users, lower_the_mql_bar)
    result = rescore.rescore(now=NOW)
    # its new version's scores did not rise, and the MQL rule does not hold: no stage rule is applied
    assert (result.written, result.handed, result.moved, handed) == (1, 0, {}, [])
    assert Contact.objects.get(pk=quiet.pk).stage == ""


# --------------------------------------------------------------------------- the event pipeline meanwhile


def test_scores_the_pipeline_wrote_meanwhile_are_kept(
    workspace: dict[str, Contact], users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    activate(users, version_two)
    ada = workspace["ada"]
    real = rescore._write_scores

    def pipeline_first(changed: Any, version: Any, now: dt.datetime, **kwargs: Any) -> Any:
        # an event is scored for ada between the rescore's read and its write
        ingest(track("u-ada", "Webinar Attended", ago(0, 0)), at=NOW)
        return real(changed, version, now, **kwargs)

    monkeypatch.setattr(rescore, "_write_scores", pipeline_first)
    result = rescore.rescore(now=NOW, apply_rules=False)

    assert (result.skipped, result.written) == (1, 4)
    ada.refresh_from_db()
    assert stored(ada) == expected(ada, NOW)  # the pipeline's scores, with the webinar
    assert not ScoreChange.objects.filter(contact=ada, cause=Cause.RESCORE).exists()


# --------------------------------------------------------------------------- the daily refresh


def test_the_daily_refresh_fades_interest_exactly_and_notes_only_quadrant_moves(
    workspace: dict[str, Contact],
) -> None:
    rescore.rescore(now=NOW)
    before, history = snapshot(), set(ScoreChange.objects.values_list("pk", flat=True))
    later = NOW + dt.timedelta(days=45)
    model = model_of(active_playbook())

    result = rescore.refresh_interest(now=later)

    after = snapshot()
    today = domain.day_number(later)
    changed = set()
    for pk, row in after.items():
        old = before[pk]
        # the state is untouched; the score is the state's value on the later day
        assert row[5:8] == old[5:8] and row[0:3] == old[0:3]
        assert row[3] == model.value(old[5], old[6], today)
        assert row[4] == model.quadrant(old[1], row[3]).value
        if row[3] != old[3]:
            changed.add(pk)
            assert row[8] == later
        else:
            assert row[8] == old[8]
    assert result.written == len(changed) > 0
    noted = ScoreChange.objects.exclude(pk__in=history)
    quadrant_moves = {pk for pk in changed if after[pk][4] != before[pk][4]}
    assert set(noted.values_list("contact_id", flat=True)) == quadrant_moves
    assert result.changed == len(quadrant_moves)
    assert all(change.cause == Cause.DECAY for change in noted)
    for contact in workspace.values():
        assert stored(contact) == expected(contact, later)
    # and a second refresh on the same day writes nothing
    again = rescore.refresh_interest(now=later)
    assert (again.written, again.changed) == (0, 0)


def expire_after_30(data: dict[str, Any]) -> None:
    del data["interest"]["half_life_days"]
    data["interest"]["expire_after_days"] = 30


def test_with_an_expiry_window_the_refresh_recomputes_those_whose_points_expired(
    workspace: dict[str, Contact], users: dict[str, Any]
) -> None:
    activate(users, expire_after_30)
    rescore.rescore(now=NOW, apply_rules=False)
    before, history = snapshot(), set(ScoreChange.objects.values_list("pk", flat=True))
    later = NOW + dt.timedelta(days=21)  # ada's demo request of 10 days ago expires; dee's view of 3 days ago does not

    result = rescore.refresh_interest(now=later)

    for contact in workspace.values():
        assert stored(contact) == expected(contact, later)
    after = snapshot()
    moved = {pk for pk in after if after[pk][:8] != before[pk][:8]}
    assert workspace["ada"].pk in moved and workspace["dee"].pk not in moved
    assert result.written == len(moved)
    noted = ScoreChange.objects.exclude(pk__in=history)
    assert all(change.cause == Cause.DECAY for change in noted)
    assert set(noted.values_list("contact_id", flat=True)) == {
        pk for pk in moved if after[pk][4] != before[pk][4] or after[pk][1] != before[pk][1]
    }


def test_the_refresh_rescores_contacts_scored_under_another_version(
    workspace: dict[str, Contact], users: dict[str, Any]
) -> None:
    version = activate(users, version_two)
    result = rescore.refresh_interest(now=NOW)
    assert result.written == 5
    assert set(Contact.objects.values_list("score__score_version", flat=True)) == {version.pk}
    for contact in workspace.values():
        assert stored(contact) == expected(contact, NOW)


# --------------------------------------------------------------------------- the edges


def test_the_tasks_return_how_many_changed(workspace: dict[str, Contact], users: dict[str, Any]) -> None:
    activate(users, version_two)
    with clock.frozen(NOW):
        changed = tasks.rescore_all()
    assert changed == ScoreChange.objects.filter(cause=Cause.RESCORE).count() > 0
    with clock.frozen(NOW + dt.timedelta(days=20)):
        faded = tasks.decay()
    assert faded == ScoreChange.objects.filter(cause=Cause.DECAY).count()


def test_the_command_prints_a_summary(workspace: dict[str, Contact], users: dict[str, Any], capsys: Any) -> None:
    activate(users, version_two)
    with clock.frozen(NOW):
        call_command("score", "rescore", "--no-stage-moves")
    out = capsys.readouterr().out.strip()
    assert out.startswith("Rescored 5 contacts in ")
    assert "; 5 updated; " in out and "events read" in out and "moved" not in out
    with clock.frozen(NOW):
        call_command("score", "refresh")
    assert capsys.readouterr().out.strip().startswith("Refreshed the interest of 5 contacts in ")


def test_the_command_refuses_an_unknown_action() -> None:
    with pytest.raises(CommandError):
        call_command("score", "again")


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_rescore_reads_one_snapshot_and_writes_in_chunks() -> None:
    """No caller's transaction: on PostgreSQL the reads run on a connection of their own."""
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    people = [
        Contact.objects.create(email=f"p{i}@acme.com", seniority="vp" if i % 2 else "", account=acme) for i in range(7)
    ]
    ingest(*[identify(f"u{i}", f"p{i}@acme.com", ago(2)) for i in range(7)])
    ingest(*[page(f"u{i}", "/pricing", ago(i)) for i in range(7) for _ in range(i)])
    before = snapshot()
    assert rescore.rescore(now=NOW, chunk_size=3).written == 0
    assert snapshot() == before
    for contact in people:
        assert stored(contact) == expected(contact, NOW)


@pytest.mark.django_db(transaction=True)
def test_events_read_in_ranges_of_the_table_count_each_event_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the events are read in ranges of the table's pages at once: none is lost or
    read twice (elsewhere the same test reads them in one pass)."""
    monkeypatch.setattr(reader, "PART_MIN_PAGES", 0)
    monkeypatch.setattr(rescore, "EVENT_PARTS", 3)
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    people = [Contact.objects.create(email=f"p{i}@acme.com", seniority="vp", account=acme) for i in range(4)]
    ingest(*[identify(f"u{i}", f"p{i}@acme.com", ago(2)) for i in range(4)])
    for day in range(30):  # many small batches: the events spread over many pages
        ingest(*[track(f"u{i}", "Email Opened", ago(day, i)) for i in range(4)], page("u1", "/pricing", ago(day)))
    model = model_of(active_playbook())
    result = rescore.rescore(now=NOW)
    assert result.hits == sum(len(list(contact_hits(model, c.pk))) for c in people) == 150
    assert result.written == 0
    for contact in people:
        assert stored(contact) == expected(contact, NOW)


NAMES = ["Demo Requested", "DEMO REQUESTED", "demo requested ", "Demo Requeſted", "Ｄemo Requested", "Email Opened",
         "EMAIL OPENED", "Email Opened", "email_opened", "Video Played", "Straße", "", "Form Submitted", "UNSUBSCRIBED"]  # fmt: skip
PATHS = ["/pricing", "/PRICING/enterprise", "/Pricing", "/prıcing", "/PRİCING", "/pricinG?x=1", " /pricing", "/blog",
         "/pricing%", "/pric_ng", "", "/ｐricing", "/prICING"]  # fmt: skip


def test_the_events_read_are_a_superset_of_those_a_rule_matches(db: Any) -> None:
    """The SQL that narrows the events the rescore reads lets through every event a rule of the
    active playbook matches, whatever the case or the characters (`test_narrowing` for any rules)."""
    from accord.tracking.models import Event

    contact = Contact.objects.create(email="e@acme.com")
    rows = [("track", name, "") for name in NAMES] + [("page", "Page", path) for path in PATHS]
    Event.objects.bulk_create(
        Event(
            message_id=f"m{i}",
            message_key=uuid.uuid4(),
            type=kind,
            name=name,
            path=path,
            contact=contact,
            timestamp=NOW,
            received_at=NOW,
        )
        for i, (kind, name, path) in enumerate(rows)
    )
    model = model_of(active_playbook())
    matching = {
        (kind, name, path)
        for kind, name, path in rows
        if model.rules_for(domain.event_facts(type=kind, name=name, path=path))
    }
    assert len(matching) > 10
    read = set(narrowing.narrow(Event.objects.all(), model.interest_rules).values_list("type", "name", "path"))
    assert matching <= read
    # and it does narrow: the views of other pages and unknown track events stay out
    assert ("page", "Page", "/blog") not in read and ("track", "Video Played", "") not in read


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_chunks_are_written_apart_with_their_history() -> None:
    """On PostgreSQL, outside a caller's transaction, chunks are written by two writers at once,
    each on a connection of its own: every changed contact is written once, with its history."""
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    people = [Contact.objects.create(email=f"p{i}@acme.com", seniority="vp", account=acme) for i in range(9)]
    ingest(*[identify(f"u{i}", f"p{i}@acme.com", ago(3)) for i in range(9)])
    ingest(*[page(f"u{i}", "/pricing", ago(i % 3)) for i in range(9)])
    stale = [c.pk for c in people[::2]]  # five contacts whose stored scores went wrong
    Score.objects.filter(contact_id__in=stale).update(fit_score=1, fit_grade="D", quadrant="low")
    history = ScoreChange.objects.count()

    result = rescore.rescore(now=NOW, chunk_size=2, apply_rules=False)

    assert (result.written, result.changed, result.skipped) == (5, 5, 0)
    assert sorted(ScoreChange.objects.filter(cause=Cause.RESCORE).values_list("contact_id", flat=True)) == stale
    assert ScoreChange.objects.count() == history + 5
    for contact in people:
        assert stored(contact) == expected(contact, NOW)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_refresh_writes_apart_too() -> None:
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    people = [
        Contact.objects.create(email=f"p{i}@acme.com", seniority="vp", account=acme, consent=False) for i in range(5)
    ]
    ingest(*[identify(f"u{i}", f"p{i}@acme.com", ago(3)) for i in range(5)])
    ingest(*[track(f"u{i}", "Demo Requested", ago(i)) for i in range(5)])  # 50 points: ready
    later = NOW + dt.timedelta(days=40)

    result = rescore.refresh_interest(now=later)

    assert result.written == 5
    for contact in people:
        assert stored(contact) == expected(contact, later)
    moved = ScoreChange.objects.filter(cause=Cause.DECAY)
    assert (
        sorted(moved.values_list("contact_id", flat=True))
        == sorted(c.pk for c in people if stored(c)[4] == "nurture")
        != []
    )
