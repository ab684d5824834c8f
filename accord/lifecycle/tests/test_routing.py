"""Routing, rule by rule and method by method: who a hand-off goes to, and the trace of why.

Pure: every test builds a `Routing` from a playbook section, teams and reps, and a fixed `now`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.accounts.domain import parse_hours, within_hours
from accord.lifecycle.routing import Decision, Rep, Skip, Team, local_day, period_start, route
from accord.playbook.domain.routing import Method, Routing, routing_of

NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)  # a Wednesday, 15:00 UTC
SDR = Team(id=10, name="SDR", members=(1, 2, 3))
WEEKDAYS_9_TO_5 = parse_hours({day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")})


def email(rep_id: int) -> str:
    return f"rep{rep_id}@example.com"


def rep(rep_id: int, **fields: Any) -> Rep:
    return Rep(id=rep_id, email=email(rep_id), **fields)


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A moment on NOW's day, for last_assigned_at."""
    return NOW.replace(hour=hour, minute=minute)


def section(default: dict[str, Any] | None = None, rules: list[dict[str, Any]] | None = None, **extra: Any) -> Routing:
    return routing_of({"rules": rules or [], "default": default or {"team": "SDR"}, **extra})


def decide(
    routing: Routing,
    reps: list[Rep],
    *,
    teams: list[Team] = (SDR,),  # type: ignore[assignment]
    facts: dict[str, Any] | None = None,
    owner: int | None = None,
    now: dt.datetime = NOW,
) -> Decision:
    return route(
        routing,
        facts=facts or {},
        teams={t.name: t for t in teams},
        reps={r.id: r for r in reps},
        account_owner_id=owner,
        now=now,
    )


def skips(decision: Decision) -> list[tuple[int, str | None]]:
    """(rep id, skip reason) for every person the deciding rule considered, in order."""
    return [(c.rep_id, c.skipped and c.skipped.value) for c in decision.trace[-1].considered]


# --- round robin -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reps", "chosen"),
    [
        pytest.param([rep(1), rep(2), rep(3)], 1, id="nobody assigned yet: the lowest id"),
        pytest.param([rep(3), rep(2), rep(1)], 1, id="the order reps are given in does not matter"),
        pytest.param(
            [
                rep(1, assigned_in_period=2, last_assigned_at=at(9)),
                rep(2, assigned_in_period=1, last_assigned_at=at(8)),
                rep(3, assigned_in_period=1, last_assigned_at=at(7)),
            ],
            3,
            id="fewest this period, then the longest since the last assignment",
        ),
        pytest.param(
            [
                rep(1, assigned_in_period=1, last_assigned_at=at(7)),
                rep(2, assigned_in_period=1),
                rep(3, assigned_in_period=1, last_assigned_at=at(6)),
            ],
            2,
            id="never assigned comes before anyone who was",
        ),
        pytest.param(
            [
                rep(1, assigned_in_period=4, last_assigned_at=at(6)),
                rep(2, assigned_in_period=4, last_assigned_at=at(6)),
                rep(3, assigned_in_period=5, last_assigned_at=at(1)),
            ],
            1,
            id="same count and same moment: the lowest id",
        ),
        pytest.param(
            [
                rep(1, assigned_in_period=3),
                rep(2, assigned_in_period=0, last_assigned_at=at(14)),
                rep(3, assigned_in_period=2),
            ],
            2,
            id="the count outweighs how long someone waited",
        ),
        pytest.param(
            [rep(1, assigned_today=9, open_handoffs=9, assigned_in_period=1), rep(2, assigned_in_period=2)],
            1,
            id="today's and open counts do not matter to round robin",
        ),
    ],
)
def test_round_robin_picks_the_fewest_assigned_then_the_longest_waiting(reps, chosen):
    decision = decide(section({"team": "SDR", "method": "round_robin"}), reps)
    assert (decision.owner_id, decision.method, decision.team_id, decision.team) == (
        chosen,
        Method.ROUND_ROBIN,
        10,
        "SDR",
    )


def test_a_rule_without_a_method_is_round_robin():
    decision = decide(section({"team": "SDR"}), [rep(1, assigned_in_period=1), rep(2)])
    assert (decision.owner_id, decision.method) == (2, Method.ROUND_ROBIN)


# --- weighted ----------------------------------------------------------------------------------

WEIGHTED = {"team": "SDR", "method": "weighted", "weights": {email(1): 200}}  # reps 2 and 3 weigh 100


@pytest.mark.parametrize(
    ("counts", "chosen"),
    [
        # Each rep's share once they took this one, (count + 1) / weight, lowest first.
        pytest.param((0, 0, 0), 1, id="1/200 before 1/100"),
        pytest.param((1, 0, 0), 2, id="a tie at 1/100: the longest waiting"),
        pytest.param((1, 1, 0), 3, id="3 is the only one at 1/100"),
        pytest.param((1, 1, 1), 1, id="2/200 before 2/100"),
        pytest.param((2, 1, 1), 1, id="3/200 before 4/200"),
        pytest.param((4, 1, 1), 2, id="5/200 after 4/200"),
        pytest.param((0, 5, 5), 1, id="far behind its share"),
    ],
)
def test_weighted_picks_the_lowest_share_of_its_weight(counts, chosen):
    # given: the first assigned longest ago, so ties fall to whoever waited longest (never first)
    reps = [
        rep(i, assigned_in_period=n, last_assigned_at=at(8 + i) if n else None) for i, n in enumerate(counts, start=1)
    ]
    decision = decide(section(WEIGHTED), reps)
    assert (decision.owner_id, decision.method) == (chosen, Method.WEIGHTED)


