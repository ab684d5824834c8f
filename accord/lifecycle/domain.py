"""The stage machine. The transition table is derived from the active playbook's stages.

Forward moves (advance) go up the funnel, skipping stages if need be, and need the target
stage's entry criteria to hold. Every other move (back down the funnel, into recycled or into
disqualified) is a hand-back: it needs a reason from the playbook's reason lists. Who may make
a move depends on which side owns the stages involved. Pure code: no Django, `now` is passed in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord.accounts.domain import Side
from accord.playbook.domain import conditions
from accord.playbook.domain.document import Owner, Playbook, Stage, StageKind


class MoveKind(enum.StrEnum):
    ADVANCE = "advance"  # forward up the funnel, by rule or by a person of the owning side
    HAND_BACK = "hand_back"  # backward, to recycled or to disqualified: always with a reason
    IMPORTED = "imported"  # a record of a move made in another system, brought in by an import


class IllegalMove(Exception):
    """The move is not in the transition table, or its conditions do not hold (HTTP 409)."""

    def __init__(self, message: str, *, field: str | None = None, unmet: list[conditions.Trace] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.unmet = unmet or []


class UnknownStage(IllegalMove):
    """The stage key is not in the playbook (HTTP 422)."""


_SIDE_OF: dict[Owner, frozenset[Side]] = {
    Owner.MARKETING: frozenset({Side.MARKETING}),
    Owner.SALES: frozenset({Side.SALES}),
    Owner.NONE: frozenset(),
}

_REASON_LIST: dict[StageKind, str] = {
    StageKind.FUNNEL: "reject",
    StageKind.RECYCLE: "recycle",
    StageKind.DISQUALIFY: "disqualify",
}

DEFAULT_REENGAGE_DAYS = 90


@dataclass(frozen=True)
class Transition:
    """One row of the transition table: a legal move and what it takes."""

    from_stage: str | None
    to_stage: str
    kind: MoveKind
    sides: frozenset[Side]  # the sides whose people may make it; admins act for both
    by_rule: bool  # whether a rule may make it without a person
    reason_list: str | None  # the playbook reason list a hand-back draws from
    needs_reengage_date: bool


def transition(playbook: Playbook, from_key: str | None, to_key: str) -> Transition:
    """The row for moving from `from_key` (None: no stage yet) to `to_key`, or IllegalMove."""
    target = playbook.stage(to_key)
    if target is None:
        known = ", ".join(s.key for s in playbook.stages)
        raise UnknownStage(f"unknown stage {to_key!r}; the playbook has {known}", field="stage")
    source = playbook.stage(from_key) if from_key else None
    if from_key is not None and from_key == to_key:
        raise IllegalMove(f"the contact is already in stage {target.name}", field="stage")
    if target.kind is StageKind.FUNNEL:
        return _into_funnel(playbook, source, target, from_key)
    if target.kind is StageKind.RECYCLE and source is None:
        raise IllegalMove(
            f"only a contact in the funnel can be moved to {target.name}; this one has no stage yet",
            field="stage",
        )
    return Transition(
        from_stage=from_key,
        to_stage=target.key,
        kind=MoveKind.HAND_BACK,
        sides=_hand_back_sides(source),
        by_rule=True,
        reason_list=_REASON_LIST[target.kind],
        needs_reengage_date=target.kind is StageKind.RECYCLE,
    )


def _into_funnel(playbook: Playbook, source: Stage | None, target: Stage, from_key: str | None) -> Transition:
    if source is not None and source.kind is StageKind.FUNNEL and target.position < source.position:
        return Transition(
            from_stage=from_key,
            to_stage=target.key,
            kind=MoveKind.HAND_BACK,
            sides=_hand_back_sides(source),
            by_rule=True,
            reason_list="reject",
            needs_reengage_date=False,
        )
    if source is not None and source.kind is StageKind.DISQUALIFY:
        by_rule = False  # only a person brings a disqualified contact back
    elif source is not None and source.kind is StageKind.RECYCLE:
        # Only the MQL rule re-qualifies a recycled contact, and only when the playbook says so: an
        # email open must not make a nurtured contact a subscriber again.
        by_rule = playbook.requalifies_recycled and target == playbook.mql_stage
    else:
        by_rule = True
    return Transition(
        from_stage=from_key,
        to_stage=target.key,
        kind=MoveKind.ADVANCE,
        sides=_SIDE_OF[target.owner],
        by_rule=by_rule,
        reason_list=None,
        needs_reengage_date=False,
    )


def _hand_back_sides(source: Stage | None) -> frozenset[Side]:
    """Whoever works a stage, or receives it, may hand it back; marketing holds the rest."""
    if source is None or source.owner is Owner.NONE:
        return frozenset({Side.MARKETING})
    sides = set(_SIDE_OF[source.owner])
    if source.handed_to is not None:
        sides |= _SIDE_OF[source.handed_to]
    return frozenset(sides)


def table(playbook: Playbook) -> dict[tuple[str | None, str], Transition | str]:
    """The whole transition table: each (from, to) pair maps to its row or to why it is illegal."""
    rows: dict[tuple[str | None, str], Transition | str] = {}
    for source in [None, *(s.key for s in playbook.stages)]:
        for target in playbook.stages:
            try:
                rows[(source, target.key)] = transition(playbook, source, target.key)
            except IllegalMove as exc:
                rows[(source, target.key)] = exc.message
    return rows


@dataclass(frozen=True)
class Actor:
    """Who asks for a move: a person acting for some sides, or a named rule."""

    sides: frozenset[Side] = frozenset()
    rule: str | None = None

    @property
    def is_rule(self) -> bool:
        return self.rule is not None


@dataclass(frozen=True)
class Move:
    """A checked move, ready to be written."""

    transition: Transition
    reason: str | None
    note: str
    reengage_on: dt.date | None
    criteria: conditions.Trace | None  # the entry criteria as evaluated, for the history row


def check_move(
    playbook: Playbook,
    *,
    from_key: str | None,
    to_key: str,
    actor: Actor,
    facts: Mapping[str, Any],
    reason: str | None = None,
    note: str = "",
    reengage_on: dt.date | None = None,
    today: dt.date,
    reason_list: str | None = None,
) -> Move:
    """Check one move against the table, the actor, the reason rules and the entry criteria.
    `reason_list` names the playbook list a hand-back's reason comes from instead of the table's
    (a rejected hand-off goes to recycled or disqualified with a reject reason)."""
    row = transition(playbook, from_key, to_key)
    if reason_list is not None and row.kind is MoveKind.HAND_BACK:
        row = dataclasses.replace(row, reason_list=reason_list)
    target = playbook.stage(to_key)
    assert target is not None
    if actor.is_rule:
        if not row.by_rule:
            raise IllegalMove(f"a rule cannot move a contact from {from_key} to {target.name}; a person must")
    elif not (actor.sides & row.sides):
        who = " or ".join(sorted(row.sides)) or "an admin"
        raise IllegalMove(f"moving a contact to {target.name} here is for {who}", field="stage")
    note = (note or "").strip()
    if row.kind is MoveKind.HAND_BACK:
        assert row.reason_list is not None
        if not reason:
            raise IllegalMove(
                f"moving a contact back to {target.name} needs a {row.reason_list} reason", field="reason"
            )
        found = playbook.reason(row.reason_list, reason)
        if found is None:
            known = ", ".join(r.key for r in playbook.reasons.get(row.reason_list, ()))
            raise IllegalMove(f"unknown {row.reason_list} reason {reason!r}; choose from {known}", field="reason")
        if found.note_required and not note:
            raise IllegalMove(f"the reason {found.label!r} needs a note", field="note")
    elif reason:
        raise IllegalMove("a forward move takes no reason", field="reason")
    if row.needs_reengage_date:
        if reengage_on is None:
            reengage_on = today + dt.timedelta(days=DEFAULT_REENGAGE_DAYS)
        elif reengage_on <= today:
            raise IllegalMove("the re-engage date must be in the future", field="reengage_on")
    elif reengage_on is not None:
        recycle = playbook.stage_of_kind(StageKind.RECYCLE)
        where = recycle.name if recycle is not None else "a recycle stage"
        raise IllegalMove(f"only a move to {where} takes a re-engage date", field="reengage_on")
    criteria = None
    condition = playbook.entry_condition(target) if row.kind is MoveKind.ADVANCE else None
    if condition is not None:
        criteria = conditions.trace(condition, facts)
        if not criteria.ok:
            unmet = criteria.unmet()
            detail = "; ".join(f"{t.text} (is {_shown(t.actual)})" for t in unmet)
            raise IllegalMove(f"the contact does not meet the entry criteria of {target.name}: {detail}", unmet=unmet)
    return Move(transition=row, reason=reason or None, note=note, reengage_on=reengage_on, criteria=criteria)


def rule_target(playbook: Playbook, *, from_key: str | None, facts: Mapping[str, Any]) -> Stage | None:
    """The furthest funnel stage a rule may move the contact to now, or None.

    Only stages with entry criteria are entered by rule; the others wait for a person.
    """
    best: Stage | None = None
    for stage in playbook.funnel:
        condition = playbook.entry_condition(stage)
        if condition is None or stage.key == from_key:
            continue
        try:
            row = transition(playbook, from_key, stage.key)
        except IllegalMove:
            continue
        if row.kind is MoveKind.ADVANCE and row.by_rule and conditions.evaluate(condition, facts):
            best = stage
    return best


@dataclass(frozen=True)
class MergeMove:
    """The move a merge makes on the kept contact: into the dropped contact's stage."""

    from_stage: str | None
    to_stage: str
    kind: MoveKind


