"""Hand-offs as the queue screens show them: who, why they qualified, how long they have waited,
which routing rule sent them, and each rep's load. Pure formatting: the hand-offs come with
their contact, account, team, owner and MQL stage change loaded (`lifecycle.handoff_queries`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from accord.lifecycle.handoff_queries import RepLoad
from accord.lifecycle.models import Handoff, Touch
from accord.playbook.domain.document import Playbook, Reason
from accord.scoring.domain import QUADRANT_LABELS, Quadrant
from accord.web.presenters.history import HandoverScore, handover_score
from accord.web.presenters.sla import Chip, most_urgent

PRIORITY_LABELS = {"high": "High priority", "normal": "Normal priority", "low": "Low priority"}
STATE_LABELS = {
    "open": "Open",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "recycled": "Recycled",
    "closed": "Closed",
}
CHANNEL_CHOICES = [
    (Touch.Channel.CALL.value, "Call"),
    (Touch.Channel.EMAIL.value, "Email"),
    (Touch.Channel.MEETING.value, "Meeting"),
    (Touch.Channel.LINKEDIN.value, "LinkedIn message"),
]
OUTCOME_CHOICES = [
    (Touch.Outcome.CONNECTED.value, "Connected"),
    (Touch.Outcome.LEFT_MESSAGE.value, "Left a message"),
    (Touch.Outcome.NO_ANSWER.value, "No answer"),
    (Touch.Outcome.REPLIED.value, "Replied"),
    (Touch.Outcome.MEETING_BOOKED.value, "Meeting booked"),
    (Touch.Outcome.BOUNCED.value, "Bounced"),
]


@dataclass(frozen=True)
class QueueRow:
    handoff: Handoff
    contact_name: str
    account_name: str
    score: HandoverScore | None  # the breakdown the MQL rule handed over, when it stored one
    why: str  # one line: the quadrant and priority, when there is no breakdown (or beside it)
    priority: str  # high, normal, low
    priority_label: str
    age: str  # "3 h", "2 days"
    rule: str  # the routing rule's label ("Enterprise accounts go to account executives")
    team: str
    owner: str  # "" when in the team's queue
    state_label: str
    clock: Chip | None = None  # the SLA milestone to look at first, while the hand-off is open


def age_text(since: dt.datetime, now: dt.datetime) -> str:
    """How long a hand-off has waited, in one unit: "5 min", "3 h", "2 days"."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


def quadrant_label(key: str) -> str:
    try:
        return QUADRANT_LABELS[Quadrant(key)]
    except ValueError:
        return key


def rule_label(handoff: Handoff) -> str:
    """The label of the rule that routed the hand-off, as its trace recorded it; else its key."""
    trace = handoff.trace if isinstance(handoff.trace, Mapping) else {}
    for tried in trace.get("tried") or []:
        if isinstance(tried, Mapping) and tried.get("rule") == handoff.rule and tried.get("label"):
            return str(tried["label"])
    return "Default routing" if handoff.rule == "default" else handoff.rule


def queue_row(handoff: Handoff, *, now: dt.datetime, clock: Chip | None = None, timed: bool = False) -> QueueRow:
    """One hand-off's row; with `timed`, its SLA clock is looked up (else `clock` is used)."""
    if timed and clock is None and handoff.state == Handoff.State.OPEN:
        clock = most_urgent([handoff.pk], now=now).get(handoff.pk)
    contact = handoff.contact
    details = handoff.stage_change.details if handoff.stage_change is not None else None
    quadrant = quadrant_label(handoff.quadrant) if handoff.quadrant else "not scored"
    priority_label = PRIORITY_LABELS.get(handoff.priority, handoff.priority)
    return QueueRow(
        handoff=handoff,
        contact_name=contact.full_name or contact.email or f"Contact {contact.pk}",
        account_name=contact.account.name if contact.account_id and contact.account else "",
        score=handover_score(details),
        why=f"{quadrant} · {priority_label}",
        priority=handoff.priority,
        priority_label=priority_label,
        age=age_text(handoff.created_at, now),
        rule=rule_label(handoff),
        team=handoff.team.name if handoff.team_id and handoff.team else "",
        owner=handoff.owner.display_name if handoff.owner_id and handoff.owner else "",
        state_label=STATE_LABELS.get(handoff.state, handoff.state),
        clock=clock,
    )


def queue_rows(handoffs: Iterable[Handoff], *, now: dt.datetime) -> list[QueueRow]:
    """The rows, with each open hand-off's most urgent SLA clock (one query for them all)."""
    listed = list(handoffs)
    clocks = most_urgent([h.pk for h in listed if h.state == Handoff.State.OPEN], now=now)
    return [queue_row(h, now=now, clock=clocks.get(h.pk)) for h in listed]


@dataclass(frozen=True)
class ReasonOption:
    key: str
    label: str
    note_required: bool


def reason_choices(playbook: Playbook, list_name: str) -> list[tuple[str, str]]:
    """A reason list as (key, label) pairs for a select, saying which reasons need a note."""
    found = reason_options(playbook, list_name)
    return [(r.key, f"{r.label} (needs a note)" if r.note_required else r.label) for r in found]


def reason_options(playbook: Playbook, list_name: str) -> list[ReasonOption]:
    """A reason list of the playbook (reject, recycle, loss) as the options of a select."""
    reasons: Iterable[Reason] = playbook.reasons.get(list_name, ())
    return [ReasonOption(r.key, r.label, r.note_required) for r in reasons]


@dataclass(frozen=True)
class LoadRow:
    load: RepLoad
    name: str
    teams: str
    open_text: str  # "3 of 10 open", "3 open (no limit)"
    today_text: str  # "1 of 5 today"
    full: bool  # at open or daily capacity: routing skips them
    away_text: str  # "Away 2 Mar – 6 Mar", "Away from 2 Mar", ""


def _of(count: int, limit: int | None, what: str) -> str:
    return f"{count} {what} (no limit)" if limit is None else f"{count} of {limit} {what}"


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def away_text(away_from: dt.date | None, away_until: dt.date | None) -> str:
    if away_from and away_until:
        return f"Away {_day(away_from)} – {_day(away_until)}"
    if away_from:
        return f"Away from {_day(away_from)}"
    if away_until:
        return f"Away until {_day(away_until)}"
    return ""


def load_rows(loads: Iterable[RepLoad]) -> list[LoadRow]:
    rows = []
    for load in loads:
        cap = load.capacity
        full = (cap.open is not None and load.open_handoffs >= cap.open) or (
            cap.daily is not None and load.assigned_today >= cap.daily
        )
        rows.append(
            LoadRow(
                load=load,
                name=load.user.display_name,
                teams=", ".join(load.teams),
                open_text=_of(load.open_handoffs, cap.open, "open"),
                today_text=_of(load.assigned_today, cap.daily, "today"),
                full=full,
                away_text=away_text(load.away_from, load.away_until),
            )
        )
    return rows


def candidate_choices(users: Iterable[Any]) -> list[tuple[str, str]]:
    return [("", "Choose a rep…")] + [(str(u.pk), u.display_name) for u in users]
