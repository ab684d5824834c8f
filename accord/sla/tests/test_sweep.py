"""The SLA sweep: breaches with an escalation to the manager, reminders before them, each once.

Given a high-priority hand-off routed on Tuesday 1 December 2026 at 10:00 New York time (first
touch due 11:00) and a normal one (due 14:00, reminded at 13:00), when the sweep runs at given
moments, then it breaches, escalates and reminds exactly as below, and a second sweep at the same
moment changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from accord.lifecycle.models import Handoff
from accord.lifecycle.tests.test_handoffs import NOW, mql, team  # noqa: F401 (a fixture)
from accord.notify.models import Delivery, Message, Notification
from accord.playbook.domain.sla import SalesTerms
from accord.sla import clocks
from accord.sla.models import Milestone, SlaEvent
from accord.sla.sweep import sweep
from accord.sla.tests.test_clocks import ny, touch


@pytest.fixture
def two(users, team):  # noqa: F811
    high = Handoff.objects.get(contact=mql("c1@acme.io", users["admin"]))
    normal = Handoff.objects.get(contact=mql("c2@acme.io", users["admin"]))
    Handoff.objects.filter(pk=normal.pk).update(priority="normal")
    Milestone.objects.filter(handoff=normal).delete()
    normal.refresh_from_db()
    clocks.start([normal], terms=SalesTerms(remind_before_hours=1), now=NOW, kinds={"first_touch"})
    return high, normal


def first(handoff: Handoff) -> Milestone:
    return Milestone.objects.get(handoff=handoff, kind="first_touch")


@pytest.mark.django_db
def test_nothing_is_due_before_its_time(two):
    assert sweep(now=ny("2026-12-01 10:59")) == {"breached": 0, "reminded": 0}
    assert not Message.objects.filter(event__startswith="sla.").exists()


@pytest.mark.django_db
def test_a_breach_is_escalated_to_the_manager_once(two):
    high, _ = two
    at = ny("2026-12-01 11:05")
    assert sweep(now=at) == {"breached": 1, "reminded": 0}
    assert sweep(now=at) == {"breached": 0, "reminded": 0}
    milestone = first(high)
    assert (milestone.state, milestone.breached_at, milestone.escalated_at) == ("breached", ny("2026-12-01 11:00"), at)
    assert list(SlaEvent.objects.filter(milestone=milestone).values_list("kind", "at")) == [
        ("started", NOW),
        ("breached", ny("2026-12-01 11:00")),
        ("escalated", at),
    ]
    message = Message.objects.get(event="sla.breached")
    assert (message.event, message.key) == ("sla.breached", f"sla.breached:milestone:{milestone.pk}")
    assert message.title == "SLA breached: first touch for c1@acme.io"
    assert message.payload["owner"] == high.owner.email
    told = set(Notification.objects.filter(message=message).values_list("user_id", flat=True))
    assert told == {high.team.manager_id, high.owner_id}
    assert set(Delivery.objects.filter(message=message).values_list("channel", flat=True)) == {"email"}


@pytest.mark.django_db
def test_a_reminder_goes_to_the_owner_an_hour_before_and_only_once(two):
    _, normal = two
    assert first(normal).remind_at == ny("2026-12-01 13:00")
    at = ny("2026-12-01 13:01")
    counts = sweep(now=at)
    assert counts == {"breached": 1, "reminded": 1}  # the high one breached at 11:00 meanwhile
    assert sweep(now=at + dt.timedelta(minutes=1))["reminded"] == 0
    reminder = Message.objects.get(event="sla.reminder")
    assert list(Notification.objects.filter(message=reminder).values_list("user_id", flat=True)) == [normal.owner_id]
    assert first(normal).reminded_at == at


@pytest.mark.django_db
def test_a_touch_after_the_breach_completes_it_late_and_the_sweep_leaves_it_alone(two):
    high, _ = two
    sweep(now=ny("2026-12-01 11:30"))
    touch(high, high.owner, ny("2026-12-01 12:00"))
    milestone = first(high)
    assert (milestone.state, milestone.completed_at, milestone.elapsed_minutes) == ("breached", ny("2026-12-01 12:00"), 120)
    assert list(SlaEvent.objects.filter(milestone=milestone).values_list("kind", flat=True)) == [
        "started", "breached", "escalated", "completed"
    ]  # fmt: skip
    assert sweep(now=ny("2026-12-02 12:00"))["breached"] == 1  # the normal one, not this one again
