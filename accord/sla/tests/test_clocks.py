"""The SLA clocks of hand-offs, milestone by milestone.

Given the default playbook's sales terms (first touch within 1 / 4 / 16 business hours by priority,
5 touches within 10 business days, a disposition within 14, a reminder an hour before a breach)
and a team in New York working 09:00–17:00 on weekdays, when a contact becomes an MQL on Tuesday
1 December 2026 at 10:00 New York time, then its hand-off gets three milestones, and touches,
pauses, reassignments, closes and calendar edits move them as below.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accord.accounts.models import User
from accord.core import clock
from accord.core.errors import InvalidInput, PermissionDenied
from accord.lifecycle import handoff_actions
from accord.lifecycle.models import Handoff
from accord.lifecycle.tests.test_handoffs import NOW, mql, rep, team  # noqa: F401 (a fixture)
from accord.playbook.domain.sla import OnReassign, SalesTerms
from accord.sla import calendars, clocks
from accord.sla.models import CalendarVersion, Milestone, SlaEvent

NY = ZoneInfo("America/New_York")
MIN = dt.timedelta(minutes=1)


def ny(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NY).astimezone(dt.UTC)


def clocks_of(handoff: Handoff) -> dict[str, Milestone]:
    return {m.kind: m for m in Milestone.objects.filter(handoff=handoff)}


def history(handoff: Handoff) -> list[tuple[str, str]]:
    return list(SlaEvent.objects.filter(handoff=handoff).order_by("at", "id").values_list("details__kind", "kind"))


def touch(handoff: Handoff, user: User, at: dt.datetime) -> None:
    with clock.frozen(at):
        handoff_actions.handoff_log_touch(handoff=handoff, acting_user=user, channel="call", outcome="no_answer", at=at)


@pytest.fixture
def handoff(users, team) -> Handoff:  # noqa: F811
    return Handoff.objects.get(contact=mql("c1@acme.io", users["admin"]))


@pytest.mark.django_db
def test_routing_starts_three_milestones_under_the_teams_calendar(handoff):
    found = clocks_of(handoff)
    assert ny("2026-12-01 10:00") == NOW
    assert handoff.priority == "high"
    version = CalendarVersion.objects.get()
    assert (version.team_id, version.number, version.document["time_zone"]) == (handoff.team_id, 1, "America/New_York")
    expected = {
        # kind: (target business minutes, touches required, due)
        "first_touch": (60, 1, ny("2026-12-01 11:00")),
        "touches": (10 * 480 - 60, 5, ny("2026-12-14 17:00")),  # Tue 1st … Mon 14th, the 1st from 10:00
        "disposition": (14 * 480 - 60, 1, ny("2026-12-18 17:00")),
    }
    assert {k: (m.target_minutes, m.required, m.due_at) for k, m in found.items()} == expected
    assert all(
        (m.state, m.owner_id, m.team_id, m.calendar_id, m.started_at)
        == ("running", handoff.owner_id, handoff.team_id, version.pk, NOW)
        for m in found.values()
    )
    assert found["first_touch"].remind_at is None  # a one-hour target with a one-hour lead: no reminder
    assert history(handoff) == [("first_touch", "started"), ("touches", "started"), ("disposition", "started")]


@pytest.mark.django_db
def test_a_normal_priority_first_touch_is_reminded_an_hour_of_business_time_before(users, team):  # noqa: F811
    contact = mql("c2@acme.io", users["admin"], at=ny("2026-12-04 15:30"))  # a Friday afternoon
    handoff = Handoff.objects.get(contact=contact)
    Handoff.objects.filter(pk=handoff.pk).update(priority="normal")
    Milestone.objects.filter(handoff=handoff).delete()
    handoff.refresh_from_db()
    clocks.start([handoff], terms=SalesTerms(remind_before_hours=1), now=ny("2026-12-04 15:30"))
    first = clocks_of(handoff)["first_touch"]
    # 4 h from Friday 15:30: 1.5 h on Friday, 2.5 h on Monday → due Monday 11:30, reminded at 10:30
    assert (first.due_at, first.remind_at) == (ny("2026-12-07 11:30"), ny("2026-12-07 10:30"))


@pytest.mark.parametrize(
    ("touched_at", "state", "elapsed", "events"),
    [
        ("2026-12-01 10:40", "met", 40, ["started", "met"]),
        ("2026-12-01 11:00", "met", 60, ["started", "met"]),  # on the minute it is due
        ("2026-12-01 16:30", "breached", 390, ["started", "breached", "completed"]),
        ("2026-12-02 09:30", "breached", 450, ["started", "breached", "completed"]),  # the night is not counted
    ],
)
@pytest.mark.django_db
def test_the_first_touch_is_met_or_breached_by_when_it_happened(handoff, touched_at, state, elapsed, events):
    touch(handoff, handoff.owner, ny(touched_at))
    first = clocks_of(handoff)["first_touch"]
    assert (first.state, first.completed_at, first.elapsed_minutes) == (state, ny(touched_at), elapsed)
    assert first.breached_at == (ny("2026-12-01 11:00") if state == "breached" else None)
    assert [kind for what, kind in history(handoff) if what == "first_touch"] == events
    assert clocks_of(handoff)["touches"].done == 1


@pytest.mark.django_db
def test_a_touch_logged_afterwards_counts_when_it_happened(handoff):
    touch_at, logged_at = ny("2026-12-01 10:50"), ny("2026-12-01 14:00")
    with clock.frozen(logged_at):
        handoff_actions.handoff_log_touch(
            handoff=handoff, acting_user=handoff.owner, channel="email", outcome="replied", at=touch_at
        )
    assert clocks_of(handoff)["first_touch"].state == "met"


@pytest.mark.django_db
def test_the_fifth_touch_meets_the_touches_milestone(handoff):
    for n in range(5):
        touch(handoff, handoff.owner, ny(f"2026-12-0{2 + n // 2} 1{n}:00"))
    milestone = clocks_of(handoff)["touches"]
    assert (milestone.done, milestone.state, milestone.completed_at) == (5, "met", ny("2026-12-04 14:00"))


@pytest.mark.django_db
def test_accepting_meets_the_disposition_and_cancels_the_clocks_still_running(handoff):
    with clock.frozen(ny("2026-12-01 10:20")):
        handoff_actions.handoff_accept(handoff=handoff, acting_user=handoff.owner)
    found = clocks_of(handoff)
    assert {k: (m.state, m.elapsed_minutes) for k, m in found.items()} == {
        "first_touch": ("cancelled", 20),
        "touches": ("cancelled", 20),
        "disposition": ("met", 20),
    }
    assert not Milestone.objects.filter(state="running").exists()


@pytest.mark.django_db
def test_recycled_mid_clock_after_a_breach_keeps_the_breach(handoff):
    with clock.frozen(ny("2026-12-02 12:00")):
        handoff_actions.handoff_recycle(
            handoff=handoff, acting_user=handoff.owner, reason="timing", note="", reengage_on=dt.date(2027, 3, 1)
        )
    found = clocks_of(handoff)
    assert (found["first_touch"].state, found["first_touch"].breached_at) == ("breached", ny("2026-12-01 11:00"))
    assert found["first_touch"].elapsed_minutes == 420 + 180  # Tuesday 10:00–17:00, Wednesday 09:00–12:00
    assert (found["touches"].state, found["disposition"].state) == ("cancelled", "met")


@pytest.mark.django_db
def test_a_pause_stops_the_clock_and_resuming_moves_the_due_moment(handoff):
    clocks.pause(handoff.pk, at=ny("2026-12-01 10:30"), by_user_id=None, reason="asked to be called on Thursday")
    first = clocks_of(handoff)["first_touch"]
    assert (first.state, first.used_minutes, first.due_at) == ("paused", 30, None)
    assert first.remaining(ny("2026-12-03 10:00")) == 30 * MIN
    clocks.resume(handoff.pk, at=ny("2026-12-03 16:50"), by_user_id=None)
    first = clocks_of(handoff)["first_touch"]
    assert (first.state, first.due_at) == ("running", ny("2026-12-04 09:20"))  # 10 min Thursday, 20 on Friday
    touch(handoff, handoff.owner, ny("2026-12-04 09:10"))
    first = clocks_of(handoff)["first_touch"]
    assert (first.state, first.elapsed_minutes) == ("met", 50)
    assert [kind for what, kind in history(handoff) if what == "first_touch"] == ["started", "paused", "resumed", "met"]


@pytest.mark.django_db
def test_a_reassignment_continues_the_clock_for_the_new_owner(handoff, users):
    bob = rep("bob@example.com") if handoff.owner.email == "ann@example.com" else rep("ann@example.com")
    with clock.frozen(ny("2026-12-01 10:30")):
        handoff_actions.handoff_reassign(handoff=handoff, acting_user=handoff.team.manager, to_user=bob, reason="ooo")
    first = clocks_of(handoff)["first_touch"]
    assert (first.owner_id, first.due_at, first.state) == (bob.pk, ny("2026-12-01 11:00"), "running")
    assert history(handoff)[-3:] == [("first_touch", "reassigned"), ("touches", "reassigned"),
                                     ("disposition", "reassigned")]  # fmt: skip


@pytest.mark.django_db
def test_a_reassignment_restarts_the_clocks_when_the_playbook_says_so(handoff):
    at = ny("2026-12-01 16:30")
    handoff.owner_id = rep("bob@example.com").pk
    clocks.reassigned(handoff, terms=SalesTerms(on_reassign=OnReassign.RESTART, disposition_days=2), at=at,
                      by_user_id=None)  # fmt: skip
    rows = list(Milestone.objects.filter(handoff=handoff).order_by("pk").values_list("kind", "state", "owner_id",
                                                                                      "due_at"))  # fmt: skip
    old_owner = rows[0][2]
    assert rows == [
        ("first_touch", "cancelled", old_owner, None),
        ("touches", "cancelled", old_owner, None),
        ("disposition", "cancelled", old_owner, None),
        ("first_touch", "running", handoff.owner_id, ny("2026-12-02 09:30")),
        ("disposition", "running", handoff.owner_id, ny("2026-12-02 17:00")),
    ]
    assert [kind for _, kind in history(handoff)][-5:] == ["cancelled"] * 3 + ["restarted"] * 2


@pytest.mark.django_db
def test_a_new_calendar_version_moves_running_clocks_and_leaves_finished_ones_alone(handoff, users):
    touch(handoff, handoff.owner, ny("2026-12-01 10:30"))
    document = {"time_zone": "America/New_York", "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                "holidays": ["2026-12-02"], "closures": []}  # fmt: skip
    with clock.frozen(ny("2026-12-01 12:00")):
        version = calendars.calendar_save(team=handoff.team, document=document, acting_user=users["admin"], note="x")
    found = clocks_of(handoff)
    assert version.number == 2
    assert (found["first_touch"].calendar.number, found["first_touch"].state) == (1, "met")
    # disposition: 120 min used by 12:00 under v1; the rest from noon under v2 skips Wednesday the 2nd
    assert (found["disposition"].calendar_id, found["disposition"].used_minutes) == (version.pk, 120)
    assert found["disposition"].due_at == ny("2026-12-21 17:00")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"time_zone": "Nowhere/Land"}, "time_zone"),
        ({"hours": {"mon": [["10:00", "09:00"]]}}, "hours.mon[0]"),
        ({"hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "hours.mon"),
        ({"holidays": ["02-30"]}, "holidays[0]"),
    ],
)
@pytest.mark.django_db
def test_a_calendar_that_cannot_be_used_is_refused_with_its_field_and_nothing_written(handoff, users, document, field):
    before = list(CalendarVersion.objects.values_list("pk", flat=True))
    with pytest.raises(InvalidInput) as error:
        calendars.calendar_save(team=handoff.team, document=document, acting_user=users["admin"])
    assert error.value.field == field
    assert list(CalendarVersion.objects.values_list("pk", flat=True)) == before
    handoff.team.refresh_from_db()
    assert handoff.team.time_zone == "America/New_York"


@pytest.mark.django_db
def test_only_admins_write_calendars(handoff):
    with pytest.raises(PermissionDenied):
        calendars.calendar_save(team=handoff.team, document={}, acting_user=handoff.owner)
    assert CalendarVersion.objects.count() == 1