def test_weighted_without_weights_is_round_robin():
    reps = [rep(1, assigned_in_period=2), rep(2, assigned_in_period=1), rep(3, assigned_in_period=2)]
    decision = decide(section({"team": "SDR", "method": "weighted"}), reps)
    assert (decision.owner_id, decision.method) == (2, Method.WEIGHTED)


def simulate(routing: Routing, reps: list[Rep], times: int, team: Team = SDR) -> Counter[int]:
    """Route `times` hand-offs in a row, counting each pick as the next hand-off would see it."""
    by_id = {r.id: r for r in reps}
    picks: Counter[int] = Counter()
    for i in range(times):
        now = NOW + dt.timedelta(minutes=i)
        decision = route(routing, facts={}, teams={team.name: team}, reps=by_id, account_owner_id=None, now=now)
        assert decision.owner_id is not None
        chosen = by_id[decision.owner_id]
        by_id[chosen.id] = replace(chosen, assigned_in_period=chosen.assigned_in_period + 1, last_assigned_at=now)
        picks[chosen.id] += 1
    return picks


@pytest.mark.parametrize("blocks", [1, 2, 3, 5, 25])
def test_weights_200_100_100_give_exactly_50_25_25_percent_over_each_multiple_of_4(blocks):
    picks = simulate(section(WEIGHTED), [rep(1), rep(2), rep(3)], 4 * blocks)
    assert picks == {1: 2 * blocks, 2: blocks, 3: blocks}


def test_weights_200_100_100_take_turns_in_a_steady_order():
    decisions = []
    by_id = {i: rep(i) for i in (1, 2, 3)}
    for i in range(8):
        now = NOW + dt.timedelta(minutes=i)
        chosen = by_id[decide(section(WEIGHTED), list(by_id.values()), now=now).owner_id]  # type: ignore[index]
        by_id[chosen.id] = replace(chosen, assigned_in_period=chosen.assigned_in_period + 1, last_assigned_at=now)
        decisions.append(chosen.id)
    assert decisions == [1, 2, 3, 1, 1, 2, 3, 1]


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4),
    blocks=st.integers(min_value=1, max_value=3),
)
def test_weighted_shares_are_exact_at_every_multiple_of_the_weights(weights, blocks):
    # given: reps weighing 100 × w each; a block is sum(w) / gcd(w) hand-offs
    ids = list(range(1, len(weights) + 1))
    routing = section(
        {"team": "SDR", "method": "weighted", "weights": {email(i): 100 * w for i, w in zip(ids, weights, strict=True)}}
    )
    unit = math.gcd(*weights)
    block = sum(weights) // unit
    # when
    picks = simulate(routing, [rep(i) for i in ids], block * blocks, Team(10, "SDR", tuple(ids)))
    # then: each rep took exactly its weight's share
    assert {i: picks[i] for i in ids} == {i: w // unit * blocks for i, w in zip(ids, weights, strict=True)}


# --- load balance ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "reps", "chosen"),
    [
        pytest.param(
            "load_balance",
            [rep(1, open_handoffs=3), rep(2, open_handoffs=1), rep(3, open_handoffs=2)],
            2,
            id="the fewest open hand-offs",
        ),
        pytest.param(
            "load_balance",
            [rep(1, open_handoffs=0, assigned_in_period=9), rep(2, open_handoffs=1, assigned_in_period=0)],
            1,
            id="open hand-offs outweigh the period's count",
        ),
        pytest.param(
            "load_balance",
            [
                rep(1, open_handoffs=1, assigned_in_period=3),
                rep(2, open_handoffs=1, assigned_in_period=2),
                rep(3, open_handoffs=1, assigned_in_period=2, last_assigned_at=at(7)),
            ],
            2,
            id="a tie on open: as round robin (fewest this period, never assigned first)",
        ),
        pytest.param(
            "load_balance",
            [
                rep(1, open_handoffs=2, assigned_in_period=2, last_assigned_at=at(12)),
                rep(2, open_handoffs=2, assigned_in_period=2, last_assigned_at=at(11)),
            ],
            2,
            id="a tie on open and count: the longest waiting",
        ),
        pytest.param(
            "least_loaded", [rep(1, open_handoffs=5), rep(2, open_handoffs=4)], 2, id="least_loaded is the load balance"
        ),
    ],
)
def test_load_balance_picks_the_fewest_open_handoffs(method, reps, chosen):
    decision = decide(section({"team": "SDR", "method": method}), reps)
    assert (decision.owner_id, decision.method) == (chosen, Method.LOAD_BALANCE)


# --- account owner and named owner --------------------------------------------------------------

ACCOUNT_OWNER = {"team": "SDR", "method": "account_owner"}
NAMED_OWNER = {"team": "SDR", "method": "owner", "owner": email(2)}
OUTSIDER = rep(9)  # a rep routing knows who is not in SDR


