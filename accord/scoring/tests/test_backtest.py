"""Backtesting a draft playbook: the replay rules without a database (table-driven, and a property:
the vectorised first day a contact qualifies equals a plain per-contact replay with the domain's
own functions), then the whole backtest on a database, the `accord playbook backtest` command
and the backtest page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.playbook.domain import conditions
from accord.playbook.domain.document import parse, validate
from accord.scoring import domain, frames, replay
from accord.scoring.domain import Model
from accord.scoring.replay import Group, Window
from accord.scoring.tests import test_domain

DEFAULT = parse((Path(__file__).parents[2] / "playbook" / "default.yaml").read_text())
MODEL = Model.of(DEFAULT)
D0 = domain.day_number(dt.date(2026, 3, 2))  # a Monday


def rule_index(model: Model, key: str) -> int:
    return next(i for i, r in enumerate(model.interest_rules) if r.key == key)


def hits_frame(model: Model, rows: list[tuple[int, str, int]]) -> pl.DataFrame:
    """(contact_id, rule key, day) rows as `frames.event_hits` gives them."""
    return pl.DataFrame(
        [(c, rule_index(model, key), day) for c, key, day in rows],
        schema=frames.HITS_SCHEMA,
        orient="row",
    )


def playbook_with(**sections: Any) -> Any:
    data = json.loads(json.dumps(DEFAULT.data))
    for name, value in sections.items():
        data[name] = value
    return validate(data)


# --------------------------------------------------------------------------- interest, day by day


def test_daily_points_cap_each_rule_per_day_and_add_the_rules():
    # pricing_page: 10 a view, at most 20 a day; email_open: 1, at most 3; demo_request: 50, no cap.
    hits = hits_frame(
        MODEL,
        [
            *[(1, "pricing_page", D0)] * 5,  # 50 capped to 20
            *[(1, "email_open", D0)] * 2,  # 2
            (1, "demo_request", D0 + 1),
            (1, "unsubscribe", D0 + 1),  # 50 - 20
            (2, "email_open", D0 + 3),
            (2, "email_open", D0 + 40),  # after `until`
        ],
    )
    daily = replay.daily_points(MODEL, hits, until=D0 + 30)
    assert daily.rows() == [(1, D0, 22), (1, D0 + 1, 30), (2, D0 + 3, 1)]


@pytest.mark.parametrize(
    ("interest", "points", "expected"),
    [
        # Half-life 30 days: 50 points on day 0 are worth 25 on day 30, plus the 10 earned that day.
        ({"half_life_days": 30, "max_points": 200}, [(0, 50), (30, 10)], [50.0, 35.0]),
        # Negative points never take the score below zero, and what is left later can stay at zero.
        (
            {"half_life_days": 30},
            [(0, 10), (1, -40), (2, 20)],
            [10.0, 0.0, 20.0 + (10 * 2 ** (-2 / 30) - 40 * 2 ** (-1 / 30))],
        ),
        # max_points clamps the sum.
        ({"half_life_days": 30, "max_points": 60}, [(0, 50), (0 + 1, 50)], [50.0, 60.0]),
        # Expiry after 10 days: points count in full for 10 days, then not at all.
        ({"expire_after_days": 10}, [(0, 50), (9, 10), (10, 5), (25, 1)], [50.0, 60.0, 15.0, 1.0]),
    ],
)
def test_interest_on_each_event_day_is_the_decayed_sum_clamped(interest, points, expected):
    model = Model.of(
        playbook_with(interest={**interest, "rules": [{"key": "any", "event": "X", "points": 1, "max_per_day": 100}]})
    )
    daily = pl.DataFrame(
        {"contact_id": [7] * len(points), "day": [D0 + d for d, _ in points], "points": [p for _, p in points]},
        schema={"contact_id": pl.Int64, "day": pl.Int32, "points": pl.Int64},
    )
    found = replay.interest_on_days(model, daily)
    assert found["day"].to_list() == [D0 + d for d, _ in points]
    assert found["interest"].to_list() == pytest.approx([max(0.0, v) for v in expected], abs=1e-9)


def test_interest_chunks_of_pairs_give_the_same_sums(monkeypatch):
    rows = [
        (c, key, D0 + (c * 7 + i * 3) % 90)
        for c in range(1, 30)
        for i, key in enumerate(["pricing_page", "demo_request", "email_click"] * 4)
    ]
    daily = replay.daily_points(MODEL, hits_frame(MODEL, rows), until=D0 + 200)
    whole = replay.interest_on_days(MODEL, daily)
    monkeypatch.setattr(replay, "PAIR_CHUNK", 5)
    assert replay.interest_on_days(MODEL, daily).equals(whole)


# --------------------------------------------------------------------------- qualifying


def fit_rows(model: Model, profiles: dict[int, dict[str, Any]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The fit frame and the other facts of some contacts, from plain fact mappings."""
    ids = sorted(profiles)
    fit = pl.DataFrame(
        {
            "contact_id": ids,
            "fit_score": [model.fit(profiles[i]).score for i in ids],
            "fit_grade": [model.fit(profiles[i]).grade for i in ids],
            "persona": [model.fit(profiles[i]).persona for i in ids],
        },
        schema={"contact_id": pl.Int64, "fit_score": pl.Int64, "fit_grade": pl.String, "persona": pl.String},
    )
    facts = pl.DataFrame(
        {"contact_id": ids, "contact.consent": [profiles[i].get("contact.consent") for i in ids]},
        schema={"contact_id": pl.Int64, "contact.consent": pl.Boolean},
    )
    return fit, facts


