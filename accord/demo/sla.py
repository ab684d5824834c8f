"""The demo's SLA: team calendars in their two time zones, each with a holiday written some months
ago as its second version; every demo hand-off's clocks replayed through the product's own clock
code, in time order (started when it was routed, under the calendar in force then; each touch as
it was logged; the close), so the met and breached milestones agree with the hand-off history;
one open hand-off paused; the sweep of today (breaches escalated, reminders sent, with their
notifications); people's choices of how they hear of events, with yesterday's sweep and the
sales manager's digest of its escalations; and a webhook subscription, switched off, with deliveries that went out (one
failed once and was sent on its retry)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

from accord.accounts.models import Team, User
from accord.core import clock
from accord.demo.domain import people
from accord.lifecycle.models import Handoff, Touch
from accord.notify.digests import digest_send
from accord.notify.domain import new_secret
from accord.notify.models import Attempt, Delivery, Message, Preference, Subscription
from accord.notify.preferences import preferences_set
from accord.playbook.queries import active_playbook
from accord.sla import clocks
from accord.sla.calendars import document_of, in_force
from accord.sla.models import CalendarVersion, Milestone
from accord.sla.sweep import sweep

# A holiday for each team, added (as the calendar's second version) on the day given, days before now.
HOLIDAYS = {
    "SDR Americas": ([{"date": "11-26", "label": "Thanksgiving"}, {"date": "12-25", "label": "Christmas"}], 60),
    "SDR EMEA": (
        [{"date": "2026-08-31", "label": "Summer bank holiday"}, {"date": "12-25", "label": "Christmas"}],
        120,
    ),
    "Account Executives": ([{"date": "11-26", "label": "Thanksgiving"}], 60),
}


@dataclass
class SlaDemo:
    milestones: int = 0
    breached: int = 0
    deliveries: int = 0
    digests: int = 0


def demo_sla(*, now: dt.datetime) -> SlaDemo:
    result = SlaDemo()
    terms = active_playbook().playbook.sla.sales
    have = set(Milestone.objects.values_list("handoff_id", flat=True))
    handoffs = [h for h in Handoff.objects.order_by("created_at", "pk") if h.pk not in have]
    touches: dict[int, list[dt.datetime]] = defaultdict(list)
    for handoff_id, at in (
        Touch.objects.filter(handoff__in=handoffs).order_by("at", "pk").values_list("handoff_id", "at")
    ):
        touches[handoff_id].append(at)
    for handoff in handoffs:
        clocks.start([handoff], terms=terms, now=handoff.created_at)
        for count, at in enumerate(touches.get(handoff.pk, []), start=1):
            clocks.touched(handoff.pk, touches=count, at=at, now=at, by_user_id=handoff.owner_id)
        if handoff.state != Handoff.State.OPEN and handoff.closed_at is not None:
            clocks.closed([handoff.pk], at=handoff.closed_at, by_user_id=handoff.closed_by_id)
    paused = (
        Milestone.objects.filter(state=Milestone.State.RUNNING, handoff__state=Handoff.State.OPEN, due_at__gt=now)
        .order_by("-started_at")
        .first()
    )
    if paused is not None:
        clocks.pause(
            paused.handoff_id,
            at=now - dt.timedelta(hours=1),
            by_user_id=paused.owner_id,
            reason="Asked to be called back after the trade show",
        )
    result.digests = _digests(now)
    result.breached += sweep(now=now)["breached"]
    result.milestones = Milestone.objects.count()
    result.deliveries = _webhook(now)
    return result


# Who chose what by email: the sales manager reads escalations in a daily digest, marketing hears
# of rejected and recycled leads the same way, an account executive mutes deals lost.
CHOICES = {
    people.SALES_MANAGER: {"sla.breached": "digest", "handoff.queued": "instant"},
    people.MARKETING: {"handoff.rejected": "digest", "handoff.recycled": "digest"},
    f"david@{people.DEMO_DOMAIN}": {"deal.lost": "off"},
}


def _digests(now: dt.datetime) -> int:
    """People's choices, then yesterday's sweep as the product ran it (the escalations of what was
    overdue by then) and the daily digest it sent the sales manager the next morning: what the
    sweep of today escalates waits for today's digest (or tomorrow's, once today's has gone)."""
    for email, choices in CHOICES.items():
        person = User.objects.filter(email=email).first()
        if person is not None and not Preference.objects.filter(user=person).exists():
            preferences_set(choices=choices, acting_user=person)
    manager = User.objects.filter(email=people.SALES_MANAGER).first()
    if manager is None:
        return 0
    zone = zoneinfo.ZoneInfo(manager.time_zone)
    local = now.astimezone(zone)
    morning = dt.datetime.combine(
        local.date() - dt.timedelta(days=1), dt.time(settings.ACCORD_DIGEST_HOUR, 30), tzinfo=zone
    )
    swept = morning - dt.timedelta(hours=1)
    with clock.frozen(swept):
        sweep(now=swept)
    with clock.frozen(morning):
        return digest_send(now=morning)["sent"]


def demo_calendars(*, now: dt.datetime, since: dt.datetime) -> int:
    """Each sales team's calendar from its hours since the team started, and a second version
    with its public holidays from some months ago: the versions the replayed clocks run under."""
    written = 0
    for team in Team.objects.filter(side="sales").order_by("pk"):
        if CalendarVersion.objects.filter(team=team).exists():
            continue
        first = in_force([team.pk], at=since)[team.pk]
        CalendarVersion.objects.filter(pk=first.pk).update(created_at=since)
        holidays, days_ago = HOLIDAYS.get(team.name, ([], 0))
        written += 1
        if holidays:
            CalendarVersion.objects.create(
                team=team,
                number=2,
                document={**document_of(team), "holidays": holidays},
                note="Public holidays",
                created_at=now - dt.timedelta(days=days_ago),
            )
            written += 1
    return written


def _webhook(now: dt.datetime) -> int:
    """A CRM's webhook, off now, with what it received: deals won, one of them on its second try."""
    if Subscription.objects.filter(name="CRM sync").exists():
        return 0
    hook = Subscription.objects.create(
        name="CRM sync",
        kind="webhook",
        url="https://crm.example.com/hooks/accord",
        events=["deal.won", "handoff.rejected"],
        secret=new_secret(),
        active=False,
        created_at=now - dt.timedelta(days=30),
    )
    made = 0
    for n, (days, tries) in enumerate(((20, [200]), (9, [503, 200]), (2, [200]))):
        at = now - dt.timedelta(days=days)
        message = Message.objects.create(
            key=f"demo.deal.won:{n}",
            event="deal.won",
            title=f"Won: demo deal {n + 1}",
            payload={"deal": None, "demo": True},
            created_at=at,
        )
        delivery = Delivery.objects.create(
            message=message,
            channel="webhook",
            subscription=hook,
            address=hook.url,
            state="sent",
            attempts=len(tries),
            next_attempt_at=at,
            created_at=at,
            sent_at=at + dt.timedelta(seconds=30 * (len(tries) - 1)),
            last_status=tries[-1],
        )
        for k, status in enumerate(tries):
            Attempt.objects.create(
                delivery=delivery,
                at=at + dt.timedelta(seconds=30 * k),
                status=status,
                ms=140 + 60 * k,
                error="" if status == 200 else f"answered {status} Service Unavailable",
            )
        made += 1
    return made
