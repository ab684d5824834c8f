"""A playbook document written out for people: every section, conditions as sentences."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.playbook.domain.conditions import describe
from accord.playbook.domain.document import Owner, Playbook
from accord.web.presenters.common import stage_label, stage_labels

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