A_PROFILE = {
    "contact.seniority": "vp",
    "account.industry": "Software",
    "account.employees": 500,
    "account.country": "US",
    "contact.consent": True,
}  # fit 75: grade A


def first_days(
    playbook: Any, rows: list[tuple[int, str, int]], profiles: dict[int, dict[str, Any]], until: int
) -> dict[int, int]:
    model = Model.of(playbook)
    daily = replay.daily_points(model, hits_frame(model, rows), until=until)
    fit, facts = fit_rows(model, profiles)
    return dict(replay.first_days(model, playbook, daily, fit, facts).rows())


def test_a_contact_qualifies_on_the_first_event_day_the_mql_rule_holds():
    rows = [
        (1, "email_click", D0),  # 3
        (1, "pricing_page", D0 + 2),  # 10 + 3·2^(-2/30)
        (1, "demo_request", D0 + 5),  # ≥ 40 now
        (1, "demo_request", D0 + 9),
        (2, "demo_request", D0 + 1),  # grade C: never
        (3, "demo_request", D0 + 1),  # refused consent: never
        (4, "pricing_page", D0 + 3),  # never enough interest
    ]
    profiles = {
        1: A_PROFILE,
        2: {**A_PROFILE, "contact.seniority": "manager", "account.employees": 50},  # 20 + 10 = 30: C
        3: {**A_PROFILE, "contact.consent": False},
        4: A_PROFILE,
    }
    assert first_days(DEFAULT, rows, profiles, until=D0 + 30) == {1: D0 + 5}
    # The window's end bounds the history read.
    assert first_days(DEFAULT, rows, profiles, until=D0 + 4) == {}


def test_a_playbook_without_an_mql_rule_qualifies_nobody():
    data = json.loads(json.dumps(DEFAULT.data))
    del data["mql"]
    playbook = validate(data)
    assert replay.qualification_expr(playbook) is None
    assert first_days(playbook, [(1, "demo_request", D0)], {1: A_PROFILE}, until=D0 + 10) == {}


def test_the_mql_rule_can_read_the_quadrant_and_the_persona():
    playbook = playbook_with(
        mql={
            "stage": "mql",
            "when": {
                "all": [
                    {"field": "score.quadrant", "op": "eq", "value": "ready"},
                    {"field": "contact.persona", "op": "is_not_set"},
                ]
            },
        }
    )
    rows = [(1, "demo_request", D0), (2, "demo_request", D0), (3, "email_open", D0)]
    profiles = {
        1: A_PROFILE,  # no title: no persona
        2: {**A_PROFILE, "contact.title": "VP Marketing"},  # the marketing leader persona
        3: A_PROFILE,  # interest 1: nurture, not ready
    }
    assert first_days(playbook, rows, profiles, until=D0 + 10) == {1: D0}


# --------------------------------------------------------------------------- the comparison


def frame(pairs: dict[int, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"contact_id": list(pairs), "first_day": list(pairs.values())},
        schema={"contact_id": pl.Int64, "first_day": pl.Int32},
    )


NOTHING = pl.DataFrame(
    schema={"contact_id": pl.Int64, "accepted": pl.Int32, "opportunity": pl.Int32, "customer": pl.Int32}
)


@pytest.mark.parametrize(
    ("draft", "active", "group"),
    [
        (10, 20, Group.EARLIER),
        (-5, 20, Group.EARLIER),  # already qualified under the draft, in the window under the active one
        (20, 20, Group.SAME),
        (30, 20, Group.LATER),
        (30, -5, Group.LATER),  # the active version had qualified them before the window
        (10, None, Group.NEW),
        (None, 10, Group.DROPPED),
        (-5, -3, None),  # already qualified under both: not counted again
        (-5, None, None),
        (None, None, None),
    ],
)
def test_each_contact_falls_in_one_group(draft, active, group):
    window = Window(D0, D0 + 60)
    comparison = replay.compare(
        frame({1: D0 + draft} if draft is not None else {}),
        frame({1: D0 + active} if active is not None else {}),
        NOTHING,
        window,
    )
    counts = {g.key: g.outcomes.contacts for g in comparison.groups}
    assert counts == {key: int(key == group) for key in Group.ALL}
    if group is not None:
        (sample,) = comparison.group(group).samples
        assert (sample.contact_id, sample.draft_day, sample.active_day) == (
            1,
            D0 + draft if draft is not None else None,
            D0 + active if active is not None else None,
        )