@pytest.mark.parametrize(
    ("default", "reps", "owner", "chosen", "method", "considered", "note"),
    [
        pytest.param(
            ACCOUNT_OWNER,
            [rep(1), rep(2, assigned_in_period=50), rep(3)],
            2,
            2,
            Method.ACCOUNT_OWNER,
            [(2, None)],
            "",
            id="the account's owner, however many they have",
        ),
        pytest.param(
            ACCOUNT_OWNER,
            [rep(1), rep(2), rep(3)],
            None,
            1,
            Method.ROUND_ROBIN,
            [(1, None), (2, None), (3, None)],
            "the account has no owner: the team's round robin picks",
            id="no owner: round robin",
        ),
        pytest.param(
            ACCOUNT_OWNER,
            [rep(1), rep(2), rep(3)],
            77,
            1,
            Method.ROUND_ROBIN,
            [(1, None), (2, None), (3, None)],
            "the account has no owner: the team's round robin picks",
            id="an owner routing does not know: round robin",
        ),
        pytest.param(
            ACCOUNT_OWNER,
            [rep(1, assigned_in_period=1), rep(2, active=False), rep(3)],
            2,
            3,
            Method.ROUND_ROBIN,
            [(2, "inactive"), (1, None), (3, None)],
            "rep2@example.com is inactive: the team's round robin picks",
            id="an inactive owner: round robin",
        ),
        pytest.param(
            ACCOUNT_OWNER,
            [rep(1), rep(2, away_until=dt.date(2026, 3, 6)), rep(3)],
            2,
            1,
            Method.ROUND_ROBIN,
            [(2, "away"), (1, None), (3, None)],
            "rep2@example.com is away: the team's round robin picks",
            id="an away owner: round robin among the others",
        ),
        pytest.param(
            ACCOUNT_OWNER,
            [rep(1, assigned_in_period=1), rep(2), rep(3), OUTSIDER],
            9,
            2,
            Method.ROUND_ROBIN,
            [(9, "not_in_team"), (1, None), (2, None), (3, None)],
            "rep9@example.com is not in the team: the team's round robin picks",
            id="an owner outside the team",
        ),
        pytest.param(
            NAMED_OWNER,
            [rep(1), rep(2, assigned_in_period=50), rep(3)],
            None,
            2,
            Method.OWNER,
            [(2, None)],
            "",
            id="the named owner",
        ),
        pytest.param(
            NAMED_OWNER,
            [rep(1), rep(2, open_handoffs=3), rep(3)],
            1,
            2,
            Method.OWNER,
            [(2, None)],
            "",
            id="the named owner, whoever owns the account",
        ),
        pytest.param(
            {**NAMED_OWNER, "owner": "REP2@Example.com"},
            [rep(1), rep(2), rep(3)],
            None,
            2,
            Method.OWNER,
            [(2, None)],
            "",
            id="the named owner's email in any case",
        ),
        pytest.param(
            {**NAMED_OWNER, "owner": "nobody@example.com"},
            [rep(1), rep(2), rep(3)],
            None,
            1,
            Method.ROUND_ROBIN,
            [(1, None), (2, None), (3, None)],
            "nobody has the email nobody@example.com: the team's round robin picks",
            id="a named owner nobody is: round robin",
        ),
        pytest.param(
            NAMED_OWNER,
            [rep(1), rep(2, assigned_today=4), rep(3)],
            None,
            1,
            Method.ROUND_ROBIN,
            [(2, "daily_capacity"), (1, None), (3, None)],
            "rep2@example.com is at daily capacity: the team's round robin picks",
            id="a named owner at capacity: round robin",
        ),
        pytest.param(
            {**NAMED_OWNER, "owner": email(9)},
            [rep(1), rep(2), rep(3), OUTSIDER],
            None,
            1,
            Method.ROUND_ROBIN,
            [(9, "not_in_team"), (1, None), (2, None), (3, None)],
            "rep9@example.com is not in the team: the team's round robin picks",
            id="a named owner outside the team",
        ),
    ],
)
def test_owner_methods_take_the_owner_or_fall_back_to_round_robin(
    default, reps, owner, chosen, method, considered, note
):
    decision = decide(section(default, capacity={"daily": 4}), reps, owner=owner)
    tried = decision.trace[-1]
    assert (decision.owner_id, decision.method) == (chosen, method)
    assert skips(decision) == considered
    assert (tried.method, tried.chosen, tried.note) == (Method(default["method"]), chosen, note)


def test_an_unavailable_owner_and_nobody_else_leaves_the_team_queue_with_both_notes():
    decision = decide(section(ACCOUNT_OWNER), [rep(1, active=False), rep(2, away_from=dt.date(2026, 3, 1))], owner=2)
    assert (decision.owner_id, decision.queued, decision.method, decision.team_id) == (
        None,
        True,
        Method.ROUND_ROBIN,
        10,
    )
    assert skips(decision) == [(2, "away"), (1, "inactive")]
    assert decision.trace[-1].note == (
        "rep2@example.com is away: the team's round robin picks; nobody in the team is available: the team's queue"
    )


