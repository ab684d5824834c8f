"""Turn playbook documents, history rows, events and scores, as the apps' selectors read them, into
what the templates show. No database access."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from accord.contacts.models import Contact
from accord.lifecycle import domain as lifecycle
from accord.lifecycle.models import StageChange
from accord.lifecycle.queries import StageCount, Week
from accord.playbook.domain.conditions import describe
from accord.playbook.domain.document import GRADES, Owner, Playbook, StageKind
from accord.scoring.domain import QUADRANT_LABELS, Model, Quadrant
from accord.scoring.models import Cause, ScoreChange
from accord.tracking.domain import FORM_SUBMITTED
from accord.tracking.models import Event
from accord.tracking.queries import Minute

if TYPE_CHECKING:
    from accord.scoring.queries import ContactScore
    from accord.web.queries import TimelineRead


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class StageLabel:
    """How a stage key reads on screen: its name, and a tone for its badge."""

    key: str
    name: str
    tone: str  # marketing, sales, recycle, disqualify, none or unknown


NO_STAGE = StageLabel(key="", name="No stage", tone="none")


def stage_labels(playbook: Playbook) -> dict[str, StageLabel]:
    labels = {}
    for stage in playbook.stages:
        if stage.kind is StageKind.RECYCLE:
            tone = "recycle"
        elif stage.kind is StageKind.DISQUALIFY:
            tone = "disqualify"
        elif stage.handed_to is not None:
            tone = "handoff"
        else:
            tone = stage.owner.value
        labels[stage.key] = StageLabel(key=stage.key, name=stage.name, tone=tone)
    return labels


def stage_label(labels: Mapping[str, StageLabel], key: str | None) -> StageLabel:
    if not key:
        return NO_STAGE
    return labels.get(key) or StageLabel(key=key, name=key, tone="unknown")


@dataclass(frozen=True)
class StageCountRow:
    label: StageLabel
    count: int
    funnel: bool  # a funnel stage (not recycled, disqualified, unknown or no stage)


def stage_count_rows(counts: Iterable[StageCount], labels: Mapping[str, StageLabel]) -> list[StageCountRow]:
    """Contacts counted by stage (`lifecycle.queries.contacts_by_stage`), each stage with its label."""
    return [StageCountRow(stage_label(labels, c.key), c.count, c.funnel) for c in counts]


# --------------------------------------------------------------------------- stage history


@dataclass(frozen=True)
class HistoryRow:
    change: StageChange
    from_label: StageLabel | None
    to_label: StageLabel
    actor: str
    by_rule: bool
    reason_label: str
    criteria: Mapping[str, Any] | None
    score: HandoverScore | None = None  # the breakdown stored with a move by the MQL rule

    is_stage = True  # a stage change, in a timeline that also holds events

    @property
    def at(self) -> dt.datetime:
        return self.change.at

    @property
    def key(self) -> str:
        return f"s{self.change.pk}"


@dataclass(frozen=True)
class HandoverScore:
    """The score breakdown as it was when the MQL rule handed the contact over."""

    grade: str
    fit: int
    interest: float
    quadrant: str
    persona: str
    matched: list[tuple[str, int]]  # fit rules that held: (label, points)
    contributions: list[Mapping[str, Any]]  # the largest, as stored
    more: int  # contributions not shown


def handover_score(details: Any) -> HandoverScore | None:
    score = details.get("score") if isinstance(details, Mapping) else None
    if not isinstance(score, Mapping):
        return None
    fit, interest = score.get("fit") or {}, score.get("interest") or {}
    contributions = list(interest.get("contributions") or [])
    persona = score.get("persona") or {}
    try:
        quadrant = QUADRANT_LABELS[Quadrant(str(score.get("quadrant")))]
    except ValueError:
        quadrant = str(score.get("quadrant") or "")
    return HandoverScore(
        grade=str(fit.get("grade", "")),
        fit=int(fit.get("score") or 0),
        interest=float(interest.get("score") or 0),
        quadrant=quadrant,
        persona=str(persona.get("name", "")) if isinstance(persona, Mapping) else "",
        matched=[(r["label"], r["points"]) for r in fit.get("rules", []) if r.get("matched")],
        contributions=contributions[:5],
        more=max(0, len(contributions) - 5) + int(interest.get("more") or 0),
    )


def history_rows(changes: Iterable[StageChange]) -> list[HistoryRow]:
    """Each change with its stage names and reason label as the playbook version that made it wrote them."""
    playbooks: dict[int, tuple[Playbook, dict[str, StageLabel]]] = {}
    rows = []
    for change in changes:
        version = change.playbook_version
        if version.pk not in playbooks:
            playbooks[version.pk] = (version.playbook, stage_labels(version.playbook))
        playbook, labels = playbooks[version.pk]
        if change.by_user is not None:
            actor, by_rule = change.by_user.display_name, False
        else:
            actor, by_rule = rule_label(change.by_rule, playbook), True
        criteria = change.details.get("criteria") if isinstance(change.details, Mapping) else None
        rows.append(
            HistoryRow(
                change=change,
                from_label=stage_label(labels, change.from_stage) if change.from_stage else None,
                to_label=stage_label(labels, change.to_stage),
                actor=actor,
                by_rule=by_rule,
                reason_label=_reason_label(playbook, change),
                criteria=criteria if isinstance(criteria, Mapping) else None,
                score=handover_score(change.details),
            )
        )
    return rows


def rule_label(rule: str, playbook: Playbook) -> str:
    """Who moved a contact when no person did: 'the MQL rule', 'the entry criteria of Lead', 'rule tracking'."""
    if not rule:
        return "the system"
    if rule == "mql":
        return "the MQL rule"
    kind, _, key = rule.partition(":")
    if kind == "entry" and key:
        stage = playbook.stage(key)
        return f"the entry criteria of {stage.name if stage else key}"
    return f"rule {rule}"


def _reason_label(playbook: Playbook, change: StageChange) -> str:
    if not change.reason:
        return ""
    try:
        list_name = lifecycle.transition(playbook, change.from_stage or None, change.to_stage).reason_list
    except lifecycle.IllegalMove:
        list_name = None
    lists = [list_name] if list_name else list(playbook.reasons)
    for name in lists:
        reason = playbook.reason(name, change.reason)
        if reason is not None:
            return reason.label
    return change.reason


# --------------------------------------------------------------------------- events


ACTIVITY_TYPES = {"page": "Page views", "track": "Tracked events", "identify": "Identifies"}


@dataclass(frozen=True)
class EventRow:
    """One tracked event as a person reads it: what happened, on which page or offer, and where
    the visit came from. Reads the event's columns and properties only (never its context)."""

    event: Event
    kind: str  # page, form, identify, email, webinar, demo, subscribe, unsubscribe, track, other
    icon: str  # an icon name for {% icon %}
    label: str  # "Viewed a page", "Submitted a form"…
    summary: str  # the page title, the offer, the email's subject…
    detail: str  # the path, the form, the webinar's length…
    campaign: str  # the campaign's name when the event came through one
    utm: str  # "source / medium" when the event carries UTM tags
    referrer_host: str  # the outside site the visit came from

    is_stage = False

    @property
    def at(self) -> dt.datetime:
        return self.event.timestamp

    @property
    def key(self) -> str:
        return f"e{self.event.pk}"

    @property
    def is_form(self) -> bool:
        return self.kind == "form"