def test_outcomes_precision_and_recall():
    window = Window(D0, D0 + 83)  # 12 weeks
    # Contacts 1–4 qualify under the draft, 3–6 under the active version, 7 under the draft before the window.
    draft = frame({1: D0 + 1, 2: D0 + 8, 3: D0 + 9, 4: D0 + 20, 7: D0 - 30})
    active = frame({3: D0 + 9, 4: D0 + 15, 5: D0 + 16, 6: D0 + 70})
    milestones = replay.milestones(DEFAULT)
    assert (milestones.accepted, milestones.opportunity, milestones.customer) == ("sql", "opportunity", "customer")
    changes = pl.DataFrame(
        [
            (1, "mql", D0 + 1),
            (1, "sql", D0 + 3),
            (1, "customer", D0 + 40),  # straight from SQL to customer: reached the opportunity stage too
            (2, "sql", D0 + 9),
            (2, "recycled", D0 + 20),  # handed back later: still accepted once
            (4, "opportunity", D0 + 30),
            (5, "customer", D0 + 50),
            (6, "customer", D0 + 90),  # after the window: still an eventual customer
            (7, "customer", D0 + 5),
            (8, "customer", D0 - 10),  # a customer before the window: not an eventual customer
        ],
        schema={"contact_id": pl.Int64, "to_stage": pl.String, "day": pl.Int32},
        orient="row",
    )
    reached = replay.outcomes(changes, milestones)
    assert reached.filter(pl.col("contact_id") == 1).row(0) == (1, D0 + 3, D0 + 40, D0 + 40)
    assert reached.filter(pl.col("contact_id") == 2).row(0) == (2, D0 + 9, None, None)

    comparison = replay.compare(draft, active, reached, window)

    assert comparison.customers == 4  # 1, 5, 6 and 7
    assert comparison.draft.as_dict() == {
        "mqls": 4,
        "already_qualified": 1,
        "outcomes": {"contacts": 4, "accepted": 3, "opportunity": 2, "customer": 1},
        "precision": 0.25,
        "recall": 0.5,  # 1 in the window and 7 before it
        "customers_caught": 2,
    }
    assert comparison.active.as_dict() == {
        "mqls": 4,
        "already_qualified": 0,
        "outcomes": {"contacts": 4, "accepted": 3, "opportunity": 3, "customer": 2},
        "precision": 0.5,
        "recall": 0.5,
        "customers_caught": 2,
    }
    groups = {g.key: (g.outcomes.as_dict(), [s.contact_id for s in g.samples]) for g in comparison.groups}
    assert groups == {
        Group.EARLIER: ({"contacts": 0, "accepted": 0, "opportunity": 0, "customer": 0}, []),
        Group.SAME: ({"contacts": 1, "accepted": 0, "opportunity": 0, "customer": 0}, [3]),
        Group.LATER: ({"contacts": 1, "accepted": 1, "opportunity": 1, "customer": 0}, [4]),
        # The furthest down the funnel first.
        Group.NEW: ({"contacts": 2, "accepted": 2, "opportunity": 1, "customer": 1}, [1, 2]),
        Group.DROPPED: ({"contacts": 2, "accepted": 2, "opportunity": 2, "customer": 2}, [5, 6]),
    }


def test_mqls_per_iso_week_start_on_monday():
    window = Window(D0 + 2, D0 + 20)  # Wednesday of week 1 to the Sunday ending week 3
    draft = frame({1: D0 + 2, 2: D0 + 6, 3: D0 + 7, 4: D0 + 20, 5: D0 + 1, 6: D0 + 21})
    active = frame({1: D0 + 14})
    recorded = pl.DataFrame(
        {"contact_id": [1, 1], "day": [D0 + 3, D0 + 15]}, schema={"contact_id": pl.Int64, "day": pl.Int32}
    )
    weekly = replay.weekly(draft, active, window, recorded=recorded)
    assert weekly.weeks == (dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16))
    assert weekly.draft == (2, 1, 1)
    assert weekly.active == (0, 0, 1)
    assert weekly.recorded == (1, 0, 1)


def test_a_window_must_not_end_before_it_starts():
    with pytest.raises(ValueError, match="starts after it ends"):
        Window(D0 + 1, D0)


# --------------------------------------------------------------------------- the property


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Any, list[tuple[int, str, int]], dict[int, dict[str, Any]], int]:
    rules = []
    for index in range(draw(st.integers(1, 4))):
        points = draw(st.integers(-50, 60).filter(bool))
        rule: dict[str, Any] = {"key": f"r{index}", "event": f"E{index}", "points": points}
        if draw(st.booleans()):
            rule["max_per_day"] = draw(st.integers(abs(points), abs(points) * 4))
        rules.append(rule)
    interest: dict[str, Any] = {"rules": rules}
    if draw(st.booleans()):
        interest["half_life_days"] = draw(st.sampled_from([0.5, 1, 2, 3, 7, 30, 45.5]))
    else:
        interest["expire_after_days"] = draw(st.integers(1, 60))
    if draw(st.booleans()):
        interest["max_points"] = draw(st.integers(1, 300))
    threshold = draw(st.integers(1, 150))
    op = draw(st.sampled_from(["gte", "gt", "gte", "gt", "lt", "lte", "eq", "ne"]))
    when: dict[str, Any] = {"field": "score.interest", "op": op, "value": threshold}
    if draw(st.booleans()):
        when = {"all": [when, {"field": "score.grade", "op": "in", "value": ["A", "B"]}]}
    if draw(st.booleans()):
        when = {"any": [when, {"field": "score.quadrant", "op": "eq", "value": "check_fit"}]}
    if draw(st.integers(0, 5)) == 0:
        when = {"not": when}
    if draw(st.integers(0, 5)) == 0:
        when = {"field": "score.quadrant", "op": "in", "value": ["ready", "check_fit"]}
    playbook = playbook_with(
        interest=interest,
        quadrants={"good_fit": ["A", "B"], "high_interest": min(threshold, interest.get("max_points", threshold))},
        mql={"stage": "mql", "when": when},
    )
    contacts = draw(st.integers(1, 6))
    rows = [
        (draw(st.integers(1, contacts)), f"r{draw(st.integers(0, len(rules) - 1))}", D0 + draw(st.integers(0, 120)))
        for _ in range(draw(st.integers(0, 60)))
    ]
    grades = [
        A_PROFILE,
        {**A_PROFILE, "contact.seniority": "manager"},  # 50: B
        {**A_PROFILE, "account.employees": 10},  # 20 - 15 + 25 + 10 = 40: B
        {"contact.seniority": "individual"},  # 0: D
    ]
    profiles = {c: draw(st.sampled_from(grades)) for c in range(1, contacts + 1)}
    return playbook, rows, profiles, D0 + draw(st.integers(0, 130))