# --- availability: away ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("away_from", "away_until", "now", "time_zone", "away"),
    [
        pytest.param(None, None, NOW, "UTC", False, id="never away"),
        pytest.param(dt.date(2026, 3, 2), dt.date(2026, 3, 6), NOW, "UTC", True, id="within the absence"),
        pytest.param(dt.date(2026, 3, 4), dt.date(2026, 3, 4), NOW, "UTC", True, id="a one-day absence"),
        pytest.param(dt.date(2026, 3, 4), dt.date(2026, 3, 9), NOW, "UTC", True, id="the first day counts"),
        pytest.param(dt.date(2026, 2, 23), dt.date(2026, 3, 4), NOW, "UTC", True, id="the last day counts"),
        pytest.param(dt.date(2026, 2, 23), dt.date(2026, 3, 3), NOW, "UTC", False, id="back the day after"),
        pytest.param(dt.date(2026, 3, 5), dt.date(2026, 3, 9), NOW, "UTC", False, id="not gone yet"),
        pytest.param(dt.date(2026, 3, 1), None, NOW, "UTC", True, id="away from a day on, no end"),
        pytest.param(dt.date(2026, 3, 5), None, NOW, "UTC", False, id="away from tomorrow on"),
        pytest.param(None, dt.date(2026, 3, 4), NOW, "UTC", True, id="away until today"),
        pytest.param(None, dt.date(2026, 3, 3), NOW, "UTC", False, id="away until yesterday"),
        # 23:30 UTC on 4 March is 08:30 on 5 March in Tokyo and 18:30 on 4 March in New York.
        pytest.param(None, dt.date(2026, 3, 4), at(23, 30), "UTC", True, id="UTC: still 4 March"),
        pytest.param(None, dt.date(2026, 3, 4), at(23, 30), "Asia/Tokyo", False, id="Tokyo: already 5 March"),
        pytest.param(dt.date(2026, 3, 5), None, at(23, 30), "Asia/Tokyo", True, id="Tokyo: gone on 5 March"),
        pytest.param(dt.date(2026, 3, 5), None, at(23, 30), "UTC", False, id="UTC: not yet 5 March"),
        # 03:00 UTC on 4 March is 22:00 on 3 March in New York.
        pytest.param(dt.date(2026, 3, 4), None, at(3), "America/New_York", False, id="New York: still 3 March"),
        pytest.param(None, dt.date(2026, 3, 3), at(3), "America/New_York", True, id="New York: last day, 3 March"),
        pytest.param(None, dt.date(2026, 3, 3), at(3), "Not/AZone", False, id="an unknown zone reads as UTC"),
    ],
)
def test_away_is_read_in_the_teams_local_date_inclusive(away_from, away_until, now, time_zone, away):
    team = Team(10, "SDR", (1, 2), time_zone=time_zone)
    decision = decide(section(), [rep(1, away_from=away_from, away_until=away_until), rep(2)], teams=[team], now=now)
    assert decision.owner_id == (2 if away else 1)
    assert skips(decision) == [(1, "away" if away else None), (2, None)]


@pytest.mark.parametrize(
    ("away_until", "detail"),
    [(dt.date(2026, 3, 6), "away until 2026-03-06"), (None, "away")],
)
def test_the_trace_says_until_when_someone_is_away(away_until, detail):
    decision = decide(section(), [rep(1, away_from=dt.date(2026, 3, 1), away_until=away_until), rep(2)])
    assert decision.trace[-1].considered[0].detail == detail


# --- availability: capacity --------------------------------------------------------------------

CAPACITY = {"daily": 3, "open": 5, "reps": {email(1): {"daily": 1}, email(2): {"open": 8, "daily": 6}}}


@pytest.mark.parametrize(
    ("capacity", "subject", "skip", "detail"),
    [
        pytest.param({}, rep(3, assigned_today=500, open_handoffs=500), None, "", id="no capacity: no limit"),
        pytest.param(CAPACITY, rep(3, assigned_today=2, open_handoffs=4), None, "", id="under both limits"),
        pytest.param(CAPACITY, rep(3, assigned_today=3), Skip.DAILY_CAPACITY, "3 of 3 today", id="at the daily limit"),
        pytest.param(
            CAPACITY, rep(3, assigned_today=7), Skip.DAILY_CAPACITY, "7 of 3 today", id="past the daily limit"
        ),
        pytest.param(CAPACITY, rep(3, open_handoffs=5), Skip.OPEN_CAPACITY, "5 of 5 open", id="at the open limit"),
        pytest.param(
            CAPACITY,
            rep(3, assigned_today=3, open_handoffs=5),
            Skip.DAILY_CAPACITY,
            "3 of 3 today",
            id="both: the daily limit is named",
        ),
        pytest.param(
            CAPACITY, rep(1, assigned_today=1), Skip.DAILY_CAPACITY, "1 of 1 today", id="a rep's own daily limit"
        ),
        pytest.param(
            CAPACITY,
            rep(1, open_handoffs=5),
            Skip.OPEN_CAPACITY,
            "5 of 5 open",
            id="a rep's own daily limit keeps the default open one",
        ),
        pytest.param(
            CAPACITY, rep(2, assigned_today=5, open_handoffs=7), None, "", id="a rep's own limits above the defaults"
        ),
        pytest.param(
            CAPACITY, rep(2, open_handoffs=8), Skip.OPEN_CAPACITY, "8 of 8 open", id="at a rep's own open limit"
        ),
        pytest.param(
            {"reps": {email(3): {"open": 2}}},
            rep(3, open_handoffs=2, assigned_today=99),
            Skip.OPEN_CAPACITY,
            "2 of 2 open",
            id="a rep's own limit with no default",
        ),
        pytest.param(
            {"reps": {email(3): {"open": 2}}},
            rep(4, open_handoffs=99),
            None,
            "",
            id="someone else's own limit is not the default",
        ),
        pytest.param(
            {"daily": 2, "reps": {email(3).upper(): {"daily": 4}}},
            rep(3, assigned_today=3),
            None,
            "",
            id="a rep named in capitals",
        ),
    ],
)
def test_capacity_skips_whoever_is_at_their_limit(capacity, subject, skip, detail):
    team = Team(10, "SDR", (subject.id, 8))
    decision = decide(section(capacity=capacity), [subject, rep(8, assigned_in_period=1)], teams=[team])
    seen = decision.trace[-1].considered[0]
    assert (seen.rep_id, seen.skipped, seen.detail) == (subject.id, skip, detail)
    assert decision.owner_id == (8 if skip else subject.id)


