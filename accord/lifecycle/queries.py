"""Reads of the stage machine: a contact's history, the moves open to a person now."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.lifecycle import domain
from accord.lifecycle.models import StageChange
from accord.playbook.domain.document import Playbook, Reason, Stage


def stage_history(contact: Contact) -> QuerySet[StageChange]:
    return (
        StageChange.objects.filter(contact=contact).select_related("by_user", "playbook_version").order_by("at", "id")
    )


@dataclass(frozen=True)
class MoveOption:
    stage: Stage
    kind: domain.MoveKind
    reasons: tuple[Reason, ...]
    needs_reengage_date: bool


def move_options(playbook: Playbook, contact: Contact, user: User) -> list[MoveOption]:
    """The stages this user may try to move this contact to, with the reasons each would need."""
    sides = user.acts_for()
    options = []
    for stage in playbook.stages:
        try:
            row = domain.transition(playbook, contact.stage or None, stage.key)
        except domain.IllegalMove:
            continue
        if not sides & row.sides:
            continue
        reasons = playbook.reasons.get(row.reason_list, ()) if row.reason_list else ()
        options.append(MoveOption(stage, row.kind, reasons, row.needs_reengage_date))
    return options