def plain_replay(
    playbook: Any, rows: list[tuple[int, str, int]], profiles: dict[int, dict[str, Any]], until: int
) -> dict[int, int]:
    """The first day each contact qualifies, one contact and one day at a time with the domain."""
    model = Model.of(playbook)
    when = playbook.data["mql"]["when"]
    found = {}
    for contact, facts in profiles.items():
        hits = sorted(
            ((model.rule(key), day) for c, key, day in rows if c == contact and day <= until), key=lambda h: h[1]
        )
        fit = model.fit(facts)
        for today in sorted({day for _, day in hits}):
            state = domain.recompute(model, [(r, d) for r, d in hits if d <= today], today)
            interest = model.value(state.mass, state.anchor, today)
            scored = {
                **facts,
                "score.fit": fit.score,
                "score.grade": fit.grade,
                "contact.persona": fit.persona or None,
                "score.interest": interest,
                "score.quadrant": model.quadrant(fit.grade, interest).value,
            }
            if conditions.evaluate(when, scored):
                found[contact] = today
                break
    return found


@settings(max_examples=300)
@given(scenarios())
def test_the_vectorised_first_day_equals_a_plain_replay(scenario):
    playbook, rows, profiles, until = scenario
    assert first_days(playbook, rows, profiles, until) == plain_replay(playbook, rows, profiles, until)


def test_the_replayed_interest_is_what_the_contact_page_draws():
    rows = [
        (1, key, D0 + d)
        for key, d in [("pricing_page", 0), ("demo_request", 4), ("email_click", 9), ("unsubscribe", 30)]
    ]
    daily = replay.daily_points(MODEL, hits_frame(MODEL, rows), until=D0 + 60)
    found = replay.interest_on_days(MODEL, daily)
    hits = [(MODEL.rule(key), day) for _, key, day in rows]
    assert found["interest"].round(2).to_list() == domain.curve(MODEL, hits, found["day"].to_list())


# --------------------------------------------------------------------------- on a database

NOW = dt.datetime(2026, 6, 3, 12, 0, tzinfo=dt.UTC)  # a Wednesday
TODAY = domain.day_number(NOW)
SOURCE = (Path(__file__).parents[2] / "playbook" / "default.yaml").read_text()
# The draft asks for less interest (25, not 40) but an account of 100 people or more, and values a
# demo request at 20 points instead of 50.
DRAFT_SOURCE = SOURCE.replace(
    "      - {field: score.interest, op: gte, value: 40}\n",
    "      - {field: score.interest, op: gte, value: 25}\n      - {field: account.employees, op: gte, value: 100}\n",
).replace("      event: Demo Requested\n      points: 50\n", "      event: Demo Requested\n      points: 20\n")
# Days before today: (name, events, stage moves). Events are interest rule keys; moves are stages.
STORY: list[tuple[str, str, list[tuple[int, str]], list[tuple[int, str]]]] = [
    # name, company, events, moves
    (
        "Ada",
        "big",
        [(40, "pricing_page")] * 3 + [(35, "webinar_attended"), (30, "demo_request")],
        [(30, "mql"), (28, "sql"), (20, "opportunity"), (5, "customer")],
    ),
    ("Bob", "big", [(20, "webinar_attended"), (20, "content_offer")], [(19, "mql"), (18, "sql")]),
    ("Cy", "grade_c", [(10, "demo_request")], []),
    ("Dee", "big", [(10, "webinar_attended"), (10, "demo_request")], []),
    ("Eve", "big", [(300, "webinar_attended"), (300, "demo_request")], []),
    ("Fay", "small", [(5, "demo_request"), (5, "webinar_attended")], [(4, "mql"), (3, "sql"), (1, "customer")]),
    ("Gus", "big", [(15, "demo_request"), (12, "pricing_page"), (12, "pricing_page")], []),
    ("Hal", "big", [], [(50, "customer")]),
]
EVENT_OF = {
    "pricing_page": ("page", "Pricing", "/pricing"),
    "webinar_attended": ("track", "Webinar Attended", ""),
    "content_offer": ("track", "Form Submitted", ""),
    "demo_request": ("track", "Demo Requested", ""),
}


