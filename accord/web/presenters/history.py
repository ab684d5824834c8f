"""A contact's stage history as a person reads it: who moved it, from and to which stage, why, and
the score breakdown the MQL rule handed over. The changes come with their user and playbook
version loaded (`lifecycle.queries`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from accord.lifecycle import domain as lifecycle
from accord.lifecycle.models import StageChange
from accord.playbook.domain.document import Playbook
from accord.scoring.domain import QUADRANT_LABELS, Quadrant
from accord.web.presenters.common import StageLabel, stage_label, stage_labels


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