def merge_move(playbook: Playbook, *, kept: str | None, dropped: str | None) -> MergeMove | None:
    """The stage move merging a contact in `dropped` into one in `kept` makes, or None: the kept
    contact keeps its stage.

    A kept contact in a recycle or disqualify stage stays there: only a person hands it back, and
    a merge is not a person's decision about the stage. Otherwise the more advanced funnel stage of
    the two wins; a kept contact with no stage (or one the playbook no longer has) takes the dropped
    contact's stage, whatever its kind, since it is the only stage the person holds. A merge never
    moves into a stage the playbook does not have. Entry criteria are not checked: the dropped
    contact already held the stage, and its history (re-pointed by the merge) says how it got there.
    """
    into = playbook.stage(dropped) if dropped else None
    if into is None or dropped == kept:
        return None
    source = playbook.stage(kept) if kept else None
    if source is not None and (
        source.kind is not StageKind.FUNNEL or into.kind is not StageKind.FUNNEL or into.position <= source.position
    ):
        return None
    kind = MoveKind.ADVANCE if into.kind is StageKind.FUNNEL else MoveKind.HAND_BACK
    return MergeMove(from_stage=kept, to_stage=into.key, kind=kind)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "not set"
    return repr(value) if isinstance(value, str) else str(value)


# --- history from another system -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportedMove:
    """A stage a contact entered in another system: when (None: the file does not say), and
    where in the file it came from."""

    stage: str
    at: dt.datetime | None
    source: Mapping[str, Any]  # file, line, column, run, who imported it