def build_story(*, story=STORY, now: dt.datetime = NOW, draft_by: Any = None) -> dict[str, Any]:
    """The contacts, events and stage history of STORY, and the draft as version 2."""
    import uuid

    from accord.contacts.models import Account, Contact
    from accord.lifecycle.models import StageChange
    from accord.playbook.actions import playbook_draft_create
    from accord.playbook.queries import active_playbook
    from accord.tracking.domain import message_key
    from accord.tracking.models import Event

    accounts = {
        "big": Account.objects.create(
            name="Big Co", domain="big.example", industry="Software", employees=500, country="US"
        ),
        "small": Account.objects.create(
            name="Small Co", domain="small.example", industry="Software", employees=50, country="US"
        ),
        "grade_c": Account.objects.create(
            name="Mid Co", domain="mid.example", industry="Retail", employees=50, country="US"
        ),
    }
    active = active_playbook()
    contacts = {}
    events = []
    changes = []
    for name, company, happened, moves in story:
        account = accounts[company]
        contact = Contact.objects.create(
            email=f"{name.lower()}@{account.domain}",
            first_name=name,
            last_name="Tester",
            title="VP Sales",
            seniority="vp",
            account=account,
            consent=True,
            stage=moves[-1][1] if moves else "lead",
        )
        contacts[name] = contact
        for index, (days_ago, key) in enumerate(happened):
            kind, event_name, path = EVENT_OF[key]
            at = now - dt.timedelta(days=days_ago, minutes=index)
            message_id = str(uuid.uuid4())
            events.append(
                Event(
                    message_id=message_id,
                    message_key=message_key(message_id),
                    type=kind,
                    name=event_name,
                    contact=contact,
                    timestamp=at,
                    received_at=at,
                    path=path,
                    url=f"https://big.example{path}" if path else "",
                )
            )
        previous = "lead"
        for days_ago, stage in moves:
            changes.append(
                StageChange(
                    contact=contact,
                    from_stage=previous,
                    to_stage=stage,
                    kind="advance",
                    at=now - dt.timedelta(days=days_ago),
                    by_rule="test",
                    playbook_version=active,
                )
            )
            previous = stage
    Event.objects.bulk_create(events)
    StageChange.objects.bulk_create(changes)
    draft = playbook_draft_create(source=DRAFT_SOURCE, note="Fewer points for a demo", acting_user=draft_by)
    return {"contacts": contacts, "draft": draft, "active": active}


EXPECTED_DRAFT = {
    "mqls": 4,  # Ada, Bob, Dee, Gus
    "already_qualified": 1,  # Eve
    "outcomes": {"contacts": 4, "accepted": 2, "opportunity": 1, "customer": 1},
    "precision": 0.25,
    "recall": 1 / 3,  # Ada of Ada, Fay and Hal
    "customers_caught": 1,
}
EXPECTED_ACTIVE = {
    "mqls": 4,  # Ada, Dee, Fay, Gus
    "already_qualified": 1,
    "outcomes": {"contacts": 4, "accepted": 2, "opportunity": 2, "customer": 2},
    "precision": 0.5,
    "recall": 2 / 3,
    "customers_caught": 2,
}


@pytest.fixture
def story(users: dict[str, Any]) -> dict[str, Any]:
    return build_story(draft_by=users["marketing"])


def groups_of(result: dict[str, Any]) -> dict[str, list[str]]:
    return {key: [s["name"] for s in group["sample"]] for key, group in result["groups"].items()}


@pytest.mark.django_db
def test_a_draft_is_replayed_beside_the_active_version(story):
    from accord.scoring.backtest import backtest_version

    result = backtest_version(version=story["draft"], now=NOW).as_dict()

    assert result["window"] == {"from": "2025-12-08", "to": "2026-06-03"}  # 26 ISO weeks
    assert result["draft"] == EXPECTED_DRAFT
    assert result["active"] == EXPECTED_ACTIVE
    assert result["eventual_customers"] == 3
    assert groups_of(result) == {
        "earlier": ["Ada Tester"],  # 35 days ago under the draft, 30 under the active version
        "same": ["Dee Tester"],
        "later": ["Gus Tester"],  # a demo request alone is not enough under the draft
        "new": ["Bob Tester"],  # 35 points: enough for the draft only
        "dropped": ["Fay Tester"],  # 50 employees
    }
    ada = result["groups"]["earlier"]["sample"][0]
    assert ada == {
        "contact_id": story["contacts"]["Ada"].pk,
        "draft": (NOW - dt.timedelta(days=35)).date().isoformat(),
        "active": (NOW - dt.timedelta(days=30)).date().isoformat(),
        "accepted": True,
        "opportunity": True,
        "customer": True,
        "name": "Ada Tester",
        "email": "ada@big.example",
    }
    assert result["groups"]["dropped"]["customer"] == 1
    weeks = result["weekly"]
    assert len(weeks) == 26 and weeks[0]["week"] == "2025-12-08" and weeks[-1]["week"] == "2026-06-01"
    assert sum(w["draft"] for w in weeks) == 4 and sum(w["active"] for w in weeks) == 4
    assert sum(w["recorded"] for w in weeks) == 3  # Ada, Bob and Fay were made MQL
    by_week = {w["week"]: (w["draft"], w["active"], w["recorded"]) for w in weeks}
    assert by_week["2026-04-27"] == (1, 0, 0)  # Ada under the draft, on 29 April
    assert by_week["2026-05-04"] == (0, 1, 1)  # Ada under the active version, on 4 May
    assert result["revenue"] is None and result["revenue_tracked"] is False
    assert result["contacts_replayed"] == 7  # every contact with a scorable event
    assert result["outcome_stages"] == {"accepted": "sql", "opportunity": "opportunity", "customer": "customer"}


