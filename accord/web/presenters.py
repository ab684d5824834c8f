"""Turn playbook documents and history rows into what the templates show. No database writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from accord.lifecycle import domain as lifecycle
from accord.lifecycle.models import StageChange
from accord.playbook.domain.conditions import describe
from accord.playbook.domain.document import Owner, Playbook, StageKind

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
