"""The scoreboard's rollups of settled days agree with reading the history live.

Given hand-offs worked over three weeks through the product's own actions (routed, touched — some
touches logged days late —, accepted, rejected, reassigned, swept) and the rollup job run at any
moments in between, when any day, week or month is shown, then every figure is the one a live
read of the whole history gives.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.accounts.models import User
from accord.core import clock
from accord.lifecycle import handoff_actions
from accord.lifecycle.models import Handoff
from accord.lifecycle.tests.test_handoffs import mql, team  # noqa: F401 (a fixture)
from accord.playbook.queries import active_playbook
from accord.reporting import rollups
from accord.reporting.domain import Period, period_of
from accord.reporting.models import ScoreDay, ScoreRollup
from accord.reporting.scoreboard import Line, Scoreboard, scoreboard
from accord.sla.sweep import sweep
from accord.sla.tests.test_clocks import touch

EMAILS = itertools.count()
START = dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in New York

step = st.tuples(
    st.sampled_from(["mql", "touch", "late touch", "accept", "reject", "reassign", "sweep", "build"]),
    st.integers(0, 21 * 24),  # hours after the start
    st.integers(0, 50),  # which hand-off
)


def figures(line: Line) -> tuple[Any, ...]:
    return (
        line.name,
        line.received,
        line.met,
        line.breached,
        line.sla_minutes,
        line.speed_minutes,
        line.wait_minutes,
        line.closed,
    )


def board(period: Period) -> tuple[Any, ...]:
    found: Scoreboard = scoreboard(period, playbook=active_playbook().playbook)
    m = found.marketing
    return (
        [figures(r) for r in found.reps],
        [figures(t) for t in found.teams],
        figures(found.total),
        (m.delivered, m.by_day, m.by_source, m.accepted, m.handed_back, m.reasons),
    )


def _work(users: dict[str, User], steps: list[tuple[str, int, int]]) -> dt.datetime:
    reps = list(User.objects.filter(role="sales_rep").order_by("pk"))
    made: list[int] = []
    at = START
    for n, (what, hours, which) in enumerate(sorted(steps, key=lambda s: s[1])):
        at = START + dt.timedelta(hours=hours, minutes=n)
        if what == "mql":
            made.append(Handoff.objects.get(contact=mql(f"c{next(EMAILS)}@acme.io", users["admin"], at=at)).pk)
            continue
        if what == "sweep":
            with clock.frozen(at):
                sweep(now=at)
            continue
        if what == "build":
            with clock.frozen(at):
                rollups.rollup_build(now=at)
            continue
        if not made:
            continue
        handoff = Handoff.objects.get(pk=made[which % len(made)])
        if handoff.state != Handoff.State.OPEN or handoff.owner is None:
            continue
        with clock.frozen(at):
            if what == "touch":
                touch(handoff, handoff.owner, at)
            elif what == "late touch":  # logged now, made days ago (after the hand-off was routed)
                touch(
                    handoff, handoff.owner, max(handoff.created_at + dt.timedelta(minutes=5), at - dt.timedelta(days=4))
                )
            elif what == "accept":
                handoff_actions.handoff_accept(handoff=handoff, acting_user=handoff.owner)
            elif what == "reject":
                handoff_actions.handoff_reject(handoff=handoff, acting_user=handoff.owner, reason="no_budget")
            else:
                other = next(r for r in reps if r.pk != handoff.owner_id)
                handoff_actions.handoff_reassign(
                    handoff=handoff, acting_user=users["admin"], to_user=other, reason="cover"
                )
    return at


def periods(until: dt.datetime) -> list[Period]:
    first = START.date()
    days = [first + dt.timedelta(days=n) for n in range((until.date() - first).days + 2)]
    return (
        [period_of("day", d) for d in days]
        + [period_of(kind, first) for kind in ("week", "month")]
        + [period_of(kind, until.date()) for kind in ("week", "month", "quarter")]
    )


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(step, min_size=4, max_size=30))
def test_rolled_up_days_read_as_the_history_does(users, team, steps):  # noqa: F811
    Handoff.objects.all().delete()
    ScoreDay.objects.all().delete()
    ScoreRollup.objects.all().delete()
    end = _work(users, steps)
    later = end + dt.timedelta(days=3)
    with clock.frozen(later):
        rolled = [board(p) for p in periods(end)]
        ScoreRollup.objects.all().delete()  # without rollups: everything read live
        live = [board(p) for p in periods(end)]
    assert rolled == live


@pytest.mark.django_db
def test_a_settled_day_is_read_from_its_rollup_and_one_that_changed_live_until_rebuilt(users, team):  # noqa: F811
    handoff = Handoff.objects.get(contact=mql("a@acme.io", users["admin"], at=START))
    touch(handoff, handoff.owner, START + dt.timedelta(minutes=30))
    now = START + dt.timedelta(days=5)
    with clock.frozen(now):
        assert rollups.rollup_build(now=now)["days"] == 5  # from the first day of history to yesterday
        day = period_of("day", START.date())
        assert board(day)[2][5] == {30: 1}  # the speed to lead, from the rollup
        assert ScoreDay.objects.filter(day=START.date()).count() == 2  # the rep's line and marketing's
        ninety_nine = np.asarray([99] + [0] * (len(rollups.COUNTS) - 1), dtype="<i4").tobytes()  # received first
        ScoreDay.objects.filter(day=START.date(), key__startswith="sales:").update(counts=ninety_nine)
        assert board(day)[2][1] == 99  # proof it reads the rollup
        other = User.objects.filter(role="sales_rep").exclude(pk=handoff.owner_id).first()
        handoff_actions.handoff_reassign(handoff=handoff, acting_user=users["admin"], to_user=other, reason="cover")
        assert rollups.changed_days(ScoreRollup.objects.get().previous) == {START.date(), now.date()}
        assert board(day)[2][1] == 1  # the day changed: read live
        assert rollups.rollup_build(now=now)["days"] == 1  # rebuilt
        assert board(day)[2][1] == 1
        speeds = {rep[0]: rep[5] for rep in board(day)[0] if rep[5]}
        assert speeds == {other.display_name: {30: 1}}  # the first touch's speed is now the other rep's


def test_runs_of_days_are_contiguous_and_bounded() -> None:
    d = dt.date(2026, 1, 1)
    days = [d, d + dt.timedelta(days=1), d + dt.timedelta(days=3)] + [d + dt.timedelta(days=10 + n) for n in range(40)]
    assert rollups._runs(days) == [(d, d + dt.timedelta(days=1)), (d + dt.timedelta(days=3),) * 2, (days[3], days[-1])]
    assert rollups._runs(days, most=31) == [
        (d, d + dt.timedelta(days=1)),
        (d + dt.timedelta(days=3), d + dt.timedelta(days=3)),
        (d + dt.timedelta(days=10), d + dt.timedelta(days=40)),
        (d + dt.timedelta(days=41), d + dt.timedelta(days=49)),
    ]