@pytest.mark.django_db
def test_a_narrower_window_counts_earlier_qualifiers_as_already_qualified(story):
    from accord.scoring.backtest import backtest_version

    start = (NOW - dt.timedelta(days=14)).date()
    result = backtest_version(version=story["draft"], start=start, end=NOW.date(), now=NOW).as_dict()

    assert result["draft"]["mqls"] == 2  # Dee 10 days ago, Gus 12
    assert result["draft"]["already_qualified"] == 3  # Ada, Bob and Eve
    assert result["active"]["mqls"] == 2  # Dee and Fay; Ada and Gus were earlier
    assert groups_of(result) == {
        "earlier": [],
        "same": ["Dee Tester"],
        "later": ["Gus Tester"],
        "new": [],
        "dropped": ["Fay Tester"],
    }
    # Ada became a customer within these 14 days; Hal before them.
    assert result["eventual_customers"] == 2


@pytest.mark.django_db
def test_only_a_draft_or_a_signed_version_is_backtested(story):
    from accord.core.errors import Conflict
    from accord.scoring.backtest import backtest_version

    with pytest.raises(Conflict, match="version 1 is active"):
        backtest_version(version=story["active"], now=NOW)


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("2026-13-01", None, "from", "not a date: '2026-13-01'; write it as YYYY-MM-DD"),
        (None, "soon", "to", "not a date: 'soon'; write it as YYYY-MM-DD"),
        ("2026-05-01", "2026-04-01", "from", "must not be after to (2026-04-01)"),
        (None, "2026-06-04", "to", "must not be after today (2026-06-03)"),
    ],
)
def test_a_bad_window_names_its_field(start, end, field, message):
    from accord.core.errors import InvalidInput
    from accord.scoring.backtest import parse_window

    with pytest.raises(InvalidInput) as caught:
        parse_window(start, end, today=NOW.date())
    assert caught.value.errors == [(field, message)]


def test_the_default_window_is_the_last_26_iso_weeks():
    from accord.scoring.backtest import parse_window

    window = parse_window(None, "", today=dt.date(2026, 6, 7))  # a Sunday
    assert window.dates == (dt.date(2025, 12, 8), dt.date(2026, 6, 7))
    assert len(replay.weekly(frame({}), frame({}), window).weeks) == 26


# --------------------------------------------------------------------------- the command


def run_command(*args: str) -> tuple[str, str]:
    import io

    from django.core.management import call_command

    from accord.core import clock

    out, err = io.StringIO(), io.StringIO()
    with clock.frozen(NOW):
        call_command("playbook", "backtest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_the_command_prints_the_backtest_as_json(story, tmp_path):
    draft = tmp_path / "fewer-demo-points.yaml"
    draft.write_text(DRAFT_SOURCE)

    out, _ = run_command(str(draft), "--json")

    result = json.loads(out)
    assert result["draft"] == EXPECTED_DRAFT
    assert result["active"] == EXPECTED_ACTIVE
    assert result["active_version"] == 1
    assert groups_of(result)["new"] == ["Bob Tester"]


@pytest.mark.django_db
def test_the_command_prints_a_table(story, tmp_path):
    draft = tmp_path / "fewer-demo-points.yaml"
    draft.write_text(DRAFT_SOURCE)

    out, _ = run_command(str(draft), "--from", "2026-04-01", "--to", "2026-06-01")

    lines = out.splitlines()
    assert lines[0] == "Backtest of fewer-demo-points.yaml against the active version (v1), 2026-04-01 to 2026-06-01"
    table = {line[:34].strip(): line[34:].split() for line in lines if line[:34].strip()}
    assert table["MQLs in the window"] == ["4", "4"]
    assert table["Already qualified before it"] == ["1", "1"]
    assert table["Accepted by sales (SQL)"] == ["2", "2"]
    assert table["Won (Customer)"] == ["1", "2"]
    assert table["Precision"] == ["25.0%", "50.0%"]
    assert table["Recall"] == ["33.3%", "66.7%", "of", "3", "eventual", "customers"]
    assert table["Qualify only under the draft"] == ["1", "1", "0", "0"]
    assert table["Never qualify under the draft"] == ["1", "1", "1", "1"]  # Fay skipped the opportunity stage
    assert "Revenue: not tracked — no deal amounts are recorded yet." in lines
    assert "  Bob Tester <bob@big.example>  draft 2026-05-14  → Accepted by sales (SQL)" in lines
    assert table["2026-03-30"] == ["0", "0", "0"]  # the week 1 April falls in
    assert table["2026-04-27"] == ["1", "0", "0"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "problems"),
    [
        (
            ("value: 25}", "value: lots}"),
            ["mql.when.all[1].value: must be a number, not text 'lots'"],
        ),
        (
            ("mql:\n  stage: mql", "mql:\n  stage: nowhere"),
            [
                "mql.stage: must name a funnel stage (customer, lead, mql, opportunity, sql, subscriber, visitor), not text 'nowhere'"
            ],
        ),
        (("format: accord.playbook/1", "format: [accord"), None),  # not YAML at all: a line and column
    ],
)
def test_an_invalid_draft_is_refused_with_the_paths_of_its_problems(story, tmp_path, change, problems):
    from accord.lifecycle.models import StageChange
    from accord.playbook.models import PlaybookVersion

    draft = tmp_path / "broken.yaml"
    draft.write_text(DRAFT_SOURCE.replace(*change))
    before = (PlaybookVersion.objects.count(), StageChange.objects.count())

    out, err, code = run_refused(str(draft))

    assert code == 2
    if problems is None:
        assert err.startswith("line ") and "not valid YAML" in err
    else:
        assert err.splitlines() == problems
    assert out == ""
    assert (PlaybookVersion.objects.count(), StageChange.objects.count()) == before