@dataclass(frozen=True, slots=True)
class HistoryRow:
    from_stage: str
    to_stage: str
    at: dt.datetime
    dated: bool  # False: the file named the stage but not when; `at` is the import's time
    source: Mapping[str, Any]


def imported_history(
    *,
    stage: str,
    own_latest: dt.datetime | None,
    recorded: frozenset[tuple[str, dt.datetime]],
    moves: list[ImportedMove],
    current: ImportedMove | None,
    now: dt.datetime,
) -> list[HistoryRow]:
    """The stage changes an import records for one contact: a record of what happened, not a move
    through today's entry criteria.

    Dated moves are taken in time order; a move dated at or before the contact's own latest stage
    change in Accord (`own_latest`) is left out, since what happened here since is newer; one already
    recorded by an earlier import (same stage, same time) is not recorded twice; a move into the stage
    the contact is in already is not a move. The current stage the file names comes last: undated,
    it is recorded at `now` only when the contact is not in it yet, so importing again changes nothing.
    """
    rows: list[HistoryRow] = []
    running = stage
    for move in sorted((m for m in moves if m.at is not None), key=lambda m: m.at):  # type: ignore[arg-type,return-value]
        assert move.at is not None
        if own_latest is not None and move.at <= own_latest:
            continue
        if move.stage == running or (move.stage, move.at) in recorded or move.at > now:
            continue
        rows.append(HistoryRow(running, move.stage, move.at, True, move.source))
        running = move.stage
    if current is not None and current.stage != running:
        latest = rows[-1].at if rows else own_latest
        if current.at is not None:
            if (
                current.at <= now
                and (latest is None or current.at > latest)
                and (current.stage, current.at) not in recorded
            ):
                rows.append(HistoryRow(running, current.stage, current.at, True, current.source))
        elif own_latest is None:
            rows.append(HistoryRow(running, current.stage, now, False, current.source))
    return rows