# Track events Accord knows by name: (kind, icon, label).
TRACKED: dict[str, tuple[str, str, str]] = {
    FORM_SUBMITTED: ("form", "form", "Submitted a form"),
    "Email Opened": ("email", "mail", "Opened an email"),
    "Email Clicked": ("email", "click", "Clicked a link in an email"),
    "Webinar Attended": ("webinar", "video", "Attended a webinar"),
    "Demo Requested": ("demo", "calendar", "Requested a demo"),
    "Subscribed": ("subscribe", "bell", "Subscribed"),
    "Unsubscribed": ("unsubscribe", "unsubscribe", "Unsubscribed"),
}
OTHER_TYPES = {"screen": "Viewed a screen", "group": "Joined a group", "alias": "Linked two ids"}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return ""


def _properties_line(properties: Mapping[str, Any], limit: int = 3) -> str:
    """A few of an unknown event's properties, as `key: value` pairs."""
    shown = []
    for key, value in properties.items():
        if isinstance(value, (str, int, float, bool)) and value != "":
            shown.append(f"{key}: {value}")
        if len(shown) == limit:
            break
    return ", ".join(shown)


# Traits as a person reads them, for what a web form submitted.
TRAIT_LABELS = {
    "firstName": "First name", "lastName": "Last name", "name": "Name", "title": "Title", "phone": "Phone",
    "company": "Company", "country": "Country", "consent": "Consent",
}  # fmt: skip