# --- availability: working hours ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("working_hours", "hours", "time_zone", "now", "open_"),
    [
        pytest.param(True, WEEKDAYS_9_TO_5, "UTC", NOW, True, id="inside hours"),
        pytest.param(True, WEEKDAYS_9_TO_5, "UTC", at(17), False, id="17:00 is closed"),
        pytest.param(True, WEEKDAYS_9_TO_5, "UTC", at(8, 59), False, id="08:59 is closed"),
        pytest.param(True, WEEKDAYS_9_TO_5, "UTC", at(9), True, id="09:00 is open"),
        pytest.param(True, WEEKDAYS_9_TO_5, "Europe/Berlin", at(16, 30), False, id="17:30 in Berlin"),
        pytest.param(True, WEEKDAYS_9_TO_5, "America/New_York", at(13, 30), False, id="08:30 in New York"),
        pytest.param(True, WEEKDAYS_9_TO_5, "America/New_York", at(14), True, id="09:00 in New York"),
        pytest.param(True, WEEKDAYS_9_TO_5, "UTC", NOW + dt.timedelta(days=3), False, id="Saturday"),
        pytest.param(
            False,
            WEEKDAYS_9_TO_5,
            "UTC",
            NOW + dt.timedelta(days=3),
            True,
            id="the rule does not ask for working hours",
        ),
        pytest.param(True, None, "UTC", NOW + dt.timedelta(days=3), True, id="a team without hours is always open"),
        pytest.param(True, {}, "UTC", NOW, False, id="a team whose hours name no day is always closed"),
    ],
)
def test_working_hours_skip_everyone_when_the_team_is_closed(working_hours, hours, time_zone, now, open_):
    team = Team(10, "SDR", (1, 2), time_zone=time_zone, hours=hours)
    decision = decide(section({"team": "SDR", "working_hours": working_hours}), [rep(1), rep(2)], teams=[team], now=now)
    assert decision.owner_id == (1 if open_ else None)
    assert skips(decision) == [(1, None), (2, None)] if open_ else [(1, "outside_hours"), (2, "outside_hours")]
    if not open_:
        assert decision.trace[-1].considered[0].detail == f"SDR is closed now ({time_zone})"


# --- the order of the checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "skip"),
    [
        (rep(1, active=False, away_from=dt.date(2026, 3, 1), assigned_today=9, open_handoffs=9), Skip.INACTIVE),
        (rep(1, away_from=dt.date(2026, 3, 1), assigned_today=9, open_handoffs=9), Skip.AWAY),
        (rep(1, assigned_today=9, open_handoffs=9), Skip.OUTSIDE_HOURS),
    ],
)
def test_the_first_reason_to_skip_is_the_one_named(subject, skip):
    team = Team(10, "SDR", (1,), hours={})
    routing = section({"team": "SDR", "working_hours": True}, capacity={"daily": 1, "open": 1})
    decision = decide(routing, [subject], teams=[team])
    assert [c.skipped for c in decision.trace[-1].considered] == [skip]


# --- nobody available, unknown team ------------------------------------------------------------


@pytest.mark.parametrize(
    ("team", "reps"),
    [
        pytest.param(SDR, [rep(1, active=False), rep(2, active=False), rep(3, active=False)], id="all inactive"),
        pytest.param(
            SDR,
            [rep(1, away_until=dt.date(2026, 3, 9)), rep(2, assigned_today=2), rep(3, open_handoffs=1)],
            id="away or at capacity",
        ),
        pytest.param(Team(10, "SDR", ()), [rep(1)], id="a team with no members"),
        pytest.param(Team(10, "SDR", (5, 6)), [rep(1)], id="members routing does not know"),
    ],
)
def test_nobody_available_leaves_the_handoff_in_the_teams_queue(team, reps):
    decision = decide(
        section({"team": "SDR", "method": "load_balance"}, capacity={"daily": 2, "open": 1}), reps, teams=[team]
    )
    assert (decision.rule, decision.method, decision.team_id, decision.team, decision.owner_id, decision.queued) == (
        "default",
        Method.LOAD_BALANCE,
        10,
        "SDR",
        None,
        True,
    )
    assert decision.trace[-1].chosen is None
    assert decision.trace[-1].note == "nobody in the team is available: the team's queue"


