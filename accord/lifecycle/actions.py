"""Writes of the stage machine. Every move writes its StageChange in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from django.db import transaction

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.contacts import actions as contacts_actions
from accord.contacts.models import Contact
from accord.contacts.queries import contact_facts
from accord.core import audit, bulk, clock
from accord.core.errors import Conflict, InvalidInput
from accord.lifecycle import domain, handoffs
from accord.lifecycle.models import StageChange
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook

# What a move writes on the contact: its stage fields, and its owner (routing gives an MQL one).
MOVED_FIELDS = ["stage", "stage_changed_at", "playbook_version", "reengage_on", "updated_at", "owner"]


def contact_change_stage(
    *,
    contact: Contact,
    to_stage: str,
    acting_user: User,
    reason: str | None = None,
    note: str = "",
    reengage_on: dt.date | None = None,
) -> StageChange:
    """A person moves a contact: forward if the entry criteria hold, back with a reason."""
    require(acting_user, Capability.STAGE_CHANGE)
    return _move(
        contact=contact,
        to_stage=to_stage,
        actor=domain.Actor(sides=acting_user.acts_for()),
        user=acting_user,
        reason=reason,
        note=note,
        reengage_on=reengage_on,
    )


def contact_advance_by_rule(
    *, contact: Contact, to_stage: str, rule: str, details: Mapping[str, Any] | None = None
) -> StageChange:
    """A rule (the MQL rule, a form submission…) moves a contact forward."""
    return _move(contact=contact, to_stage=to_stage, actor=domain.Actor(rule=rule), user=None, details=details)


def contact_apply_rules(
    *,
    contact: Contact,
    version: PlaybookVersion | None = None,
    explain: Callable[[Contact], Mapping[str, Any]] | None = None,
) -> StageChange | None:
    """Move the contact as far up the funnel as the active playbook's entry criteria allow.

    `version` saves looking the active playbook up again when many contacts are checked at once.
    `explain` gives the score breakdown stored with a move by the MQL rule, so that sales sees
    why the lead was handed over.
    """
    version = version or active_playbook()
    facts = contact_facts(contact, now=clock.now())
    target = domain.rule_target(version.playbook, from_key=contact.stage or None, facts=facts)
    if target is None:
        return None
    by_mql = version.playbook.mql_stage == target
    details = {"score": explain(contact)} if by_mql and explain is not None else None
    rule = "mql" if by_mql else f"entry:{target.key}"
    return contact_advance_by_rule(contact=contact, to_stage=target.key, rule=rule, details=details)


def contacts_apply_rules(
    *,
    contacts: Sequence[Contact],
    version: PlaybookVersion,
    explain: Callable[[list[Contact]], Mapping[int, Mapping[str, Any]]] | None = None,
) -> dict[int, StageChange]:
    """Move each of `contacts` as far up the funnel as the entry criteria allow, as
    `contact_apply_rules` does for one, for a caller that holds their rows locked in this
    transaction (the event pipeline locks them in id order): the moves are checked by the same
    rules, their history rows written in one insert and the contacts in one update. `explain`
    gives the score breakdowns stored with the MQL rule's moves, for all of them at once. The
    stage change of each contact moved, by contact id."""
    now = clock.now()
    playbook = version.playbook
    planned: list[tuple[Contact, str, str, domain.Move]] = []
    for contact in sorted(contacts, key=lambda c: c.pk):
        facts = contact_facts(contact, now=now)
        target = domain.rule_target(playbook, from_key=contact.stage or None, facts=facts)
        if target is None:
            continue
        rule = "mql" if playbook.mql_stage == target else f"entry:{target.key}"
        try:
            move = domain.check_move(
                playbook,
                from_key=contact.stage or None,
                to_key=target.key,
                actor=domain.Actor(rule=rule),
                facts=facts,
                reason=None,
                note="",
                reengage_on=None,
                today=now.date(),
            )
        except (domain.UnknownStage, domain.IllegalMove):
            continue  # as one contact's move would be refused: the rules found no move to make
        planned.append((contact, target.key, rule, move))
    if not planned:
        return {}
    handed = [contact for contact, _, rule, _ in planned if rule == "mql"]
    breakdowns = explain(handed) if explain is not None and handed else {}
    changes = []
    for contact, to_stage, rule, move in planned:
        details = {"score": breakdowns[contact.pk]} if contact.pk in breakdowns else None
        changes.append(_stage_change(contact, to_stage, move, rule=rule, user=None, version=version, now=now,
                                     details=details))  # fmt: skip
        _moved(contact, to_stage, move, version=version, now=now)
    StageChange.objects.bulk_create(changes)
    handoffs.moved([(c, change) for (c, _, _, _), change in zip(planned, changes, strict=True)],
                   version=version, now=now, by_user=None)  # fmt: skip
    bulk.update_rows(Contact, [(contact, set(MOVED_FIELDS)) for contact, _, _, _ in planned])
    return {change.contact_id: change for change in changes}


def _move(
    *,
    contact: Contact,
    to_stage: str,
    actor: domain.Actor,
    user: User | None,
    reason: str | None = None,
    note: str = "",
    reengage_on: dt.date | None = None,
    details: Mapping[str, Any] | None = None,
    reason_list: str | None = None,
) -> StageChange:
    if not isinstance(to_stage, str) or not to_stage:
        raise InvalidInput("stage: is required", field="stage")
    with transaction.atomic():
        locked = (
            Contact.objects.select_for_update(of=("self",))
            .select_related("account", "owner")
            .filter(pk=contact.pk)
            .first()
        )
        if locked is None:
            raise Conflict("the contact no longer exists (merged or erased?)")
        version: PlaybookVersion = active_playbook()
        now = clock.now()
        try:
            move = domain.check_move(
                version.playbook,
                from_key=locked.stage or None,
                to_key=to_stage,
                actor=actor,
                facts=contact_facts(locked, now=now),
                reason=reason,
                note=note,
                reengage_on=reengage_on,
                today=now.date(),
                reason_list=reason_list,
            )
        except domain.UnknownStage as exc:
            raise InvalidInput(exc.message, field="stage") from None
        except domain.IllegalMove as exc:
            error = Conflict(exc.message, field=exc.field)
            raise error from None
        change = _stage_change(locked, to_stage, move, rule=actor.rule or "", user=user, version=version, now=now,
                               details=details)  # fmt: skip
        change.save()
        if user is not None:  # a person's (or a key's) move is in the audit log too; rules' moves are not
            audit.record(
                action="stage_change", obj=locked, actor=user, details={"kind": change.kind, "reason": change.reason},
                before={"stage": locked.stage}, after={"stage": to_stage},
            )  # fmt: skip
        _moved(locked, to_stage, move, version=version, now=now)
        handoffs.moved([(locked, change)], version=version, now=now, by_user=user)
        locked.save(update_fields=MOVED_FIELDS)
    contact.stage, contact.stage_changed_at, contact.playbook_version = locked.stage, now, version
    contact.reengage_on = locked.reengage_on
    return change


def _stage_change(
    contact: Contact,
    to_stage: str,
    move: domain.Move,
    *,
    rule: str,
    user: User | None,
    version: PlaybookVersion,
    now: dt.datetime,
    details: Mapping[str, Any] | None,
) -> StageChange:
    """The history row of a checked move (not saved yet), with the entry criteria it met."""
    record: dict[str, Any] = dict(details or {})
    if move.criteria is not None:
        record["criteria"] = move.criteria.as_dict()
    return StageChange(
        contact=contact,
        from_stage=contact.stage,
        to_stage=to_stage,
        kind=move.transition.kind,
        at=now,
        by_user=user,
        by_rule=rule,
        playbook_version=version,
        reason=move.reason or "",
        note=move.note,
        reengage_on=move.reengage_on,
        details=record,
    )


def _moved(contact: Contact, to_stage: str, move: domain.Move, *, version: PlaybookVersion, now: dt.datetime) -> None:
    """Set the contact's stage fields as a checked move leaves them (the caller writes them)."""
    contact.stage, contact.stage_changed_at, contact.playbook_version = to_stage, now, version
    contact.reengage_on, contact.updated_at = move.reengage_on, now