def _submitted(props: Mapping[str, Any], limit: int = 8) -> str:
    """What a web form sent, field by field, the known fields first in a fixed order (stored JSON
    keeps no order): 'First name: Ada · Title: Intern · Consent: withdrawn'."""
    shown = []
    order = list(TRAIT_LABELS)
    for key, value in sorted(
        props.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0])
    ):
        if key == "email" or not isinstance(value, (str, int, float, bool)) or value == "":
            continue
        if key == "consent" and isinstance(value, bool):
            value = "given" if value else "withdrawn"
        shown.append(f"{TRAIT_LABELS.get(key, key)}: {value}")
        if len(shown) == limit:
            break
    return " · ".join(shown)


def event_row(event: Event, *, browser_keys: frozenset[str] = frozenset()) -> EventRow:
    """`browser_keys`: the prefixes of browser keys, whose identify calls are what a web form sent."""
    props = event.properties if isinstance(event.properties, Mapping) else {}
    kind, icon, label, summary, detail = "other", "bolt", OTHER_TYPES.get(event.type, event.type), "", ""
    if event.type == "identify" and event.sent_with in browser_keys:
        # A browser key fills only empty fields: the submission is shown as sent, for sales to see.
        kind, icon, label = "identify", "form", "Submitted on a form"
        summary = _text(props.get("email"))
        detail = _submitted(props)
    elif event.type == "page":
        kind, icon, label = "page", "page", "Viewed a page"
        summary = _text(props.get("title")) or event.name or event.path or event.url
        detail = event.path if summary != event.path else ""
    elif event.type == "identify":
        kind, icon, label = "identify", "user", "Identified"
        summary = _text(props.get("email"))
        name = " ".join(p for p in (_text(props.get("firstName")), _text(props.get("lastName"))) if p)
        detail = ", ".join(p for p in (name, _text(props.get("company"))) if p)
    elif event.type == "track":
        kind, icon, label = TRACKED.get(event.name, ("track", "bolt", f"Tracked “{event.name}”"))
        if kind == "form":
            summary = event.offer or _text(props.get("offer")) or "a form"
            detail = " · ".join(p for p in (_text(props.get("form")), event.path) if p)
        elif kind == "email":
            summary = _text(props.get("email_subject")) or _text(props.get("subject"))
            detail = _text(props.get("link_url")) or _text(props.get("campaign_name"))
        elif kind == "webinar":
            summary = _text(props.get("webinar"))
            minutes = props.get("minutes")
            parts = ["on demand" if props.get("on_demand") else "live"]
            if isinstance(minutes, (int, float)) and not isinstance(minutes, bool):
                parts.append(f"{minutes:g} minutes")
            detail = ", ".join(parts)
        elif kind in ("subscribe", "unsubscribe"):
            summary = _text(props.get("list"))
        elif kind == "demo":
            detail = event.path
        else:
            summary = _properties_line(props)
            detail = event.path
    elif event.type in OTHER_TYPES:
        summary = event.name
    referrer = _host(event.referrer) if event.referrer else ""
    if referrer and referrer == _host(event.url):
        referrer = ""  # a link inside the same site
    utm = " / ".join(p for p in (event.utm_source, event.utm_medium) if p)
    return EventRow(
        event=event,
        kind=kind,
        icon=icon,
        label=label,
        summary=summary,
        detail=detail,
        campaign=event.campaign.name if event.campaign_id and event.campaign else (event.utm_campaign or ""),
        utm=utm,
        referrer_host=referrer,
    )


