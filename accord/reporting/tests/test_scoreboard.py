"""The SLA scoreboard, both sides, from the history.

Given the SDR Americas team in New York and the default playbook (120 MQLs a month, 60 %
acceptance), when three contacts become MQLs on Tuesday 1 December 2026 at 10:00 New York time,
one is touched at 10:30 and accepted, one is touched only at 13:00 (after its 11:00 deadline) and
rejected, and one is left alone and swept as breached, then the scoreboard of that day, week and
month reads exactly as below — and reads the same after later work.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from accord.core import clock
from accord.lifecycle import handoff_actions
from accord.lifecycle.models import Handoff
from accord.lifecycle.tests.test_handoffs import mql, team  # noqa: F401 (a fixture)
from accord.playbook.queries import active_playbook
from accord.reporting.domain import period_of
from accord.reporting.scoreboard import scoreboard
from accord.sla.sweep import sweep
from accord.sla.tests.test_clocks import ny, touch


@pytest.fixture
def day_of_work(users, team):  # noqa: F811
    made = [Handoff.objects.get(contact=mql(f"c{n}@acme.io", users["admin"])) for n in range(3)]
    quick, late, _ = made
    touch(quick, quick.owner, ny("2026-12-01 10:30"))
    with clock.frozen(ny("2026-12-01 10:45")):
        handoff_actions.handoff_accept(handoff=quick, acting_user=quick.owner)
    touch(late, late.owner, ny("2026-12-01 13:00"))
    with clock.frozen(ny("2026-12-01 13:10")):
        handoff_actions.handoff_reject(handoff=late, acting_user=late.owner, reason="no_budget")
    sweep(now=ny("2026-12-01 16:00"))
    return made


def board(kind: str, day: str = "2026-12-01"):
    return scoreboard(period_of(kind, dt.date.fromisoformat(day)), playbook=active_playbook().playbook)


@pytest.mark.django_db
def test_the_sales_side_counts_met_and_breached_first_touches_and_their_times(day_of_work):
    quick, _, _ = day_of_work
    result = board("day")
    total = result.total
    assert (total.received, total.met["first_touch"], total.breached["first_touch"]) == (3, 1, 2)
    assert total.attainment() == pytest.approx(1 / 3)
    assert total.sla_minutes == Counter({30: 1, 180: 1})  # the late one is counted at its real time
    assert total.median_speed == pytest.approx(105)  # (30 + 180) / 2 wall minutes
    assert total.median_wait == 0
    assert dict(total.closed) == {"accepted": 1, "rejected": 1}
    assert total.met["disposition"] == 2  # accept and reject are both dispositions
    by_rep = {line.key: line for line in result.reps}
    assert sum(line.received for line in by_rep.values()) == 3
    assert by_rep[quick.owner_id].met["first_touch"] >= 1
    assert [t.name for t in result.teams] == ["SDR Americas"]


@pytest.mark.django_db
def test_the_marketing_side_counts_mqls_against_the_commitment_and_acceptance(day_of_work):
    result = board("month").marketing
    assert (result.delivered, result.commitment) == (3, pytest.approx(120))
    assert result.delivery == pytest.approx(3 / 120)
    assert (result.accepted, result.handed_back, result.acceptance, result.acceptance_target) == (1, 1, 0.5, 0.6)
    assert result.reasons == [("no_budget", "direct", 1)]
    assert result.cumulative()[0] == (dt.date(2026, 12, 1), 3)
    assert result.cumulative()[-1] == (dt.date(2026, 12, 31), 3)
    assert board("day").marketing.commitment == pytest.approx(120 / 31)


@pytest.mark.django_db
def test_a_past_period_reads_the_same_after_later_work(day_of_work):
    before = board("day")
    _, _, idle = day_of_work
    touch(idle, idle.owner, ny("2026-12-02 09:30"))  # late, on the next day
    with clock.frozen(ny("2026-12-02 09:40")):
        handoff_actions.handoff_accept(handoff=idle, acting_user=idle.owner)
    after = board("day")
    assert (after.total.met, after.total.breached, after.total.received) == (
        before.total.met,
        before.total.breached,
        before.total.received,
    )
    assert (after.marketing.accepted, after.marketing.handed_back) == (1, 1)
    next_day = board("day", "2026-12-02")
    assert (next_day.total.met["first_touch"], next_day.total.sla_minutes) == (0, Counter({450: 1}))
    assert next_day.marketing.accepted == 1


@pytest.mark.django_db
def test_a_hand_off_no_rep_held_has_no_wait_rather_than_a_wait_of_nothing(day_of_work):
    _, late, _ = day_of_work
    Handoff.objects.filter(pk=late.pk).update(assigned_at=None)  # it sat in the team queue until touched
    total = board("day").total
    assert (total.speed_minutes, total.wait_minutes) == (Counter({30: 1, 180: 1}), Counter({0: 1}))