def run_refused(*args: str) -> tuple[str, str, int]:
    """Run the command expecting a refusal: what it printed, and its exit code."""
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from accord.core import clock

    out, err = io.StringIO(), io.StringIO()
    with clock.frozen(NOW), pytest.raises(CommandError) as caught:
        call_command("playbook", "backtest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), caught.value.returncode


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--from", "2026-02-30"], "--from: not a date: '2026-02-30'; write it as YYYY-MM-DD"),
        (["--to", "yesterday"], "--to: not a date: 'yesterday'; write it as YYYY-MM-DD"),
        (["--from", "2026-05-02", "--to", "2026-05-01"], "--from: must not be after --to (2026-05-01)"),
        (["--to", "2027-01-01"], "--to: must not be after today (2026-06-03)"),
    ],
)
def test_bad_dates_name_the_option(story, tmp_path, options, problem):
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT_SOURCE)

    out, err, code = run_refused(str(draft), *options)

    assert (err.splitlines(), out, code) == ([problem], "", 2)


# --------------------------------------------------------------------------- the page


@pytest.fixture
def signed_in(users: dict[str, Any]) -> Any:
    from django.test import Client

    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


@pytest.mark.django_db
def test_the_backtest_page_needs_a_signed_in_user(story):
    from django.test import Client

    for url in ("/playbook/versions/2/backtest/", "/playbook/versions/2/backtest/result/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/playbook/versions/9/backtest/", "/playbook/versions/9/backtest/result/"])
def test_an_unknown_version_is_not_found(story, signed_in, url):
    assert signed_in("viewer").get(url).status_code == 404


@pytest.mark.django_db
def test_the_sign_off_screen_links_to_the_backtest(story, signed_in):
    page = signed_in("sales_manager").get("/playbook/versions/2/").content.decode()
    assert '<a class="btn" href="/playbook/versions/2/backtest/">Backtest this draft</a>' in page
    active = signed_in("sales_manager").get("/playbook/versions/1/").content.decode()
    assert "Backtest this draft" not in active