def sender_label(event: Event) -> str:
    """Who sent an event: its contact, else the anonymous browser it came from."""
    if event.contact_id is not None and event.contact is not None:
        return str(event.contact)
    if event.anonymous_id:
        return f"Anonymous visitor {event.anonymous_id[:8]}"
    return f"Unknown sender {event.user_id[:24]}" if event.user_id else "Unknown sender"


def minutes_chart(minutes: list[Minute]) -> dict[str, Any]:
    """A Plotly figure: events per minute as small bars."""
    return {
        "data": [
            {
                "type": "bar",
                "x": [f"{m.start:%H:%M}" for m in minutes],
                "y": [m.count for m in minutes],
                "marker": {"color": "#3454d1"},
                "hovertemplate": "%{x}: %{y} events<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 32, "r": 8, "t": 8, "b": 32},
            "height": 160,
            "bargap": 0.15,
            "xaxis": {"type": "category", "nticks": 7, "tickangle": 0},
            "yaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec", "tickformat": "d"},
        },
    }


# --------------------------------------------------------------------------- a contact's timeline


@dataclass(frozen=True)
class TimelinePage:
    items: list[EventRow | HistoryRow]  # newest first
    next_cursor: str  # the last item's key, to ask for older ones; "" when there are none


def timeline_page(read: TimelineRead) -> TimelinePage:
    """The events and stage changes `web.queries.contact_timeline` read, in one list, at most
    `read.limit`: ordered by time, a stage change before an event of the same instant (it follows
    the event that caused it), then by id."""
    items: list[EventRow | HistoryRow] = [event_row(e, browser_keys=read.browser_keys) for e in read.events]
    items += history_rows(read.changes)
    items.sort(key=lambda item: (item.at, item.is_stage, int(item.key[1:])), reverse=True)
    more = len(items) > read.limit
    items = items[: read.limit]
    return TimelinePage(items, items[-1].key if more and items else "")


# --------------------------------------------------------------------------- the playbook, readable


METHOD_LABELS = {"round_robin": "Round robin", "least_loaded": "Least loaded", "account_owner": "Account owner"}
REASON_LIST_LABELS = {
    "reject": "Reject (back down the funnel)",
    "recycle": "Recycle",
    "disqualify": "Disqualify",
    "loss": "Lost deals",
}
PERIOD_LABELS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter"}


def _describe(condition: Any) -> str:
    return describe(condition) if isinstance(condition, Mapping) else ""


def _owner_label(owner: Owner | None) -> str:
    if owner is None:
        return ""
    return {"marketing": "Marketing", "sales": "Sales", "none": "Nobody"}[owner.value]


