"""What several screens show alike: a stage key as a badge, and contacts counted by stage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from accord.lifecycle.queries import StageCount
from accord.playbook.domain.document import Playbook, StageKind


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
