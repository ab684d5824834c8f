"""What the hand-off tells people, through the outbox (in the transaction of the change): the rep
it went to, the team's manager when it waits in the queue, marketing when it comes back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.accounts.models import Team
from accord.lifecycle.models import Handoff
from accord.notify import audiences
from accord.notify.domain import Event
from accord.notify.outbox import Note, outbox_write


def _payload(handoff: Handoff, **extra: Any) -> dict[str, Any]:
    contact = handoff.contact
    return {
        "handoff": handoff.pk,
        "contact": {"id": contact.pk, "name": contact.full_name, "email": contact.email},
        "owner": handoff.owner.email if handoff.owner_id and handoff.owner else None,
        "team": handoff.team.name if handoff.team_id and handoff.team else None,
        "priority": handoff.priority,
        "quadrant": handoff.quadrant,
        "rule": handoff.rule,
        **extra,
    }


def _link(handoff: Handoff) -> str:
    return f"/contacts/{handoff.contact_id}/"


def routed(handoffs: Sequence[Handoff]) -> None:
    """New or reassigned hand-offs: their owner hears of it; a queued one's team manager does."""
    queued = [h for h in handoffs if h.owner_id is None and h.team_id is not None]
    managers = (
        dict(Team.objects.filter(pk__in={h.team_id for h in queued}).values_list("pk", "manager_id")) if queued else {}
    )
    notes = []
    for handoff in handoffs:
        who = str(handoff.contact)
        if handoff.owner_id is not None:
            stamp = int(handoff.assigned_at.timestamp()) if handoff.assigned_at else 0
            notes.append(
                Note(
                    Event.HANDOFF_ASSIGNED,
                    f"handoff.assigned:{handoff.pk}:{handoff.owner_id}:{stamp}",
                    f"New hand-off: {who} ({handoff.priority} priority)",
                    f"{who} is yours to contact. Rule: {handoff.rule}.",
                    _link(handoff),
                    _payload(handoff),
                    (handoff.owner_id,),
                )
            )
        elif handoff.team_id is not None:
            team = handoff.team.name if handoff.team else "the team"
            notes.append(
                Note(
                    Event.HANDOFF_QUEUED,
                    f"handoff.queued:{handoff.pk}",
                    f"Nobody could take {who}: waiting in {team}'s queue",
                    "Every rep was away, outside hours or at capacity. Assign it from the team's queue.",
                    "/queue/team/",
                    _payload(handoff),
                    tuple(m for m in (managers.get(handoff.team_id),) if m),
                )
            )
    outbox_write(notes)


def handed_back(handoffs: Sequence[Handoff]) -> None:
    """Rejected or recycled hand-offs: marketing hears why."""
    back = [h for h in handoffs if h.state in (Handoff.State.REJECTED, Handoff.State.RECYCLED)]
    if not back:
        return
    told = audiences.marketing((h.contact_id, h.contact.first_campaign, h.contact.last_campaign) for h in back)
    notes = []
    for handoff in back:
        rejected = handoff.state == Handoff.State.REJECTED
        event = Event.HANDOFF_REJECTED if rejected else Event.HANDOFF_RECYCLED
        by = handoff.closed_by.email if handoff.closed_by_id and handoff.closed_by else "sales"
        why = handoff.reason or "no reason given"
        again = f" Re-engage on {handoff.reengage_on:%Y-%m-%d}." if handoff.reengage_on else ""
        notes.append(
            Note(
                event,
                f"{event.value}:{handoff.pk}",
                f"{'Rejected' if rejected else 'Recycled'} by sales: {handoff.contact} ({why})",
                f"{by} {'rejected' if rejected else 'recycled'} the hand-off: {why}.{again}"
                + (f" Note: {handoff.note}" if handoff.note else ""),
                _link(handoff),
                _payload(
                    handoff,
                    reason=handoff.reason,
                    note=handoff.note,
                    by=by,
                    reengage_on=handoff.reengage_on.isoformat() if handoff.reengage_on else None,
                ),
                told.get(handoff.contact_id, ()),
            )
        )
    outbox_write(notes)
