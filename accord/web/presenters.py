"""Turn playbook documents and history rows into what the templates show. No database writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from accord.lifecycle import domain as lifecycle
from accord.lifecycle.models import StageChange
from accord.playbook.domain.conditions import describe
from accord.playbook.domain.document import Owner, Playbook, StageKind
from accord.tracking.domain import FORM_SUBMITTED
from accord.tracking.models import Event

METHOD_LABELS = {"round_robin": "Round robin", "least_loaded": "Least loaded", "account_owner": "Account owner"}
REASON_LIST_LABELS = {
    "reject": "Reject (back down the funnel)",
    "recycle": "Recycle",
    "disqualify": "Disqualify",
    "loss": "Lost deals",
}
PERIOD_LABELS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter"}


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

    is_stage = True  # a stage change, in a timeline that also holds events

    @property
    def at(self) -> dt.datetime:
        return self.change.at

    @property
    def key(self) -> str:
        return f"s{self.change.pk}"


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


def event_row(event: Event) -> EventRow:
    props = event.properties if isinstance(event.properties, Mapping) else {}
    kind, icon, label, summary, detail = "other", "bolt", OTHER_TYPES.get(event.type, event.type), "", ""
    if event.type == "page":
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
        event=event, kind=kind, icon=icon, label=label, summary=summary, detail=detail,
        campaign=event.campaign.name if event.campaign_id and event.campaign else (event.utm_campaign or ""),
        utm=utm, referrer_host=referrer,
    )


def sender_label(event: Event) -> str:
    """Who sent an event: its contact, else the anonymous browser it came from."""
    if event.contact_id is not None and event.contact is not None:
        return str(event.contact)
    if event.anonymous_id:
        return f"Anonymous visitor {event.anonymous_id[:8]}"
    return f"Unknown sender {event.user_id[:24]}" if event.user_id else "Unknown sender"


# --------------------------------------------------------------------------- the playbook, readable


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
                "key": p["key"], "name": p["name"], "description": p.get("description", ""),
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
