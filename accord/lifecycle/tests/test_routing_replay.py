"""The routing backtest's replay against assignments worked out by hand.

Given two teams and a period's MQLs in time order, when the replay routes them under a section,
then each goes where the rules and the counts of that moment send it, a hand-off stays open until
the real one closed, and the comparison counts the owners that differ.
"""

from __future__ import annotations

import datetime as dt

from accord.accounts.domain import parse_hours
from accord.lifecycle import routing
from accord.lifecycle.routing_replay import PastMql, compare, replay
from accord.playbook.domain.routing import routing_of

T0 = dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in New York
HOURS = parse_hours({"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]})
TEAMS = {
    "SDR": routing.Team(1, "SDR", members=(1, 2), time_zone="America/New_York", hours=HOURS),
    "EMEA": routing.Team(2, "EMEA", members=(3,), time_zone="Europe/Berlin", hours=HOURS),
}
REPS = {
    1: routing.Rep(1, "ann@example.com"),
    2: routing.Rep(2, "bob@example.com"),
    3: routing.Rep(3, "eva@example.com"),
}
ACTIVE = routing_of({"default": {"team": "SDR", "method": "round_robin"}})
DRAFT = routing_of(
    {
        "rules": [{"key": "emea", "when": {"field": "account.country", "op": "eq", "value": "DE"}, "team": "EMEA"}],
        "default": {"team": "SDR", "method": "load_balance"},
        "capacity": {"open": 1},
    }
)


def mql(hours: float, country: str = "US", *, closes_after: float | None = None, priority: str = "high") -> PastMql:
    at = T0 + dt.timedelta(hours=hours)
    closed = at + dt.timedelta(hours=closes_after) if closes_after is not None else None
    return PastMql(contact_id=int(hours * 10), at=at, facts={"account.country": country}, account_owner_id=None,
                   priority=priority, closed_at=closed)  # fmt: skip


MQLS = [
    mql(0, closes_after=1),  # closes at 1h
    mql(0.5),  # stays open
    mql(2, "DE"),
    mql(3),
    mql(12),  # 02:00 in New York: outside hours
]


def test_round_robin_under_the_active_section_worked_out_by_hand():
    side = replay("active", ACTIVE, MQLS, teams=TEAMS, reps=REPS, response_hours={1: 0.5, 2: 3.0},
                  sla_hours={"high": 1.0})  # fmt: skip
    # ann, bob, then both at one: ann (waited longest), bob, ann
    assert side.owners == [1, 2, 1, 2, 1]
    assert (dict(side.per_rep), dict(side.per_team), side.queued) == ({1: 3, 2: 2}, {"SDR": 5}, 0)
    assert side.outside_hours == 1  # the last, at 02:00 in New York
    assert side.sla_misses == 2  # bob answers in 3 h against 1 h for high priority


def test_the_draft_routes_emea_away_and_caps_open_items_worked_out_by_hand():
    side = replay("draft", DRAFT, MQLS, teams=TEAMS, reps=REPS, response_hours={}, sla_hours={"high": 1.0})
    # 0h ann (open 1); 0.5h ann is at capacity -> bob; 2h DE -> eva; 3h ann closed at 1h -> ann;
    # (bob is skipped at capacity); 12h ann and bob both hold one open item: the team's queue
    assert side.owners == [1, 2, 3, 1, None]
    assert (side.queued, dict(side.per_team)) == (1, {"SDR": 4, "EMEA": 1})
    assert dict(side.capped) == {1: 2, 2: 2}  # ann at 0.5h and 12h, bob at 3h and 12h
    assert side.sla_unknown == 4  # nobody has a first touch on record


def test_the_comparison_counts_the_owners_that_differ():
    active = replay("active", ACTIVE, MQLS, teams=TEAMS, reps=REPS, response_hours={}, sla_hours={})
    draft = replay("draft", DRAFT, MQLS, teams=TEAMS, reps=REPS, response_hours={}, sla_hours={})
    comparison = compare(active, draft)
    assert (comparison.mqls, comparison.owner_changes) == (5, 3)  # the 3rd, the 4th and the 5th
    assert comparison.as_dict()["draft"]["queued"] == 1