@pytest.mark.parametrize("method", ["round_robin", "account_owner", "weighted"])
def test_an_unknown_team_routes_to_nobody_and_says_so(method):
    decision = decide(section({"team": "Ghosts", "method": method}), [rep(1), rep(2)], owner=1)
    assert (decision.rule, decision.method, decision.team_id, decision.team, decision.owner_id) == (
        "default",
        Method(method),
        None,
        "Ghosts",
        None,
    )
    assert [t.as_dict() for t in decision.trace] == [
        {
            "rule": "default",
            "label": "Default",
            "matched": True,
            "team": "Ghosts",
            "method": method,
            "considered": [],
            "chosen": None,
            "note": "no team named 'Ghosts'",
        },
    ]


# --- rules in order, first match wins ----------------------------------------------------------

RULES = [
    {
        "key": "enterprise",
        "label": "Big accounts",
        "when": {"field": "account.employees", "op": "gte", "value": 1000},
        "team": "AE",
        "method": "account_owner",
    },
    {
        "key": "emea",
        "label": "EMEA",
        "when": {"field": "account.country", "op": "in", "value": ["DE", "FR"]},
        "team": "EMEA",
    },
    {
        "key": "german",
        "label": "Germany",
        "when": {"field": "account.country", "op": "eq", "value": "DE"},
        "team": "DACH",
    },
]
TEAMS = [Team(1, "AE", (1,)), Team(2, "EMEA", (2,)), Team(3, "DACH", (3,)), Team(4, "SDR", (4,))]


@pytest.mark.parametrize(
    ("facts", "rule", "team", "owner", "tried"),
    [
        pytest.param(
            {"account.employees": 5000, "account.country": "DE"},
            "enterprise",
            "AE",
            1,
            [("enterprise", True)],
            id="the first rule wins; later ones are not tried",
        ),
        pytest.param(
            {"account.employees": 10, "account.country": "DE"},
            "emea",
            "EMEA",
            2,
            [("enterprise", False), ("emea", True)],
            id="a later rule that also holds loses",
        ),
        pytest.param(
            {"account.country": "FR"},
            "emea",
            "EMEA",
            2,
            [("enterprise", False), ("emea", True)],
            id="a missing fact does not hold",
        ),
        pytest.param(
            {"account.employees": 999, "account.country": "US"},
            "default",
            "SDR",
            4,
            [("enterprise", False), ("emea", False), ("german", False), ("default", True)],
            id="no rule holds: the default",
        ),
        pytest.param(
            {},
            "default",
            "SDR",
            4,
            [("enterprise", False), ("emea", False), ("german", False), ("default", True)],
            id="no facts: the default",
        ),
    ],
)
def test_rules_are_tried_in_order_and_the_first_match_wins(facts, rule, team, owner, tried):
    routing = section({"team": "SDR"}, RULES)
    decision = decide(routing, [rep(1), rep(2), rep(3), rep(4)], teams=TEAMS, facts=facts, owner=1)
    assert (decision.rule, decision.team, decision.owner_id) == (rule, team, owner)
    assert [(t.rule, t.matched) for t in decision.trace] == tried
    assert all(t.considered == () and t.chosen is None for t in decision.trace if not t.matched)


def test_a_matched_rule_whose_team_is_unknown_does_not_go_on_to_the_next_rule():
    routing = section({"team": "SDR"}, RULES)
    decision = decide(routing, [rep(2), rep(4)], teams=TEAMS[1:], facts={"account.employees": 5000}, owner=1)
    assert (decision.rule, decision.team_id, decision.team, decision.owner_id) == ("enterprise", None, "AE", None)
    assert [(t.rule, t.matched, t.note) for t in decision.trace] == [("enterprise", True, "no team named 'AE'")]


# --- the trace ---------------------------------------------------------------------------------


def test_the_trace_names_every_rule_tried_every_person_considered_and_the_choice():
    # given: a rule that does not hold, then a default whose owner is away, in a team in Berlin
    routing = section(
        {"team": "SDR", "method": "account_owner", "working_hours": True},
        [RULES[0]],
        capacity={"daily": 2, "open": 4},
    )
    team = Team(10, "SDR", (1, 2, 3, 4, 5), manager_id=99, time_zone="Europe/Berlin", hours=WEEKDAYS_9_TO_5)
    reps = [
        rep(1, away_from=dt.date(2026, 3, 2), away_until=dt.date(2026, 3, 4), name="Ann"),
        rep(2, active=False),
        rep(3, assigned_today=2),
        rep(4, open_handoffs=4),
        rep(5, assigned_in_period=3, last_assigned_at=at(9)),
    ]
    # when
    decision = decide(routing, reps, teams=[team], facts={"account.employees": 40}, owner=1)
    # then
    assert decision.as_dict() == {
        "rule": "default",
        "method": "round_robin",
        "team": "SDR",
        "owner": 5,
        "tried": [
            {
                "rule": "enterprise",
                "label": "Big accounts",
                "matched": False,
                "team": "AE",
                "method": "account_owner",
                "considered": [],
                "chosen": None,
                "note": "",
            },
            {
                "rule": "default",
                "label": "Default",
                "matched": True,
                "team": "SDR",
                "method": "account_owner",
                "considered": [
                    {"rep": 1, "email": "rep1@example.com", "skipped": "away", "detail": "away until 2026-03-04"},
                    {"rep": 2, "email": "rep2@example.com", "skipped": "inactive", "detail": ""},
                    {"rep": 3, "email": "rep3@example.com", "skipped": "daily_capacity", "detail": "2 of 2 today"},
                    {"rep": 4, "email": "rep4@example.com", "skipped": "open_capacity", "detail": "4 of 4 open"},
                    {"rep": 5, "email": "rep5@example.com", "skipped": None, "detail": ""},
                ],
                "chosen": 5,
                "note": "rep1@example.com is away: the team's round robin picks",
            },
        ],
    }
    assert json.loads(json.dumps(decision.as_dict())) == decision.as_dict()