@pytest.mark.django_db
def test_the_page_loads_the_result_behind_a_progress_line(story, signed_in):
    from accord.core import clock

    with clock.frozen(NOW):
        response = signed_in("viewer").get("/playbook/versions/2/backtest/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'hx-get="/playbook/versions/2/backtest/result/?from=2025-12-08&amp;to=2026-06-03"' in page
    assert "<progress" in page and "Replaying every contact" in page
    assert 'value="2025-12-08"' in page and 'value="2026-06-03"' in page


@pytest.mark.django_db
def test_the_result_shows_the_numbers_and_the_chart(story, signed_in):
    from accord.core import clock

    with clock.frozen(NOW):
        response = signed_in("viewer").get(
            "/playbook/versions/2/backtest/result/?from=2025-12-08&to=2026-06-03", HTTP_HX_REQUEST="true"
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="backtest-result" class="stack">')
    assert '<td class="num" data-version="draft" data-figure="mqls">4</td>' in page
    assert (
        '<td class="num" data-version="active" data-figure="precision">50.0% <span class="hint">2 of 4</span></td>'
        in page
    )
    assert (
        '<td class="num" data-version="draft" data-figure="recall">33.3% <span class="hint">1 of 3</span></td>' in page
    )
    assert "not tracked yet" in page
    assert f'<a href="/contacts/{story["contacts"]["Bob"].pk}/">Bob Tester</a>' in page
    # The chart arrives out of band, into the box the page keeps for it.
    assert '<div id="backtest-chart-box" hx-swap-oob="innerHTML">' in page
    chart = json.loads(page.split('<script id="backtest-data" type="application/json">')[1].split("</script>")[0])
    assert [trace["name"] for trace in chart["data"]] == ["Draft v2", "Active v1", "Recorded MQLs"]
    assert sum(chart["data"][0]["y"]) == 4 and sum(chart["data"][2]["y"]) == 3
    assert chart["data"][0]["x"][0] == "2025-12-08"


@pytest.mark.django_db
def test_without_htmx_the_result_is_a_whole_page(story, signed_in):
    from accord.core import clock

    with clock.frozen(NOW):
        response = signed_in("viewer").get("/playbook/versions/2/backtest/result/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Backtest of version 2" in page
    assert 'data-plotly="backtest-data"' in page and 'id="backtest-data"' in page
    assert "hx-swap-oob" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/playbook/versions/2/backtest/", "/playbook/versions/2/backtest/result/"])
def test_a_bad_date_is_refused_naming_the_field(story, signed_in, url):
    from accord.core import clock

    with clock.frozen(NOW):
        response = signed_in("viewer").get(url + "?from=2026-02-30")
    assert response.status_code == 422
    assert "From: not a date: &#x27;2026-02-30&#x27;; write it as YYYY-MM-DD" in response.content.decode()


@pytest.mark.django_db
def test_the_active_version_is_not_backtested(story, signed_in):
    response = signed_in("viewer").get("/playbook/versions/1/backtest/")
    assert response.status_code == 409
    assert "Version 1 is active: only a draft or a signed version is backtested" in response.content.decode()
    assert "hx-get" not in response.content.decode().partition("<main")[2]  # (the header polls its unread count)


@pytest.mark.parametrize(
    ("when", "possible"),
    [
        # The default rule: grade A or B, interest 40 or more, consent not refused.
        (DEFAULT.data["mql"]["when"], [1, 2]),
        # Little interest is enough: anyone, at interest 0.
        ({"field": "score.interest", "op": "lt", "value": 10}, [1, 2, 3, 4]),
        # Exactly 40: only a score on the threshold itself.
        (
            {
                "all": [
                    {"field": "score.interest", "op": "eq", "value": 40},
                    {"field": "score.grade", "op": "eq", "value": "C"},
                ]
            },
            [3],
        ),
        # Poor fit with high interest: the quadrant, at interest 40 and above.
        ({"field": "score.quadrant", "op": "eq", "value": "check_fit"}, [3, 4]),
        # Neither interest nor quadrant: nothing to narrow.
        ({"field": "score.grade", "op": "eq", "value": "D"}, None),
    ],
)
def test_only_contacts_the_rule_can_hold_for_are_replayed(when, possible):
    playbook = playbook_with(mql={"stage": "mql", "when": when})
    model = Model.of(playbook)
    profiles = {
        1: A_PROFILE,
        2: {**A_PROFILE, "contact.seniority": "manager"},  # B
        3: {**A_PROFILE, "contact.seniority": "manager", "account.employees": 50},  # 30: C
        4: {
            **A_PROFILE,
            "contact.consent": False,
            "contact.seniority": "individual",
            "account.industry": "Retail",
            "account.employees": 50,
        },  # 10: D
    }
    fit, facts = fit_rows(model, profiles)
    found = replay.could_qualify(model, playbook, fit, facts)
    assert (sorted(found["contact_id"].to_list()) if found is not None else None) == possible


UP = domain.InterestRule("up", "One point", "Up", None, 1, None)
DOWN = domain.InterestRule("down", "Minus one point", "Down", None, -1, None)


@settings(max_examples=300)
@given(model=test_domain.models(), data=st.data())
def test_the_replayed_interest_on_each_event_day_is_the_live_engines_value(model, data):
    """Given any contacts' points per day (under the drawn decay and max_points), the vectorised
    replay's interest on each event day equals `Model.value` of the state `recompute` gives that
    day, to the bit."""
    model = dataclasses.replace(model, interest_rules=(UP, DOWN))
    earned = st.integers(-30, 60).filter(bool)
    rows = data.draw(st.lists(st.tuples(st.integers(1, 3), st.integers(0, 400), earned), min_size=1, max_size=30))
    if model.half_life_days is not None and model.half_life_days.is_integer():
        # Whole half-lives apart: odd points three half-lives back land on a rounding boundary.
        step, end = int(model.half_life_days), data.draw(st.integers(300, 400))
        ks = data.draw(st.lists(st.integers(0, 6), max_size=3))
        rows += [(1, end - k * step, data.draw(earned)) for k in ks] + [(1, end, 1)]
    daily = (
        pl.DataFrame([(c, D0 + d, p) for c, d, p in rows], schema=["contact_id", "day", "points"], orient="row")
        .group_by("contact_id", "day")
        .agg(pl.col("points").sum())
        .sort("contact_id", "day")
        .cast({"contact_id": pl.Int64, "day": pl.Int32, "points": pl.Int64})
    )
    found = replay.interest_on_days(model, daily)
    for contact, today, interest in found.iter_rows():
        mine = [
            (UP if p > 0 else DOWN, D0 + d)
            for c, d, p in rows
            if c == contact and D0 + d <= today
            for _ in range(abs(p))
        ]
        state = domain.recompute(model, mine, today)
        assert interest == model.value(state.mass, state.anchor, today)
