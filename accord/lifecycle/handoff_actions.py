"""A rep's (and a manager's) work on hand-offs: accept, reject, recycle, log a touch, reassign.

Each is one transaction that locks the hand-off row first: of two people acting on one hand-off
at once, exactly one wins and the other gets a 409 with the hand-off's current state. Inputs are
checked before anything is locked or written. The contact moves through the stage machine
(`actions._move`), so its StageChange and the hand-off's history row land together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.db import transaction

from accord.accounts.domain import Capability, refusal
from accord.accounts.models import Membership, User
from accord.contacts.models import Contact
from accord.core import audit, clock
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.lifecycle import actions, events, handoffs, notices
from accord.lifecycle.models import Handoff, HandoffChange, Touch
from accord.playbook.domain.document import Playbook, Reason, StageKind
from accord.playbook.domain.sla import OnReassign
from accord.playbook.queries import active_playbook
from accord.sla import clocks

State, Kind = Handoff.State, HandoffChange.Kind
MAX_NOTE = 5000


def handoff_accept(*, handoff: Handoff, acting_user: User) -> Handoff:
    """Accept: the contact moves to the stage after MQL (SQL) and the hand-off is done."""
    playbook = active_playbook().playbook
    to_stage = _after_mql(playbook)
    with transaction.atomic():
        locked = _locked(handoff, acting_user, states=(State.OPEN,))
        now = clock.now()
        _close(locked, State.ACCEPTED, acting_user, now)
        events.handoff_closed(locked, Kind.ACCEPTED, at=now, by_user=acting_user, stage=to_stage).save()
        actions.contact_change_stage(contact=_contact(locked), to_stage=to_stage, acting_user=acting_user)
    return locked


def handoff_reject(*, handoff: Handoff, acting_user: User, reason: object, note: object = "") -> Handoff:
    """Reject with a reason from the playbook's reject list: the contact goes to the recycle or the
    disqualify stage, as the reason says (recycled by default, to look again in 90 days)."""
    playbook = active_playbook().playbook
    found, text = _reason(playbook, "reject", reason, note)
    target = playbook.reject_outcome(found)
    if target is None:
        raise InvalidInput("reason: the playbook has no stage this reason sends the contact to", field="reason")
    with transaction.atomic():
        locked = _locked(handoff, acting_user, states=(State.OPEN,))
        now = clock.now()
        locked.reason, locked.note = found.key, text
        _close(locked, State.REJECTED, acting_user, now)
        events.handoff_closed(locked, Kind.REJECTED, at=now, by_user=acting_user, stage=target.key,
                              reason=found.key, note=text).save()  # fmt: skip
        change = actions.contact_hand_back(contact=_contact(locked), to_stage=target.key, acting_user=acting_user,
                                           reason=found.key, note=text, reason_list="reject")  # fmt: skip
        if change.reengage_on is not None:
            locked.reengage_on = change.reengage_on
            locked.save(update_fields=["reengage_on"])
        notices.handed_back([locked])
    return locked


def handoff_recycle(
    *, handoff: Handoff, acting_user: User, reason: object, note: object = "", reengage_on: dt.date | None
) -> Handoff:
    """Recycle with a reason from the recycle list and the date marketing may look again (required,
    in the future): the contact goes to the recycle stage, and on that date it may qualify again."""
    playbook = active_playbook().playbook
    found, text = _reason(playbook, "recycle", reason, note)
    target = playbook.stage_of_kind(StageKind.RECYCLE)
    if target is None:
        raise InvalidInput("the playbook has no recycle stage", field="reason")
    today = clock.now().date()
    if reengage_on is None:
        raise InvalidInput("reengage_on: a re-engage date is required", field="reengage_on")
    if not isinstance(reengage_on, dt.date) or reengage_on <= today:
        raise InvalidInput("reengage_on: must be a date after today", field="reengage_on")
    with transaction.atomic():
        locked = _locked(handoff, acting_user, states=(State.OPEN,))
        now = clock.now()
        locked.reason, locked.note, locked.reengage_on = found.key, text, reengage_on
        _close(locked, State.RECYCLED, acting_user, now)
        events.handoff_closed(locked, Kind.RECYCLED, at=now, by_user=acting_user, stage=target.key,
                              reason=found.key, note=text).save()  # fmt: skip
        actions.contact_hand_back(
            contact=_contact(locked), to_stage=target.key, acting_user=acting_user, reason=found.key, note=text,
            reengage_on=reengage_on, reason_list="recycle",
        )  # fmt: skip
        notices.handed_back([locked])
    return locked


def handoff_log_touch(
    *,
    handoff: Handoff,
    acting_user: User,
    channel: object,
    outcome: object,
    note: object = "",
    at: dt.datetime | None = None,
) -> Touch:
    """Log a call, an email, a meeting or a LinkedIn message on an open or accepted hand-off."""
    if channel not in Touch.Channel.values:
        raise InvalidInput(f"channel: must be one of {', '.join(Touch.Channel.values)}", field="channel")
    if outcome not in Touch.Outcome.values:
        raise InvalidInput(f"outcome: must be one of {', '.join(Touch.Outcome.values)}", field="outcome")
    text = _note(note)
    now = clock.now()
    when = at or now
    if when > now + dt.timedelta(minutes=5):
        raise InvalidInput("at: a touch cannot be in the future", field="at")
    with transaction.atomic():
        locked = _locked(handoff, acting_user, states=(State.OPEN, State.ACCEPTED))
        touch = Touch.objects.create(contact_id=locked.contact_id, handoff=locked, user=acting_user,
                                     channel=str(channel), outcome=str(outcome), note=text, at=when)  # fmt: skip
        locked.touches += 1
        if locked.first_touch_at is None or when < locked.first_touch_at:
            locked.first_touch_at = when
        locked.save(update_fields=["touches", "first_touch_at"])
        clocks.touched(locked.pk, touches=locked.touches, at=when, now=now, by_user_id=acting_user.pk)
        events.handoff_change(locked, Kind.TOUCHED, at=now, by_user=acting_user, note=text,
                              details={"touch": touch.pk, "channel": channel, "outcome": outcome}).save()  # fmt: skip
    return touch


def handoff_reassign(*, handoff: Handoff, acting_user: User, to_user: User | None, reason: object) -> Handoff:
    """A manager gives an open hand-off to another rep, with a reason kept in its history."""
    text = _note(reason)
    if not text:
        raise InvalidInput("reason: say why the hand-off is reassigned", field="reason")
    if to_user is None:
        raise InvalidInput("owner: is required", field="owner")
    if not to_user.can(Capability.HANDOFF_WORK):
        raise InvalidInput(f"owner: {to_user.email} is not an active sales rep or manager", field="owner")
    with transaction.atomic():
        locked = _locked(handoff, acting_user, states=(State.OPEN,), manage=True)
        if locked.owner_id == to_user.pk:
            raise Conflict(f"the hand-off is {to_user.email}'s already", field="owner", current=_current(locked))
        now = clock.now()
        before = locked.owner_id
        locked.owner, locked.assigned_at = to_user, now
        teams = set(Membership.objects.filter(user=to_user).values_list("team_id", flat=True))
        if teams and locked.team_id not in teams:
            locked.team_id = min(teams)
        locked.save(update_fields=["owner", "assigned_at", "team"])
        Contact.objects.filter(pk=locked.contact_id).update(owner=to_user)
        if before is not None:
            handoffs.unloaded([before])
        playbook = active_playbook().playbook
        handoffs.loaded(playbook.routing, to_user.pk, at=now, zone=handoffs.zone_of(to_user.pk))
        clocks.reassigned(locked, terms=playbook.sla.sales, at=now, by_user_id=acting_user.pk)
        notices.routed([locked])
        events.handoff_change(locked, Kind.REASSIGNED, at=now, by_user=acting_user, from_owner_id=before,
                              to_owner_id=to_user.pk, reason="", note=text).save()  # fmt: skip
        audit.record(action="handoff_reassign", obj=locked, actor=acting_user, before={"owner": before},
                     after={"owner": to_user.pk}, details={"reason": text})  # fmt: skip
    return locked


# --------------------------------------------------------------------------- shared checks


def may_work(handoff: Handoff, user: User, *, manage: bool = False) -> bool:
    """Whether `user` may act on `handoff`: sales managers and admins on any; a team's manager on
    its team's; a rep on their own, and on an unassigned one of a team they are in (not to
    reassign)."""
    if user.can(Capability.HANDOFF_MANAGE):
        return True
    if not user.can(Capability.HANDOFF_WORK):
        return False
    if handoff.team_id is not None and handoff.team is not None and handoff.team.manager_id == user.pk:
        return True
    if manage:
        return False
    if handoff.owner_id == user.pk:
        return True
    if handoff.owner_id is not None or handoff.team_id is None:
        return False
    return Membership.objects.filter(team_id=handoff.team_id, user=user).exists()


def _locked(handoff: Handoff, user: User, *, states: tuple[str, ...], manage: bool = False) -> Handoff:
    if not user.can(Capability.HANDOFF_WORK):
        raise PermissionDenied(refusal(Capability.HANDOFF_WORK))
    locked = Handoff.objects.select_for_update(of=("self",)).select_related("team").filter(pk=handoff.pk).first()
    if locked is None:
        raise Conflict("the hand-off no longer exists (its contact was merged or erased?)")
    if not may_work(locked, user, manage=manage):
        if manage:
            raise PermissionDenied("Only sales managers and the team's manager can reassign a hand-off.")
        owner = locked.owner.email if locked.owner_id and locked.owner else "the team's queue"
        raise PermissionDenied(f"This hand-off is {owner}'s: only its owner or a sales manager can act on it.")
    if locked.state not in states:
        who = locked.closed_by.email if locked.closed_by_id and locked.closed_by else "someone"
        raise Conflict(f"the hand-off is {locked.state} already (by {who})", field="state", current=_current(locked))
    return locked


def _current(handoff: Handoff) -> dict[str, object]:
    return {
        "id": handoff.pk,
        "state": handoff.state,
        "owner": handoff.owner_id,
        "closed_by": handoff.closed_by_id,
        "closed_at": handoff.closed_at.isoformat() if handoff.closed_at else None,
    }


def _close(handoff: Handoff, state: str, user: User, now: dt.datetime) -> None:
    handoff.state, handoff.closed_at, handoff.closed_by = state, now, user
    if handoff.owner_id is None:  # taken from the team's queue: theirs, and so is the contact
        handoff.owner, handoff.assigned_at = user, now
        Contact.objects.filter(pk=handoff.contact_id).update(owner=user)
        playbook = active_playbook().playbook
        handoffs.loaded(playbook.routing, user.pk, at=now, zone=handoffs.zone_of(user.pk))
        # the clocks that ran in the queue go on for the rep who took it
        clocks.reassigned(handoff, terms=replace(playbook.sla.sales, on_reassign=OnReassign.CONTINUE), at=now,
                          by_user_id=user.pk)  # fmt: skip
        events.handoff_change(handoff, Kind.ROUTED, at=now, by_user=user, to_owner_id=user.pk,
                              details={"taken_from_queue": True}).save()  # fmt: skip
    if handoff.owner_id is not None:
        handoffs.unloaded([handoff.owner_id])
    handoff.save(update_fields=["state", "closed_at", "closed_by", "owner", "assigned_at", "reason", "note",
                                "reengage_on"])  # fmt: skip
    clocks.closed([handoff.pk], at=now, by_user_id=user.pk)


def _contact(handoff: Handoff) -> Contact:
    return Contact.objects.get(pk=handoff.contact_id)


def _after_mql(playbook: Playbook) -> str:
    mql = playbook.mql_stage
    later = [s for s in playbook.funnel if mql is not None and s.position > mql.position]
    if not later:
        raise Conflict("the playbook has no stage after the MQL stage to accept into")
    return later[0].key


def _note(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("note: must be text", field="note")
    text = value.replace("\x00", "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"note: at most {MAX_NOTE} characters", field="note")
    return text


def _reason(playbook: Playbook, list_name: str, reason: object, note: object) -> tuple[Reason, str]:
    text = _note(note)
    if not reason:
        raise InvalidInput(f"reason: a {list_name} reason is required", field="reason")
    if not isinstance(reason, str):
        raise InvalidInput("reason: must be a reason key", field="reason")
    found = playbook.reason(list_name, reason)
    if found is None:
        known = ", ".join(r.key for r in playbook.reasons.get(list_name, ()))
        raise InvalidInput(f"reason: unknown {list_name} reason {reason[:40]!r}; choose from {known}", field="reason")
    if found.note_required and not text:
        raise InvalidInput(f"note: the reason {found.label!r} needs a note", field="note")
    return found, text


def handoff_pause_clock(*, handoff: Handoff, acting_user: User, reason: object) -> Handoff:
    """Stop the hand-off's SLA clocks (the contact asked to be called next week, say): its owner or
    a manager, with a reason kept in the SLA history. Resumed by `handoff_resume_clock`."""
    text = _note(reason)
    if not text:
        raise InvalidInput("reason: say why the clock stops", field="reason")
    with transaction.atomic():
        locked = _locked(handoff, acting_user, states=(State.OPEN,))
        if not clocks.pause(locked.pk, at=clock.now(), by_user_id=acting_user.pk, reason=text):
            raise Conflict("no SLA clock of this hand-off is running", field="state", current=_current(locked))
        audit.record(action="handoff_pause_clock", obj=locked, actor=acting_user, details={"reason": text})
    return locked


def handoff_resume_clock(*, handoff: Handoff, acting_user: User) -> Handoff:
    with transaction.atomic():
        locked = _locked(handoff, acting_user, states=(State.OPEN,))
        if not clocks.resume(locked.pk, at=clock.now(), by_user_id=acting_user.pk):
            raise Conflict("no SLA clock of this hand-off is paused", field="state", current=_current(locked))
        audit.record(action="handoff_resume_clock", obj=locked, actor=acting_user)
    return locked