def playbook_view(playbook: Playbook) -> dict[str, Any]:
    """Every section of a playbook, with conditions written out as sentences."""
    data = playbook.data
    labels = stage_labels(playbook)
    mql = data.get("mql")
    stages = []
    for stage in playbook.stages:
        condition = playbook.entry_condition(stage)
        stages.append(
            {
                "stage": stage,
                "label": labels[stage.key],
                "owner": _owner_label(stage.owner),
                "handed_to": _owner_label(stage.handed_to),
                "kind": stage.kind.value,
                "entry": _describe(condition) if condition is not None else "",
                "entry_is_mql_rule": stage.entry is None and condition is not None,
            }
        )
    view: dict[str, Any] = {
        "name": playbook.name,
        "description": data.get("description", ""),
        "stages": stages,
        "mql": None,
        "personas": [
            {
                "key": p["key"],
                "name": p["name"],
                "description": p.get("description", ""),
                "match": _describe(p["match"]),
            }
            for p in data.get("personas", [])
        ],
        "fit": None,
        "interest": None,
        "quadrants": None,
        "sla": data.get("sla"),
        "routing": None,
        "reasons": [
            {"list": name, "title": REASON_LIST_LABELS.get(name, name), "reasons": reasons}
            for name, reasons in playbook.reasons.items()
        ],
    }
    if mql:
        view["mql"] = {
            "stage": stage_label(labels, mql["stage"]),
            "when": _describe(mql["when"]),
            "requalify_recycled": bool(mql.get("requalify_recycled", False)),
        }
    if fit := data.get("fit"):
        grades = fit["grades"]
        view["fit"] = {
            "rules": [
                {"label": r.get("label") or r["key"], "when": _describe(r["when"]), "points": r["points"]}
                for r in fit.get("rules", [])
            ],
            "grades": [
                {"grade": "A", "rule": f"{grades['A']:g} points or more"},
                {"grade": "B", "rule": f"{grades['B']:g} to {grades['A']:g} points"},
                {"grade": "C", "rule": f"{grades['C']:g} to {grades['B']:g} points"},
                {"grade": "D", "rule": f"below {grades['C']:g} points"},
            ],
        }
    if interest := data.get("interest"):
        if "half_life_days" in interest:
            decay = f"Points lose half their value every {interest['half_life_days']:g} days."
        elif "expire_after_days" in interest:
            decay = f"Points count for {interest['expire_after_days']} days, then expire."
        else:
            decay = "Points do not decay."
        view["interest"] = {
            "decay": decay,
            "max_points": interest.get("max_points"),
            "rules": [
                {
                    "label": r.get("label") or r["key"],
                    "event": r["event"],
                    "when": _describe(r["when"]) if "when" in r else "",
                    "points": r["points"],
                    "max_per_day": r.get("max_per_day"),
                }
                for r in interest.get("rules", [])
            ],
        }
    if quadrants := data.get("quadrants"):
        good = ", ".join(quadrants["good_fit"])
        high = f"{quadrants['high_interest']:g}"
        view["quadrants"] = {
            "good_fit": good,
            "high_interest": high,
            "cells": [
                {"name": "Hand to sales now", "when": f"grade {good}, interest ≥ {high}", "tone": "hot"},
                {"name": "Review", "when": f"other grades, interest ≥ {high}", "tone": "review"},
                {"name": "Nurture", "when": f"grade {good}, interest < {high}", "tone": "nurture"},
                {"name": "Ignore", "when": f"other grades, interest < {high}", "tone": "ignore"},
            ],
        }
    if routing := data.get("routing"):
        default = routing["default"]
        view["routing"] = {
            "rules": [
                {
                    "label": r.get("label") or r["key"],
                    "when": _describe(r["when"]),
                    "team": r["team"],
                    "method": METHOD_LABELS.get(r.get("method", "round_robin"), r.get("method", "")),
                }
                for r in routing.get("rules", [])
            ],
            "default": {
                "team": default["team"],
                "method": METHOD_LABELS.get(default.get("method", "round_robin"), default.get("method", "")),
            },
        }
    return view


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class QuadrantView:
    """How a quadrant reads on screen: its name in the glossary, what it means, and a tone for its cell."""

    key: str
    name: str
    label: str
    tone: str


QUADRANT_NAMES: dict[Quadrant, tuple[str, str]] = {
    Quadrant.READY: ("Ready", "hot"),
    Quadrant.NURTURE: ("Nurture", "nurture"),
    Quadrant.CHECK_FIT: ("Check fit", "review"),
    Quadrant.LOW: ("Low", "ignore"),
}
QUADRANTS: dict[str, QuadrantView] = {
    q.value: QuadrantView(q.value, name, QUADRANT_LABELS[q], tone) for q, (name, tone) in QUADRANT_NAMES.items()
}
CAUSE_LABELS: dict[str, str] = {
    Cause.EVENT: "Activity",
    Cause.PROFILE: "Profile changed",
    Cause.RESCORE: "Rescored",
    Cause.DECAY: "Points faded",
}
PANEL_CONTRIBUTIONS = 8  # the largest contributions the contact page lists
PANEL_CHANGES = 6  # the latest score changes it lists


def quadrant_view(key: str) -> QuadrantView | None:
    return QUADRANTS.get(key)


@dataclass(frozen=True)
class ScoreChangeRow:
    change: ScoreChange
    cause: str  # "Activity", "Profile changed"…
    what: str  # for activity: the interest rules that matched, e.g. "Viewed the pricing page ×3"
    quadrant: QuadrantView | None
    interest_delta: float | None  # None on a contact's first score