def contact_merge(*, keep: Contact, drop: Contact, acting_user: User | None) -> Contact:
    """Merge `drop` into `keep` (`contacts.actions.contact_merge`: references, fields, the
    `ContactMerge` row), then give the kept contact the stage the playbook's merge rule picks
    (`domain.merge_move`), all in one transaction.

    A move is a `StageChange` caused by the merge: `by_rule` "merge", `details["merge"]["dropped"]`
    the dropped contact's id, the active playbook version, from the kept contact's stage. Entry
    criteria are not checked again, nor is the actor's side: the dropped contact already held the
    stage, and its history (now the kept contact's, with `merged_from`) says how it got there. A
    kept contact in a recycle or disqualify stage never moves: a person hands it back.
    """
    with transaction.atomic():
        # Both rows, locked in one statement as the merge itself locks them, so two merges cannot
        # deadlock; the dropped contact's stage is read under the lock, before the merge deletes it.
        locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk])}
        dropped = locked.get(drop.pk)
        if handoffs.open_handoff(keep.pk) is not None:  # one open hand-off per person: the kept one's
            handoffs.close_open([drop.pk], stage_of={}, playbook=active_playbook().playbook, now=clock.now(),
                                by_user=acting_user)  # fmt: skip
        merged = contacts_actions.contact_merge(keep=keep, drop=drop, acting_user=acting_user)
        assert dropped is not None  # contact_merge refuses a contact that no longer exists
        _merge_move(contact=merged, dropped=dropped, acting_user=acting_user)
    return merged