def test_the_trace_of_a_queued_handoff_outside_hours_is_json():
    team = Team(10, "SDR", (1, 2), time_zone="America/New_York", hours=WEEKDAYS_9_TO_5)
    decision = decide(section({"team": "SDR", "working_hours": True}), [rep(1), rep(2)], teams=[team], now=at(3))
    assert json.loads(json.dumps(decision.as_dict())) == {
        "rule": "default",
        "method": "round_robin",
        "team": "SDR",
        "owner": None,
        "tried": [
            {
                "rule": "default",
                "label": "Default",
                "matched": True,
                "team": "SDR",
                "method": "round_robin",
                "considered": [
                    {
                        "rep": 1,
                        "email": "rep1@example.com",
                        "skipped": "outside_hours",
                        "detail": "SDR is closed now (America/New_York)",
                    },
                    {
                        "rep": 2,
                        "email": "rep2@example.com",
                        "skipped": "outside_hours",
                        "detail": "SDR is closed now (America/New_York)",
                    },
                ],
                "chosen": None,
                "note": "nobody in the team is available: the team's queue",
            },
        ],
    }


# --- local day and period start ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "time_zone", "day"),
    [
        (at(23, 30), "UTC", dt.date(2026, 3, 4)),
        (at(23, 30), "Asia/Tokyo", dt.date(2026, 3, 5)),
        (at(3), "America/Los_Angeles", dt.date(2026, 3, 3)),
        (at(3), "Nowhere/Special", dt.date(2026, 3, 4)),
        (at(3), "", dt.date(2026, 3, 4)),
        (at(3), "../etc/passwd", dt.date(2026, 3, 4)),
    ],
)
def test_local_day_is_the_date_in_the_zone_or_in_utc_when_the_zone_is_unknown(now, time_zone, day):
    assert local_day(now, time_zone) == day


@pytest.mark.parametrize(
    ("now", "period", "time_zone", "start"),
    [
        (NOW, "day", "UTC", dt.date(2026, 3, 4)),
        (NOW, "week", "UTC", dt.date(2026, 3, 2)),
        (dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC), "week", "UTC", dt.date(2026, 3, 2)),
        (dt.datetime(2026, 3, 8, 23, 59, tzinfo=dt.UTC), "week", "UTC", dt.date(2026, 3, 2)),
        (NOW, "month", "UTC", dt.date(2026, 3, 1)),
        (NOW, "quarter", "UTC", dt.date(2026, 1, 1)),
        (dt.datetime(2026, 4, 1, tzinfo=dt.UTC), "quarter", "UTC", dt.date(2026, 4, 1)),
        (dt.datetime(2026, 9, 30, tzinfo=dt.UTC), "quarter", "UTC", dt.date(2026, 7, 1)),
        (dt.datetime(2026, 12, 31, tzinfo=dt.UTC), "quarter", "UTC", dt.date(2026, 10, 1)),
        # 30 June 23:30 UTC is already 1 July in Tokyo: a new month and quarter there
        (dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC), "month", "Asia/Tokyo", dt.date(2026, 7, 1)),
        (dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC), "quarter", "Asia/Tokyo", dt.date(2026, 7, 1)),
        (dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC), "quarter", "UTC", dt.date(2026, 4, 1)),
        # Monday 00:30 in Berlin is still Sunday in UTC
        (dt.datetime(2026, 3, 8, 23, 30, tzinfo=dt.UTC), "week", "Europe/Berlin", dt.date(2026, 3, 9)),
    ],
)
def test_period_start_is_the_first_day_of_the_period_in_the_zone(now, period, time_zone, start):
    assert period_start(now, period, time_zone) == start


# --- properties --------------------------------------------------------------------------------

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
_day = st.dates(min_value=dt.date(2026, 2, 25), max_value=dt.date(2026, 3, 12))