def score_change_rows(changes: Iterable[ScoreChange], model: Model) -> list[ScoreChangeRow]:
    labels = {r.key: r.label for r in model.interest_rules}
    rows = []
    for change in changes:
        details = change.details if isinstance(change.details, Mapping) else {}
        rules = details.get("rules")
        rules = rules if isinstance(rules, Mapping) else {}
        what = ", ".join(f"{labels.get(key, key)} ×{count}" for key, count in rules.items())
        previous = change.previous_interest
        rows.append(
            ScoreChangeRow(
                change=change,
                cause=CAUSE_LABELS.get(change.cause, change.cause),
                what=what,
                quadrant=quadrant_view(change.quadrant),
                interest_delta=None if previous is None else round(change.interest_score - previous, 2),
            )
        )
    return rows


def signed(points: float) -> str:
    """Points with their sign, as a person writes them: +20, −15, 0."""
    if points > 0:
        return f"+{points:g}"
    return f"−{-points:g}" if points < 0 else "0"


def decay_text(decay: Mapping[str, Any]) -> str:
    if decay.get("half_life_days") is not None:
        return f"Points lose half their worth every {decay['half_life_days']:g} days."
    return f"Points count for {decay['expire_after_days']} days, then expire."


def sparkline(trend: Mapping[str, Any], *, high_interest: float) -> dict[str, Any]:
    """A Plotly figure: the interest of the last days as a small filled line, with the
    high-interest threshold as a dashed line."""
    values = trend["interest"]
    top = max([*values, high_interest]) * 1.15
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": trend["dates"],
                "y": values,
                "line": {"color": "#3454d1", "width": 2},
                "fill": "tozeroy",
                "fillcolor": "rgba(52, 84, 209, 0.12)",
                "hovertemplate": "%{x|%-d %b}: %{y:.1f} points<extra></extra>",
            }
        ],
        "layout": {
            "height": 64,
            "margin": {"l": 2, "r": 2, "t": 4, "b": 4},
            "showlegend": False,
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True, "range": [0, top]},
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": high_interest,
                    "y1": high_interest,
                    "line": {"color": "#8a94a6", "width": 1, "dash": "dot"},
                }
            ],
        },
    }


def sparkline_text(trend: Mapping[str, Any]) -> str:
    """What the sparkline shows, in words, for screen readers."""
    dates, values = trend["dates"], trend["interest"]
    peak = max(range(len(values)), key=lambda i: (values[i], i))
    return (
        f"Interest over the last {len(values)} days: {values[0]:g} on {_day(dates[0])}, "
        f"highest {values[peak]:g} on {_day(dates[peak])}, {values[-1]:g} today"
    )


def _day(value: str | dt.date) -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%b}"


def quadrant_grid(model: Model, current: str) -> dict[str, Any]:
    """The 2×2 of fit × interest: high interest on top, good fit on the left; the contact's cell marked."""
    good = [g for g in GRADES if g in model.good_fit]
    poor = [g for g in GRADES if g not in model.good_fit]

    def cell(quadrant: Quadrant) -> dict[str, Any]:
        return {"quadrant": QUADRANTS[quadrant.value], "current": quadrant.value == current}

    return {
        "good_fit": ", ".join(good),
        "poor_fit": ", ".join(poor),
        "high_interest": f"{model.high_interest:g}",
        "rows": [
            {"high": True, "cells": [cell(Quadrant.READY), cell(Quadrant.CHECK_FIT)]},
            {"high": False, "cells": [cell(Quadrant.NURTURE), cell(Quadrant.LOW)]},
        ],
    }