def _merge_move(*, contact: Contact, dropped: Contact, acting_user: User | None) -> StageChange | None:
    version: PlaybookVersion = active_playbook()
    move = domain.merge_move(version.playbook, kept=contact.stage or None, dropped=dropped.stage or None)
    if move is None:
        return None
    now = clock.now()
    reengage_on = dropped.reengage_on if move.kind is domain.MoveKind.HAND_BACK else None
    change = StageChange.objects.create(
        contact=contact,
        from_stage=contact.stage,
        to_stage=move.to_stage,
        kind=move.kind,
        at=now,
        by_user=acting_user,
        by_rule="merge",
        playbook_version=version,
        reengage_on=reengage_on,
        details={"merge": {"dropped": dropped.pk}},
    )
    if acting_user is not None:
        audit.record(
            action="stage_change", obj=contact, actor=acting_user, details={"kind": change.kind, "merge": dropped.pk},
            before={"stage": contact.stage}, after={"stage": move.to_stage},
        )  # fmt: skip
    contact.stage, contact.stage_changed_at, contact.playbook_version = move.to_stage, now, version
    contact.reengage_on, contact.updated_at = reengage_on, now
    handoffs.moved([(contact, change)], version=version, now=now, by_user=acting_user, merged=True)
    contact.save(update_fields=MOVED_FIELDS)
    return change


def stage_history_import(
    *, moves: Mapping[int, tuple[list[domain.ImportedMove], domain.ImportedMove | None]], acting_user: User | None
) -> int:
    """Record the stage history an import brought for each contact id: `StageChange` rows of kind
    `imported`, marked with their file and line (`details["import"]`), and the contact's stage when
    the history ends later than what Accord has. Inside the caller's transaction; returns the rows
    written. Entry criteria are not checked: this is a record of what happened elsewhere."""
    if not moves:
        return 0
    ids = list(moves)
    version = active_playbook()
    now = clock.now()
    own_latest: dict[int, dt.datetime] = {}
    recorded: dict[int, set[tuple[str, dt.datetime]]] = {}
    changes = StageChange.objects.filter(contact_id__in=ids)
    for contact_id, to_stage, at, kind in changes.values_list("contact_id", "to_stage", "at", "kind"):
        if kind == domain.MoveKind.IMPORTED:
            recorded.setdefault(contact_id, set()).add((to_stage, at))
        elif contact_id not in own_latest or at > own_latest[contact_id]:
            own_latest[contact_id] = at
    stages = dict(Contact.objects.filter(pk__in=ids).values_list("pk", "stage"))
    rows: list[dict[str, Any]] = []
    ends: dict[int, tuple[str, dt.datetime]] = {}
    by = acting_user.pk if acting_user is not None else None
    for contact_id, (dated, current) in moves.items():
        if contact_id not in stages:
            continue
        history = domain.imported_history(
            stage=stages[contact_id],
            own_latest=own_latest.get(contact_id),
            recorded=frozenset(recorded.get(contact_id, ())),
            moves=dated,
            current=current,
            now=now,
        )
        rows.extend(
            {
                "contact_id": contact_id,
                "from_stage": row.from_stage,
                "to_stage": row.to_stage,
                "kind": domain.MoveKind.IMPORTED.value,
                "at": row.at,
                "by_user_id": by,
                "playbook_version_id": version.pk,
                "details": {"import": dict(row.source), "dated": row.dated},
            }
            for row in history
        )
        if history:
            ends[contact_id] = (history[-1].to_stage, max(row.at for row in history))
    bulk.insert_rows(StageChange, rows)
    ended = [  # not models: building 500 Contact instances costs more than the UPDATE
        SimpleNamespace(pk=pk, stage=stage, stage_changed_at=at, playbook_version_id=version.pk)
        for pk, (stage, at) in ends.items()
    ]
    bulk.update_rows(Contact, [(contact, {"stage", "stage_changed_at", "playbook_version"}) for contact in ended])
    return len(rows)


def contact_move_by_deal(*, contact: Contact, to_stage: str, acting_user: User) -> StageChange:
    """A deal moves its contact forward (to opportunity, to customer): a person's move, made by the
    deal's writer, checked against the entry criteria the deal has just made true."""
    return _move(contact=contact, to_stage=to_stage, actor=domain.Actor(sides=acting_user.acts_for()),
                 user=acting_user)  # fmt: skip


def contact_hand_back(
    *,
    contact: Contact,
    to_stage: str,
    acting_user: User,
    reason: str,
    note: str = "",
    reengage_on: dt.date | None = None,
    reason_list: str,
) -> StageChange:
    """Hand a contact back (a rejected or recycled hand-off, a lost deal) with a reason from
    `reason_list` of the playbook rather than the stage's own list."""
    return _move(contact=contact, to_stage=to_stage, actor=domain.Actor(sides=acting_user.acts_for()),
                 user=acting_user, reason=reason, note=note, reengage_on=reengage_on,
                 reason_list=reason_list)  # fmt: skip
