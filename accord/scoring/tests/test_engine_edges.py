"""The scoring engine's incremental path under the edges a RevOps team meets in production: anonymous
history linked late, merges, events arriving days late and out of order across an anchor, expiry
windows, a new playbook version, recycled contacts, consent, refused batches and two requests at
once. Every test goes through the real entry points and checks the stored state against a full
recompute from the events and against the points worked out by hand."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
import random
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contacts.actions import account_update, contact_create, contact_merge, contact_update
from accord.contacts.models import Account, Contact, Score
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.lifecycle.actions import contact_change_stage
from accord.lifecycle.models import StageChange
from accord.playbook.actions import playbook_activate, playbook_draft_create, playbook_sign
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.scoring import actions as scoring_actions
from accord.scoring import domain
from accord.scoring.actions import contacts_refresh
from accord.scoring.models import Cause, ScoreChange
from accord.scoring.queries import Hits, contact_hits, model_of
from accord.tracking import pipeline
from accord.tracking.domain import MAX_BATCH_EVENTS
from accord.tracking.ingest import IngestRequest, handle, record
from accord.tracking.models import Event

NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # day 20759; with a 30-day half-life anchors fall every 120 days
DEFAULT_SOURCE = (Path(__file__).resolve().parents[2] / "playbook" / "default.yaml").read_text()
_ids = itertools.count(1)


# --------------------------------------------------------------------------- messages


def _message(kind: str, at: dt.datetime, *, user: str = "", anon: str = "", **fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"type": kind, "messageId": str(uuid.uuid4()), "timestamp": at.isoformat(), **fields}
    if user:
        message["userId"] = user
    if anon:
        message["anonymousId"] = anon
    return message


def identify(user: str, email: str, at: dt.datetime = NOW, *, anon: str = "", **traits: Any) -> dict[str, Any]:
    return _message("identify", at, user=user, anon=anon, traits={"email": email, **traits})


def track(name: str, at: dt.datetime = NOW, *, user: str = "", anon: str = "") -> dict[str, Any]:
    return _message("track", at, user=user, anon=anon, event=name)


def page(path: str, at: dt.datetime = NOW, *, user: str = "", anon: str = "") -> dict[str, Any]:
    return _message("page", at, user=user, anon=anon, properties={"path": path, "url": f"https://acme.example{path}"})


def ingest(*items: dict[str, Any], at: dt.datetime = NOW) -> None:
    """Deliver one batch as it arrives at `at` (the server's clock then)."""
    with clock.frozen(at):
        outcome = record(list(items), sent_with="test", received_at=at)
    assert outcome.rejected == [], outcome.rejected
    assert outcome.accepted + outcome.duplicates == len(items)


# --------------------------------------------------------------------------- expectations


def days(at: dt.datetime | dt.date) -> int:
    return domain.day_number(at)


def faded(points: Mapping[dt.date, float], at: dt.datetime, half_life: float = 30) -> float:
    """Points earned on each day (after daily caps), faded to `at`'s day: the docs' formula."""
    today = days(at)
    return sum(p * math.pow(2.0, (days(d) - today) / half_life) for d, p in points.items())


def approx(value: float) -> Any:
    """The stored score is the docs' formula read to the hundredth (half up), give or take the
    weights' rounding: at most 2^-21 of the points of each (rule, day)."""
    return pytest.approx(value, rel=0, abs=0.005 + 1e-4)


def assert_exact(contact: Contact, at: dt.datetime | None) -> domain.Interest:
    """The stored interest state is the one a full recompute from the contact's events gives on `at`
    (None: on the day it was scored), under the active playbook: mass, anchor, daily caps and
    score, to the bit."""
    contact.refresh_from_db()
    version = active_playbook()
    model = model_of(version)
    assert contact.scored_at is not None
    if at is not None:
        assert contact.scored_at == at
    today = days(at or contact.scored_at)
    expected = domain.recompute(model, contact_hits(model, contact.pk), today)
    assert contact.score_version_id == version.pk
    assert (contact.score.interest_mass, contact.score.interest_anchor, contact.score.interest_caps) == (
        expected.mass,
        expected.anchor,
        expected.as_json(),
    )
    assert contact.interest_score == model.value(expected.mass, expected.anchor, today)
    return expected


def activate(users: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> PlaybookVersion:
    """Draft the default playbook changed by `change`, have both sides sign it, and activate it.

    The rescore of everyone that activation queues runs after commit, which these tests never reach:
    contacts meet the new version through their next event, as they do before a worker gets to them."""
    data = yaml.safe_load(DEFAULT_SOURCE)
    change(data)
    draft = playbook_draft_create(source=yaml.safe_dump(data, sort_keys=False), acting_user=users["admin"])
    playbook_sign(version=draft, acting_user=users["marketing"])
    playbook_sign(version=draft, acting_user=users["sales_manager"])
    return playbook_activate(version=draft, acting_user=users["admin"])


def row(contact: Contact) -> dict[str, Any]:
    return dict(Contact.objects.filter(pk=contact.pk).values().get()) | dict(
        Score.objects.filter(contact_id=contact.pk).values().first() or {}
    )


@pytest.fixture
def acme(db: Any) -> Account:
    return Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")


@pytest.fixture
def ada(acme: Account) -> Contact:
    # Fit 75 (A): target industry 20, 200+ employees 20, director or above 25, territory 10.
    with clock.frozen(NOW - dt.timedelta(days=365)):  # a contact of long standing: the older in a merge
        return Contact.objects.create(
            email="ada@acme.com", title="VP Marketing", seniority="vp", account=acme, consent=True, stage="lead"
        )


ADA = "user-ada"


@pytest.fixture
def recomputed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The contacts the scoring step had to read the history of, in order (the O(1) path did not do)."""
    seen: list[int] = []
    real = scoring_actions.contacts_hits

    def spy(model: domain.Model, contact_ids: Collection[int]) -> dict[int, Hits]:
        seen.extend(sorted(contact_ids))
        return real(model, contact_ids)

    monkeypatch.setattr(scoring_actions, "contacts_hits", spy)
    return seen


# --------------------------------------------------------------------------- history joined late


@pytest.mark.django_db
def test_an_anonymous_visitors_earlier_pricing_views_count_once_they_identify(ada: Contact) -> None:
    ten, three = NOW - dt.timedelta(days=10), NOW - dt.timedelta(days=3)
    ingest(*[page("/pricing", ten, anon="browser-1") for _ in range(3)], page("/about", ten, anon="browser-1"), at=ten)
    ingest(page("/pricing", three, anon="browser-1"), at=three)
    assert Event.objects.filter(contact__isnull=True).count() == 5
    ada.refresh_from_db()
    assert (ada.interest_score, ada.scored_at) == (None, None)  # nobody to score yet

    # The same request carries one more anonymous view and then the identify that names the visitor.
    ingest(page("/pricing", NOW, anon="browser-1"), identify(ADA, "ada@acme.com", anon="browser-1"))

    assert Event.objects.filter(contact=ada).count() == 7
    assert not Event.objects.filter(contact__isnull=True).exists()
    expected = assert_exact(ada, NOW)
    # Three views ten days ago (10 each, at most 20 a day), one three days ago, one today.
    points = {ten.date(): 20, three.date(): 10, NOW.date(): 10}
    assert ada.interest_score == approx(faded(points, NOW))
    assert expected.caps == {"pricing_page": (days(NOW), 1)}
    change = ScoreChange.objects.get(contact=ada)
    assert (change.cause, change.previous_interest, change.interest_score) == (
        Cause.EVENT,
        None,
        ada.interest_score,
    )
    assert change.details == {"rules": {"pricing_page": 1}}

    # Later views from that browser, without a user id, are the contact's now: O(1) again.
    later = NOW + dt.timedelta(hours=2)
    ingest(page("/pricing", later, anon="browser-1"), at=later)
    assert_exact(ada, later)
    assert ada.interest_score == approx(faded({**points, NOW.date(): 20}, later))


@pytest.mark.django_db
def test_merging_two_contacts_scores_the_kept_one_on_both_histories(
    ada: Contact, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    five, sixty, one = (NOW - dt.timedelta(days=n) for n in (5, 60, 1))
    ingest(identify(ADA, "ada@acme.com", sixty), track("Webinar Attended", sixty, user=ADA), at=sixty)
    ingest(
        *[page("/pricing", five, user=ADA) for _ in range(2)],
        *[track("Email Opened", five, user=ADA) for _ in range(2)],
        at=five,
    )
    ingest(
        identify("user-ada-home", "ada.l@gmail.com", five),
        *[page("/pricing", five, user="user-ada-home") for _ in range(2)],
        *[track("Email Opened", five, user="user-ada-home") for _ in range(2)],
        at=five,
    )
    ingest(track("Webinar Attended", one, user="user-ada-home"), at=one)
    other = Contact.objects.get(email="ada.l@gmail.com")
    with clock.frozen(NOW):
        contacts_refresh(ids=[ada.pk, other.pk])
    ada.refresh_from_db()
    other.refresh_from_db()
    assert ada.interest_score == approx(faded({five.date(): 20 + 2, sixty.date(): 20}, NOW))
    assert other.interest_score == approx(faded({five.date(): 20 + 2, one.date(): 20}, NOW))
    assert (ada.stage, (ada.interest_score or 0) < 40) == ("lead", True)
    other_changes = set(ScoreChange.objects.filter(contact=other).values_list("pk", flat=True))

    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        kept = contact_merge(keep=ada, drop=other, acting_user=users["marketing"])

    assert kept.pk == ada.pk and not Contact.objects.filter(pk=other.pk).exists()
    assert_exact(ada, NOW)
    # The two histories share a day: four pricing views earn the day's cap of 20, not 40, and four
    # email opens earn 3, not 2 + 2.
    points = {five.date(): 20 + 3, sixty.date(): 20, one.date(): 20}
    assert ada.interest_score == approx(faded(points, NOW))
    # The merged interest passes 40 for an A: the refresh after the merge hands Ada over.
    assert ada.stage == "mql"
    move = StageChange.objects.get(contact=ada, to_stage="mql")
    assert move.details["score"]["interest"]["score"] == round(ada.interest_score or 0, 2)
    moved = ScoreChange.objects.filter(pk__in=other_changes)
    assert set(moved.values_list("contact_id", "merged_from")) == {(ada.pk, other.pk)}
    last = ScoreChange.objects.filter(contact=ada, merged_from=None).latest("id")
    assert (last.previous_interest, last.interest_score) == (
        approx(faded({five.date(): 20 + 2, sixty.date(): 20}, NOW)),
        ada.interest_score,
    )


@pytest.mark.django_db
def test_an_identify_that_joins_two_contacts_scores_the_kept_one_on_both_histories(ada: Contact) -> None:
    two = NOW - dt.timedelta(days=2)
    ingest(identify(ADA, "ada@acme.com", two), *[page("/pricing", two, user=ADA) for _ in range(3)], at=two)
    # A second user id that Accord has not seen makes a second contact, with its own history.
    ingest(track("Webinar Attended", two, user="crm-17"), page("/pricing", two, user="crm-17"), at=two)
    stray = Contact.objects.get(identities__value="crm-17")
    assert stray.pk != ada.pk
    # Now the CRM id identifies with Ada's email: the two are one person; the older contact stays.
    ingest(identify("crm-17", "ada@acme.com"), track("Email Clicked", user="crm-17"))
    assert not Contact.objects.filter(pk=stray.pk).exists()
    assert_exact(ada, NOW)
    points = {two.date(): 20 + 20, NOW.date(): 3}  # four pricing views capped at 20, the webinar, the click
    assert ada.interest_score == approx(faded(points, NOW))


# --------------------------------------------------------------------------- late and out of order


@pytest.mark.django_db
def test_late_and_out_of_order_events_across_anchors_leave_exactly_the_recomputed_state(
    ada: Contact, recomputed: list[int]
) -> None:
    def on(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)

    # Arrives 1 Nov: views of 30 Oct (capped) and a demo on the day. Anchor: the lattice day after, 3 Nov.
    first = on("2026-11-01T12:00")
    ingest(
        identify(ADA, "ada@acme.com", first),
        *[page("/pricing", on("2026-10-30T09:00"), user=ADA) for _ in range(3)],
        track("Demo Requested", first, user=ADA),
        at=first,
    )
    state = assert_exact(ada, first)
    assert state.anchor == days(dt.date(2026, 11, 3))
    points: dict[dt.date, float] = {dt.date(2026, 10, 30): 20, dt.date(2026, 11, 1): 50}
    assert ada.interest_score == approx(faded(points, first))

    # Arrives 5 Nov: a webinar of 4 Nov (past the anchor: the history is read and the anchor moves
    # four half-lives on) and an email click from 1 July that the sender held back for months.
    recomputed.clear()
    second = on("2026-11-05T09:00")
    ingest(
        track("Webinar Attended", on("2026-11-04T18:00"), user=ADA),
        track("Email Clicked", on("2026-07-01T08:00"), user=ADA),
        at=second,
    )
    assert recomputed == [ada.pk]
    state = assert_exact(ada, second)
    assert state.anchor == days(dt.date(2027, 3, 3))
    points.update({dt.date(2026, 11, 4): 20, dt.date(2026, 7, 1): 3})
    assert ada.interest_score == approx(faded(points, second))

    # Arrives 6 Nov, late and uncapped: a demo of 20 October is one O(1) addition, no history.
    recomputed.clear()
    third = on("2026-11-06T10:00")
    ingest(track("Demo Requested", on("2026-10-20T10:00"), user=ADA), at=third)
    assert recomputed == []
    assert_exact(ada, third)
    points[dt.date(2026, 10, 20)] = 50

    # Then, out of order: a view of 6 Nov, one of 5 Nov (an earlier day of a capped rule: the
    # history is read) and a fourth view of 30 Oct (over that day's cap: worth nothing).
    recomputed.clear()
    ingest(
        page("/pricing", on("2026-11-06T08:00"), user=ADA),
        page("/pricing", on("2026-11-05T23:59"), user=ADA),
        page("/pricing", on("2026-10-30T10:00"), user=ADA),
        at=third,
    )
    assert recomputed == [ada.pk]
    state = assert_exact(ada, third)
    assert state.caps == {
        "pricing_page": (days(dt.date(2026, 11, 6)), 1),
        "email_click": (days(dt.date(2026, 7, 1)), 1),
    }
    points.update({dt.date(2026, 11, 6): 10, dt.date(2026, 11, 5): 10})
    assert ada.interest_score == approx(faded(points, third))

    # Four months on, an event past the anchor again and a late one from the first week.
    fourth = on("2027-03-10T12:00")
    ingest(
        track("Email Opened", on("2027-03-04T07:00"), user=ADA),
        track("Webinar Attended", on("2026-11-02T10:00"), user=ADA),
        at=fourth,
    )
    state = assert_exact(ada, fourth)
    assert state.anchor == days(dt.date(2027, 7, 1))
    points.update({dt.date(2027, 3, 4): 1, dt.date(2026, 11, 2): 20})
    assert ada.interest_score == approx(faded(points, fourth))


LATE_KINDS = {
    "pricing": lambda at, user: page("/pricing", at, user=user),
    "about": lambda at, user: page("/about", at, user=user),
    "demo": lambda at, user: track("Demo Requested", at, user=user),
    "open": lambda at, user: track("Email Opened", at, user=user),
    "unsubscribe": lambda at, user: track("Unsubscribed", at, user=user),
    "login": lambda at, user: track("Logged In", at, user=user),
}
LATE_KINDS_SCORED = {kind: kind not in ("about", "login") for kind in LATE_KINDS}
deliveries = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=90),  # days since the previous delivery
        st.lists(
            st.tuples(st.sampled_from(sorted(LATE_KINDS)), st.integers(min_value=0, max_value=200)),  # days late
            min_size=1,
            max_size=6,
        ),
        st.booleans(),  # send one of the previous messages again
    ),
    min_size=1,
    max_size=6,
)


def _expire_after_30(data: dict[str, Any]) -> None:
    del data["interest"]["half_life_days"]
    data["interest"]["expire_after_days"] = 30


@pytest.fixture(params=["half_life_days: 30", "expire_after_days: 30"])
def decay(request: pytest.FixtureRequest, users: dict[str, Any]) -> str:
    if request.param.startswith("expire"):
        activate(users, _expire_after_30)
    return str(request.param)


@pytest.mark.django_db
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=deliveries)
def test_any_sequence_of_late_repeated_and_out_of_order_deliveries_stays_exact(
    acme: Account, decay: str, plan: Any
) -> None:
    user = f"prop-{next(_ids)}"
    at = NOW - dt.timedelta(days=300)
    ingest(identify(user, f"{user}@acme.com", at, seniority="vp"), at=at)
    contact = Contact.objects.get(email=f"{user}@acme.com")
    sent: list[dict[str, Any]] = []
    for gap, events, repeat in plan:
        at += dt.timedelta(days=gap, hours=1)
        batch = [LATE_KINDS[kind](at - dt.timedelta(days=late, minutes=late), user) for kind, late in events]
        if repeat and sent:
            batch.append(sent[len(sent) // 2])
        sent.extend(batch)
        ingest(*batch, at=at)
        # Events no rule matches leave the contact as it was: its score is the one of the day it was
        # scored (the daily decay refreshes it), still exactly the recompute of that day.
        scored = any(LATE_KINDS_SCORED[kind] for kind, _ in events)
        assert_exact(contact, at if scored else None)
    assert Event.objects.filter(contact=contact).count() == 1 + len({m["messageId"] for m in sent})


# --------------------------------------------------------------------------- expiry instead of half-life


@pytest.mark.django_db
def test_with_an_expiry_window_points_count_in_full_then_vanish(ada: Contact, users: dict[str, Any]) -> None:
    activate(users, _expire_after_30)
    start = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)

    def day(n: int, hour: int = 12) -> dt.datetime:
        return start + dt.timedelta(days=n, hours=hour - 12)

    ingest(identify(ADA, "ada@acme.com", day(0)), page("/pricing", day(0), user=ADA), at=day(0))
    ingest(track("Demo Requested", day(5), user=ADA), at=day(5))
    ingest(track("Email Opened", day(29), user=ADA), at=day(29))
    assert_exact(ada, day(29))
    assert ada.interest_score == 10 + 50 + 1  # day 0 still counts on its 30th day
    assert ada.score.interest_anchor == days(day(0))

    # On day 30 the first view is gone, with no event to trigger it: a refresh reads the history.
    with clock.frozen(day(30)):
        contacts_refresh(ids=[ada.pk])
    assert_exact(ada, day(30))
    assert (ada.interest_score, ada.score.interest_anchor) == (50 + 1, days(day(5)))

    # Day 36: the demo is gone too; a webinar arrives.
    ingest(track("Webinar Attended", day(36), user=ADA), at=day(36))
    assert_exact(ada, day(36))
    assert (ada.interest_score, ada.score.interest_anchor) == (1 + 20, days(day(29)))
    changes = ScoreChange.objects.filter(contact=ada).count()

    # A demo of day 2 arriving now is long expired: it never counts, and nothing is written.
    ingest(track("Demo Requested", day(2), user=ADA), at=day(36, hour=15))
    assert_exact(ada, day(36, hour=15))
    assert ada.interest_score == 21
    assert ScoreChange.objects.filter(contact=ada).count() == changes

    # A view of day 10 arriving now still counts for another four days, and moves the anchor back.
    ingest(page("/pricing", day(10), user=ADA), at=day(36, hour=16))
    assert_exact(ada, day(36, hour=16))
    assert (ada.interest_score, ada.score.interest_anchor) == (31, days(day(10)))

    # Day 40: that view has expired; a new event finds the state stale and recomputes.
    ingest(page("/pricing", day(40), user=ADA), at=day(40))
    assert_exact(ada, day(40))
    assert (ada.interest_score, ada.score.interest_anchor) == (1 + 20 + 10, days(day(29)))
    # Day 70: everything but the view of day 40 has expired.
    ingest(track("Email Clicked", day(70), user=ADA), at=day(70))
    assert_exact(ada, day(70))
    assert (ada.interest_score, ada.score.interest_anchor) == (3, days(day(70)))


# --------------------------------------------------------------------------- a new playbook version


def _version_two(data: dict[str, Any]) -> None:
    rules = data["interest"]["rules"]
    pricing = next(r for r in rules if r["key"] == "pricing_page")
    pricing.update(points=25, max_per_day=50)
    rules[:] = [r for r in rules if r["key"] != "demo_request"]
    rules.append(
        {
            "key": "customer_stories",
            "label": "Read customer stories",
            "event": "page",
            "when": {"field": "event.path", "op": "starts_with", "value": "/customers"},
            "points": 5,
        }
    )
    data["fit"]["grades"] = {"A": 80, "B": 50, "C": 30}


@pytest.mark.django_db
def test_a_contact_scored_under_an_old_version_is_rescored_in_full_by_its_next_event(
    ada: Contact, users: dict[str, Any]
) -> None:
    Contact.objects.filter(pk=ada.pk).update(consent=False)  # no MQL in the way
    one, two = NOW - dt.timedelta(days=1), NOW - dt.timedelta(days=2)
    ingest(
        identify(ADA, "ada@acme.com", two),
        *[page("/pricing", two, user=ADA) for _ in range(3)],
        track("Demo Requested", one, user=ADA),
        page("/customers/acme", one, user=ADA),
        at=one,
    )
    v1 = active_playbook()
    ada.refresh_from_db()
    assert (ada.score_version_id, ada.fit_grade) == (v1.pk, "A")
    assert ada.interest_score == approx(faded({two.date(): 20, one.date(): 50}, one))
    before = ada.interest_score

    v2 = activate(users, _version_two)
    ingest(track("Email Opened", user=ADA))

    assert_exact(ada, NOW)
    assert ada.score_version_id == v2.pk
    assert (ada.fit_score, ada.fit_grade, ada.quadrant) == (75, "B", "ready")
    # Under version 2: three views at 25 (at most 50 a day), no points for demos, 5 for the
    # customer story, 1 for today's open.
    assert ada.interest_score == approx(faded({two.date(): 50, one.date(): 5, NOW.date(): 1}, NOW))
    assert ada.score.interest_caps == {"email_open": [days(NOW), 1], "pricing_page": [days(two), 3]}
    change = ScoreChange.objects.filter(contact=ada).latest("id")
    assert (change.playbook_version_id, change.cause) == (v2.pk, Cause.EVENT)
    assert (change.previous_grade, change.fit_grade, change.previous_interest) == ("A", "B", before)


# --------------------------------------------------------------------------- stage rules


def _recycle(contact: Contact, users: dict[str, Any]) -> None:
    with clock.frozen(NOW - dt.timedelta(days=1)):
        contact_change_stage(contact=contact, to_stage="recycled", acting_user=users["marketing"], reason="not_ready")


@pytest.mark.django_db
def test_a_recycled_contact_qualifies_again_through_interest_when_the_playbook_says_so(
    ada: Contact, users: dict[str, Any]
) -> None:
    ingest(identify(ADA, "ada@acme.com", NOW - dt.timedelta(days=2)), at=NOW - dt.timedelta(days=2))
    _recycle(ada, users)
    ingest(track("Demo Requested", user=ADA))
    ada.refresh_from_db()
    assert ada.stage == "mql"
    move = StageChange.objects.filter(contact=ada).latest("id")
    assert (move.from_stage, move.to_stage, move.by_rule, move.kind) == ("recycled", "mql", "mql", "advance")
    assert move.details["score"]["interest"]["score"] == 50.0


@pytest.mark.django_db
def test_interest_below_the_mql_rule_leaves_a_recycled_contact_recycled(ada: Contact, users: dict[str, Any]) -> None:
    ingest(identify(ADA, "ada@acme.com", NOW - dt.timedelta(days=2)), at=NOW - dt.timedelta(days=2))
    _recycle(ada, users)
    ingest(track("Email Opened", user=ADA))  # interest 1: far from the MQL rule
    ada.refresh_from_db()
    assert (ada.stage, ada.interest_score) == ("recycled", approx(1))


@pytest.mark.django_db
def test_a_recycled_contact_stays_recycled_when_the_playbook_does_not_requalify(
    ada: Contact, users: dict[str, Any]
) -> None:
    activate(users, lambda data: data["mql"].update(requalify_recycled=False))
    ingest(identify(ADA, "ada@acme.com", NOW - dt.timedelta(days=2)), at=NOW - dt.timedelta(days=2))
    _recycle(ada, users)
    moves = StageChange.objects.count()
    ingest(track("Demo Requested", user=ADA), track("Webinar Attended", user=ADA))
    ada.refresh_from_db()
    assert (ada.stage, ada.interest_score, ada.fit_grade, ada.quadrant) == ("recycled", approx(70), "A", "ready")
    assert StageChange.objects.count() == moves


@pytest.mark.django_db
def test_consent_false_blocks_the_mql_until_consent_is_given(ada: Contact) -> None:
    Contact.objects.filter(pk=ada.pk).update(consent=False)
    ingest(identify(ADA, "ada@acme.com"), track("Demo Requested", user=ADA))
    ada.refresh_from_db()
    assert (ada.fit_grade, ada.interest_score, ada.quadrant, ada.stage) == ("A", approx(50), "ready", "lead")
    assert not StageChange.objects.filter(contact=ada).exists()
    # Consent given in a later identify: no new interest, but the stage rules look again.
    later = NOW + dt.timedelta(minutes=5)
    ingest(identify(ADA, "ada@acme.com", later, consent=True), at=later)
    ada.refresh_from_db()
    assert (ada.consent, ada.stage) == (True, "mql")


@pytest.mark.django_db
def test_exactly_the_mql_threshold_earned_today_qualifies(ada: Contact) -> None:
    # 119 days before the anchor of 3 November: the fixed-point mass reads 40 points as 39.99998.
    on = dt.datetime(2026, 7, 7, 10, 0, tzinfo=dt.UTC)
    ingest(
        identify(ADA, "ada@acme.com", on),
        track("Webinar Attended", on, user=ADA),
        *[page("/pricing", on, user=ADA) for _ in range(2)],
        at=on,
    )
    ada.refresh_from_db()
    assert (ada.fit_grade, ada.interest_score, ada.quadrant, ada.stage) == ("A", 40.0, "ready", "mql")


def _mql_on_fit_points(data: dict[str, Any]) -> None:
    data["fit"]["grades"] = {"A": 40, "B": 30, "C": 20}
    data["mql"]["when"] = {
        "all": [
            {"field": "score.fit", "op": "gte", "value": 70},
            {"field": "score.interest", "op": "gte", "value": 10},
            {"field": "contact.consent", "op": "ne", "value": False},
        ]
    }


@pytest.mark.django_db
def test_fit_points_rising_within_a_grade_through_an_identify_make_an_mql(ada: Contact, users: dict[str, Any]) -> None:
    activate(users, _mql_on_fit_points)
    Contact.objects.filter(pk=ada.pk).update(seniority="manager")
    ingest(identify(ADA, "ada@acme.com"), track("Demo Requested", user=ADA))
    ada.refresh_from_db()
    assert (ada.fit_score, ada.fit_grade, ada.stage) == (50, "A", "lead")  # fit below the rule's 70
    # The identify says Ada is a VP now: 25 more fit points, the same grade, the same interest.
    later = NOW + dt.timedelta(minutes=10)
    ingest(identify(ADA, "ada@acme.com", later, seniority="vp"), at=later)
    ada.refresh_from_db()
    assert (ada.fit_score, ada.fit_grade, ada.stage) == (75, "A", "mql")
    move = StageChange.objects.get(contact=ada, to_stage="mql")
    assert (move.by_rule, move.details["score"]["fit"]["score"]) == ("mql", 75)


@pytest.mark.django_db
def test_a_contact_without_an_account_is_graded_on_contact_rules_only(
    users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        kim = contact_create(
            data={
                "email": "kim@nowhere.example",
                "title": "Marketing Director",
                "seniority": "director",
                "consent": True,
            },
            acting_user=users["marketing"],
        )
    kim.refresh_from_db()
    assert kim.account_id is None
    # Director or above 25; no account rule holds, not even "fewer than 20 employees" (-15).
    assert (kim.fit_score, kim.fit_grade, kim.persona, kim.quadrant) == (25, "C", "marketing_leader", "low")
    change = ScoreChange.objects.get(contact=kim)
    assert (change.cause, change.previous_fit_score, change.fit_score, change.previous_interest) == (
        Cause.PROFILE,
        None,
        25,
        None,
    )
    ingest(identify("user-kim", "kim@nowhere.example"), track("Demo Requested", user="user-kim"))
    kim.refresh_from_db()
    assert (kim.fit_grade, kim.interest_score, kim.quadrant, kim.stage) == ("C", approx(50), "check_fit", "subscriber")


@pytest.mark.django_db
def test_the_mql_keeps_the_breakdown_of_its_moment_while_scores_move_on(
    ada: Contact, acme: Account, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    ingest(identify(ADA, "ada@acme.com"), page("/pricing", user=ADA), track("Demo Requested", user=ADA))
    move = StageChange.objects.get(contact=ada, to_stage="mql")
    kept = copy.deepcopy(move.details)
    score = kept["score"]
    assert (score["as_of"], score["quadrant"], score["fit"]["score"], score["interest"]["score"]) == (
        NOW.isoformat(),
        "ready",
        75,
        60,
    )
    assert [(c["rule"], c["points"], c["now"]) for c in score["interest"]["contributions"]] == [
        ("demo_request", 50, 50.0),
        ("pricing_page", 10, 10.0),
    ]
    assert kept["criteria"]["ok"] is True

    later = NOW + dt.timedelta(days=20)
    ingest(track("Unsubscribed", later, user=ADA), at=later)
    with clock.frozen(later), django_capture_on_commit_callbacks(execute=True):
        account_update(account=acme, data={"employees": 10}, acting_user=users["admin"])
        contact_update(contact=ada, data={"title": "Student"}, acting_user=users["admin"])
    ada.refresh_from_db()
    assert (ada.fit_score, ada.fit_grade) == (40, "B")
    assert ada.interest_score == approx(60 * 2 ** (-20 / 30) - 20)
    move.refresh_from_db()
    assert move.details == kept


# --------------------------------------------------------------------------- the score history


@pytest.mark.django_db
def test_a_score_change_is_written_only_when_something_noticeable_changed(ada: Contact) -> None:
    def changes() -> list[tuple[Any, ...]]:
        return list(
            ScoreChange.objects.filter(contact=ada)
            .order_by("id")
            .values_list("cause", "previous_fit_score", "fit_score", "previous_interest", "interest_score", "details")
        )

    ingest(identify(ADA, "ada@acme.com"))
    assert changes() == [(Cause.PROFILE, None, 75, None, 0.0, {})]
    scored_at = row(ada)["scored_at"]

    # Events no rule matches do not touch the scores at all.
    later = NOW + dt.timedelta(minutes=30)
    ingest(page("/about", later, user=ADA), track("Logged In", later, user=ADA), at=later)
    assert len(changes()) == 1
    assert row(ada)["scored_at"] == scored_at

    ingest(page("/pricing", later, user=ADA), page("/pricing", later, user=ADA), at=later)
    assert changes()[1:] == [(Cause.EVENT, 75, 75, 0.0, approx(20), {"rules": {"pricing_page": 2}})]
    # Over the day's cap the views match a rule but change nothing noticeable.
    ingest(*[page("/pricing", later, user=ADA) for _ in range(3)], at=later)
    # The same identify again: nothing new.
    ingest(identify(ADA, "ada@acme.com", later), at=later)
    assert len(changes()) == 2

    ingest(track("Unsubscribed", later, user=ADA), at=later)
    assert changes()[2:] == [(Cause.EVENT, 75, 75, approx(20), 0.0, {"rules": {"unsubscribe": 1}})]
    # Below zero the score stays 0: no change to record, though the loss is kept in the total.
    ingest(track("Unsubscribed", later, user=ADA), at=later)
    assert len(changes()) == 3
    ingest(track("Demo Requested", later, user=ADA), at=later)
    assert changes()[3:] == [(Cause.EVENT, 75, 75, 0.0, approx(30), {"rules": {"demo_request": 1}})]
    assert_exact(ada, later)


@pytest.mark.django_db
def test_interest_moving_by_one_hundredth_is_noticed_whatever_its_float_noise(ada: Contact) -> None:
    ingest(identify(ADA, "ada@acme.com"))

    def interests() -> list[tuple[float | None, float]]:
        return list(
            ScoreChange.objects.filter(contact=ada, cause=Cause.EVENT)
            .order_by("id")
            .values_list("previous_interest", "interest_score")
        )

    # Email opens held back for months: 1 point from 180 days ago is worth 2^-6 today, read 0.02.
    ingest(track("Email Opened", NOW - dt.timedelta(days=180), user=ADA))
    assert interests() == [(0.0, 0.02)]
    # One from 200 days ago adds 0.0098: 0.03, one hundredth more (0.03 - 0.02 < 0.01 in floats).
    ingest(track("Email Opened", NOW - dt.timedelta(days=200), user=ADA))
    assert interests() == [(0.0, 0.02), (0.02, 0.03)]
    # One from 300 days ago adds 0.001: still 0.03, nothing to note.
    ingest(track("Email Opened", NOW - dt.timedelta(days=300), user=ADA))
    assert interests() == [(0.0, 0.02), (0.02, 0.03)]
    assert_exact(ada, NOW)


# --------------------------------------------------------------------------- refused batches


def explode(accepted: pipeline.Accepted) -> None:
    """A pipeline step that fails after scoring has run (a bug in a later step, a lost connection)."""
    raise RuntimeError("the next step failed")


@pytest.fixture
def exploding_step(settings: Any) -> Iterator[None]:
    settings.ACCORD_EVENT_STEPS = [
        "accord.scoring.pipeline.events_accepted",
        "accord.scoring.tests.test_engine_edges.explode",
    ]
    pipeline.steps.cache_clear()
    yield
    pipeline.steps.cache_clear()


@pytest.mark.django_db
def test_a_refused_batch_writes_nothing(ada: Contact, users: dict[str, Any]) -> None:
    ingest(identify(ADA, "ada@acme.com", NOW - dt.timedelta(days=1)), at=NOW - dt.timedelta(days=1))
    before = row(ada)
    counts = (Event.objects.count(), ScoreChange.objects.count(), StageChange.objects.count())

    # Every message invalid: nothing stored, nobody scored.
    with clock.frozen(NOW):
        outcome = record(
            [
                {"type": "track", "userId": ADA, "timestamp": NOW.isoformat()},
                {"type": "page", "userId": ADA, "timestamp": "yesterday"},
            ],
            sent_with="test",
        )
    assert (outcome.accepted, [i for i, _ in outcome.rejected]) == (0, [0, 1])
    # Too many messages, or no key: refused whole.
    one = b'{"type": "track", "event": "Demo Requested", "userId": "user-ada"}'
    body = b'{"batch": [' + b",".join([one] * (MAX_BATCH_EVENTS + 1)) + b"]}"
    with clock.frozen(NOW):
        assert handle(IngestRequest(endpoint="batch", body=body)).status == 401
        answer = handle(IngestRequest(endpoint="batch", body=body, authorization=f"Bearer {_track_key(users)}"))
    assert (answer.status, answer.body["code"]) == (400, "too_many_events")

    assert row(ada) == before
    assert (Event.objects.count(), ScoreChange.objects.count(), StageChange.objects.count()) == counts


def _track_key(users: dict[str, Any]) -> str:
    from accord.accounts.actions import apikey_create

    return apikey_create(name="site", scopes="server", acting_user=users["admin"])[1]


@pytest.mark.django_db
def test_a_batch_that_fails_after_scoring_leaves_no_score_change_and_no_stage_change(
    ada: Contact, exploding_step: None
) -> None:
    given_scores(ada, fit_score=75, fit_grade="A")
    before = row(ada)
    counts = (Event.objects.count(), ScoreChange.objects.count(), StageChange.objects.count())
    with clock.frozen(NOW), pytest.raises(RuntimeError, match="the next step failed"):
        record([identify(ADA, "ada@acme.com"), track("Demo Requested", user=ADA)], sent_with="test", received_at=NOW)
    assert row(ada) == before
    assert (Event.objects.count(), ScoreChange.objects.count(), StageChange.objects.count()) == counts
    assert not ada.identities.exists()


# --------------------------------------------------------------------------- two requests at once


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_for_the_same_contacts_end_in_the_recomputed_state() -> None:
    Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    people = [(f"conc-{n}", f"person{n}@acme.com") for n in range(3)]
    rng = random.Random(20261102)
    kinds = ["pricing", "pricing", "demo", "open", "unsubscribe", "about"]

    def batches() -> list[list[dict[str, Any]]]:
        made = []
        for _ in range(12):
            batch = []
            for user, email in people:
                if rng.random() < 0.3:
                    batch.append(identify(user, email, NOW - dt.timedelta(days=rng.randint(0, 10)), seniority="vp"))
                for _ in range(rng.randint(1, 4)):
                    late = dt.timedelta(days=rng.choice([0, 1, 2, 40, 125, 130, 240]), minutes=rng.randint(0, 600))
                    batch.append(LATE_KINDS[rng.choice(kinds)](NOW - late, user))
            made.append(batch)
        return made

    # Both requests start by identifying the same three new people: one creates each contact, the
    # other finds the key taken, rolls back and tries again. Some messages are sent by both.
    opening = [identify(user, email, NOW - dt.timedelta(days=250)) for user, email in people]
    plans = [[opening, *batches()], [opening, *batches()]]
    shared = [page("/pricing", NOW - dt.timedelta(days=3), user=user) for user, _ in people]
    plans[0].insert(3, shared)
    plans[1].insert(5, shared)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(plan: list[list[dict[str, Any]]]) -> None:
        try:
            start.wait(timeout=10)
            for batch in plan:
                outcome = record(batch, sent_with="test", received_at=NOW)
                assert outcome.rejected == []
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    with clock.frozen(NOW):
        threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)

    messages = {m["messageId"] for plan in plans for batch in plan for m in batch}
    assert Event.objects.count() == len(messages)
    contacts = list(Contact.objects.order_by("email"))
    assert [c.email for c in contacts] == [email for _, email in people]
    for contact in contacts:
        assert_exact(contact, NOW)
        assert contact.fit_grade == "A"
    assert sum(c.interest_score or 0 for c in contacts) > 0


_held_stored, _other_done = threading.Event(), threading.Event()


def hold_the_request(accepted: pipeline.Accepted) -> None:
    """A pipeline step that keeps the request of the thread named "held" open (its events stored,
    not committed) until the other request is done, or for two seconds when the other request has
    to wait for this one (SQLite takes the write lock when a transaction begins)."""
    if threading.current_thread().name == "held":
        _held_stored.set()
        _other_done.wait(timeout=2)


@pytest.fixture
def held_request(settings: Any) -> Iterator[None]:
    settings.ACCORD_EVENT_STEPS = [
        "accord.scoring.pipeline.events_accepted",
        "accord.scoring.tests.test_engine_edges.hold_the_request",
    ]
    pipeline.steps.cache_clear()
    _held_stored.clear()
    _other_done.clear()
    yield
    pipeline.steps.cache_clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("held", ["visitor", "identify"])
def test_a_view_stored_while_its_visitor_identifies_is_linked_and_counts(held_request: None, held: str) -> None:
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    Contact.objects.create(email="ada@acme.com", seniority="vp", account=acme, consent=True, stage="lead")
    view = [page("/pricing", NOW, anon="browser-9")]
    naming = [identify(ADA, "ada@acme.com", anon="browser-9")]
    first, second = (view, naming) if held == "visitor" else (naming, view)
    errors: list[BaseException] = []

    def run(batch: list[dict[str, Any]], *, wait: bool) -> None:
        try:
            if wait:
                _held_stored.wait(timeout=5)
            record(batch, sent_with="test", received_at=NOW)
            if wait:
                _other_done.set()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    with clock.frozen(NOW):
        threads = [
            threading.Thread(target=run, args=(first,), kwargs={"wait": False}, name="held"),
            threading.Thread(target=run, args=(second,), kwargs={"wait": True}, name="other"),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    ada = Contact.objects.get(email="ada@acme.com")
    assert sorted(Event.objects.values_list("type", "contact_id")) == [("identify", ada.pk), ("page", ada.pk)]
    assert_exact(ada, None)
    assert ada.interest_score == approx(10)