def score_panel(score: ContactScore) -> dict[str, Any]:
    """The contact page's Score panel, from `contact_score`: the stored scores, why (worked out now
    under the active playbook), the 60-day trend and the latest score changes. Runs no query."""
    model = score.model
    breakdown, trend = score.breakdown, score.trend
    fit = breakdown["fit"]
    interest = breakdown["interest"]
    scored = score.scored
    persona = score.persona.name if score.persona else ""
    contributions = interest["contributions"]
    shown = contributions[:PANEL_CONTRIBUTIONS]
    quadrant_key = score.quadrant if scored and score.quadrant else breakdown["quadrant"]
    return {
        "scored": scored,
        "scored_at": score.scored_at,
        "score_version": score.score_version,
        "version": breakdown["playbook_version"],
        "fit_score": score.fit_score if scored else fit["score"],
        "grade": score.fit_grade if scored else fit["grade"],
        "persona": persona if scored else (breakdown["persona"] or {}).get("name", ""),
        "fit_rules": [{**rule, "points_text": signed(rule["points"])} for rule in fit["rules"]],
        "fit_now": fit["score"],
        "fit_differs": scored and fit["score"] != score.fit_score,
        "grades": ", ".join(f"{g} from {t:g}" for g, t in zip(GRADES, model.thresholds, strict=False)),
        "interest": score.interest_score if score.interest_score is not None else interest["score"],
        "interest_now": interest["score"],
        "max_points": interest["max_points"],
        "decay": decay_text(interest["decay"]),
        "contributions": [{**c, "date": dt.date.fromisoformat(c["date"])} for c in shown],
        "this_year": score.now.year,
        "more": len(contributions) - len(shown) + interest["more"],
        "heating_up": trend["heating_up"],
        "rise": trend["rise"],
        "trend_days": len(trend["interest"]),
        "has_trend": any(v > 0 for v in trend["interest"]),
        "trend_chart": sparkline(trend, high_interest=model.high_interest),
        "trend_text": sparkline_text(trend) if trend["interest"] else "",
        "quadrant": quadrant_view(quadrant_key),
        "grid": quadrant_grid(model, quadrant_key),
        "changes": score_change_rows(score.history, model),
    }


@dataclass(frozen=True)
class HeatingRow:
    contact: Contact
    rise: float


def heating_rows(rising: Iterable[tuple[Contact, float]]) -> list[HeatingRow]:
    """Contacts whose interest rose the most this week (`scoring.queries.heating_up`: each with
    its account), for the overview."""
    return [HeatingRow(contact, rise) for contact, rise in rising]


def quadrant_counts(found: Mapping[str, int], model: Model) -> dict[str, Any]:
    """How many contacts are in each quadrant (`found`: contacts by quadrant key, as
    `web.queries.quadrant_tally` counts them), as a 2×2 like the contact page's, and how many are
    not scored."""
    grid = quadrant_grid(model, "")
    for row in grid["rows"]:
        for cell in row["cells"]:
            cell["count"] = found.get(cell["quadrant"].key, 0)
    grid["unscored"] = sum(n for key, n in found.items() if key not in QUADRANTS)
    return grid


# --------------------------------------------------------------------------- the overview


def funnel_chart(counts: list[StageCountRow]) -> dict[str, Any]:
    """A Plotly figure: one horizontal bar per funnel stage, top of the funnel first."""
    funnel = [c for c in counts if c.funnel]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [c.label.name for c in funnel],
                "x": [c.count for c in funnel],
                "text": [str(c.count) for c in funnel],
                "textposition": "auto",
                "marker": {"color": "#3454d1"},
                "hovertemplate": "%{y}: %{x}<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 110, "r": 16, "t": 8, "b": 32},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "xaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec"},
            "height": max(220, 40 * len(funnel) + 60),
            "bargap": 0.25,
        },
    }


def weekly_chart(weeks: list[Week]) -> dict[str, Any]:
    x = [f"{w.start:%d %b}" for w in weeks]
    return {
        "data": [
            {"type": "bar", "name": "Forward", "x": x, "y": [w.advance for w in weeks], "marker": {"color": "#3454d1"}},
            {
                "type": "bar", "name": "Hand-back", "x": x, "y": [w.hand_back for w in weeks],
                "marker": {"color": "#d9822b"},
            },
        ],
        "layout": {
            "barmode": "stack",
            "margin": {"l": 36, "r": 8, "t": 8, "b": 40},
            "height": 220,
            "legend": {"orientation": "h", "y": -0.25},
            "xaxis": {"title": {"text": ""}, "type": "category"},
            "yaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec", "dtick": None},
        },
    }