@st.composite
def reps_strategy(draw: st.DrawFn) -> list[Rep]:
    count = draw(st.integers(min_value=0, max_value=7))
    reps = []
    for rep_id in range(1, count + 1):
        reps.append(
            rep(
                rep_id,
                active=draw(st.booleans()),
                away_from=draw(st.none() | _day),
                away_until=draw(st.none() | _day),
                assigned_today=draw(st.integers(0, 4)),
                assigned_in_period=draw(st.integers(0, 6)),
                open_handoffs=draw(st.integers(0, 6)),
                last_assigned_at=draw(st.none() | st.sampled_from([at(h) for h in range(0, 24, 3)])),
            )
        )
    return reps


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Routing, Team, list[Rep], int | None, dt.datetime]:
    reps = draw(reps_strategy())
    ids = [r.id for r in reps]
    members = tuple(draw(st.lists(st.sampled_from(ids), unique=True)) if ids else ())
    method = draw(st.sampled_from([m.value for m in Method]))
    default: dict[str, Any] = {"team": "SDR", "method": method, "working_hours": draw(st.booleans())}
    if method == "owner":
        default["owner"] = email(draw(st.integers(1, 8)))
    if method == "weighted" and ids:
        default["weights"] = draw(st.dictionaries(st.sampled_from([email(i) for i in ids]), st.integers(1, 500)))
    capacity: dict[str, Any] = {}
    for limit in ("daily", "open"):
        if draw(st.booleans()):
            capacity[limit] = draw(st.integers(1, 5))
    if draw(st.booleans()) and ids:
        capacity["reps"] = {email(draw(st.sampled_from(ids))): {"daily": draw(st.integers(1, 5))}}
    team = Team(
        10,
        "SDR",
        members,
        time_zone=draw(st.sampled_from(ZONES)),
        hours=draw(st.sampled_from([None, WEEKDAYS_9_TO_5, {}])),
    )
    owner = draw(st.none() | st.integers(1, 8))
    now = draw(
        st.datetimes(min_value=dt.datetime(2026, 3, 1), max_value=dt.datetime(2026, 3, 10), timezones=st.just(dt.UTC))
    )
    return section(default, capacity=capacity), team, reps, owner, now


def available(routing: Routing, team: Team, someone: Rep, now: dt.datetime) -> bool:
    """Availability restated from the rules, not read from the trace."""
    day = local_day(now, team.time_zone)
    capacity = routing.capacity_of(someone.email)
    return (
        someone.id in team.members
        and someone.active
        and not (
            (someone.away_from or dt.date.min) <= day <= (someone.away_until or dt.date.max)
            and (someone.away_from or someone.away_until)
        )
        and not (
            routing.default.working_hours
            and team.hours is not None
            and not within_hours(team.hours, team.time_zone, now)
        )
        and (capacity.daily is None or someone.assigned_today < capacity.daily)
        and (capacity.open is None or someone.open_handoffs < capacity.open)
    )


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_the_chosen_rep_is_available_and_in_the_team_and_nobody_available_means_the_queue(scenario):
    routing, team, reps, owner, now = scenario
    decision = decide(routing, reps, teams=[team], owner=owner, now=now)
    anyone = [r.id for r in reps if available(routing, team, r, now)]
    if decision.owner_id is not None:
        chosen = next(r for r in reps if r.id == decision.owner_id)
        assert decision.owner_id in team.members
        assert available(routing, team, chosen, now)
    assert decision.queued is (not anyone)
    # the trace names the choice and everyone considered once, skipped exactly when unavailable
    tried = decision.trace[-1]
    assert tried.chosen == decision.owner_id
    considered = [c.rep_id for c in tried.considered]
    assert len(considered) == len(set(considered))
    by_id = {r.id: r for r in reps}
    assert all((c.skipped is None) == available(routing, team, by_id[c.rep_id], now) for c in tried.considered)
    if tried.method in (Method.ACCOUNT_OWNER, Method.OWNER) and decision.method is tried.method:
        assert considered == [decision.owner_id]  # the owner took it: nobody else was looked at
    else:
        assert set(considered) >= {r.id for r in reps if r.id in team.members}
    json.dumps(decision.as_dict())


@settings(max_examples=80, deadline=None)
@given(n=st.integers(min_value=1, max_value=8), times=st.integers(min_value=0, max_value=40))
def test_repeated_round_robin_without_limits_keeps_counts_within_one(n, times):
    ids = tuple(range(1, n + 1))
    picks = simulate(section({"team": "SDR"}), [rep(i) for i in ids], times, Team(10, "SDR", ids))
    counts = [picks[i] for i in ids]
    assert sum(counts) == times
    assert max(counts) - min(counts) <= 1


@settings(max_examples=60, deadline=None)
@given(
    starts=st.lists(st.integers(min_value=0, max_value=5), min_size=2, max_size=6),
    extra=st.integers(min_value=0, max_value=30),
)
def test_round_robin_evens_out_uneven_starting_counts(starts, extra):
    # given: reps starting the period with different counts; enough hand-offs to catch up, and more
    ids = tuple(range(1, len(starts) + 1))
    reps = [
        rep(i, assigned_in_period=s, last_assigned_at=at(1) if s else None) for i, s in zip(ids, starts, strict=True)
    ]
    times = sum(max(starts) - s for s in starts) + extra
    picks = simulate(section({"team": "SDR"}), reps, times, Team(10, "SDR", ids))
    totals = [s + picks[i] for i, s in zip(ids, starts, strict=True)]
    assert max(totals) - min(totals) <= 1
