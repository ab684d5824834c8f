"""Writes of deals. Each writes its `DealChange` and the stage moves it causes in one transaction.

A deal moves its contacts through the stage machine (lifecycle), never around it: the first open
deal moves the primary contact to the playbook's opportunity stage (the funnel's last stage but
one), winning moves every contact on the deal to the customer stage (the last) and marks the
account a customer, losing hands the primary contact back to the recycle stage with the loss
reason — unless another open or won deal keeps it where it is. The contact's `open_deals` and
`won_deals` counts, which those stages' entry criteria read, change in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.contacts.models import Account, Contact
from accord.core import audit, clock
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.deals import domain, events, notices
from accord.deals.models import Deal, DealChange, DealContact
from accord.lifecycle import actions as lifecycle
from accord.lifecycle import handoffs
from accord.lifecycle.handoff_actions import may_work
from accord.notify.domain import Event
from accord.playbook.domain.document import Playbook, StageKind
from accord.playbook.queries import active_playbook

MAX_NAME = 200


def deal_stages(playbook: Playbook) -> tuple[str | None, str | None]:
    """The stage an open deal moves its contact to and the stage a won deal does: the funnel's
    last stage but one, and its last."""
    funnel = playbook.funnel
    won = funnel[-1].key if funnel else None
    opened = funnel[-2].key if len(funnel) >= 2 else None
    return opened, won


def deal_create(
    *,
    contact: Contact,
    acting_user: User,
    name: str,
    amount: object,
    currency: object,
    expected_close: dt.date | None = None,
    owner: User | None = None,
    other_contacts: Sequence[Contact] = (),
) -> Deal:
    """Open a deal on `contact` (its primary contact), moving the contact to the opportunity stage
    when this is its first open deal, and accepting its open hand-off."""
    require(acting_user, Capability.DEAL_WRITE)
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise InvalidInput("name: is required", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name: at most {MAX_NAME} characters", field="name")
    try:
        code = domain.currency_of(currency)
    except ValueError as exc:
        raise InvalidInput(f"currency: {exc}", field="currency") from None
    try:
        minor = domain.minor_units(amount, code)
    except ValueError as exc:
        raise InvalidInput(f"amount: {exc}", field="amount") from None
    owner = owner or acting_user
    if not owner.is_active:
        raise InvalidInput("owner: is not an active user", field="owner")
    now = clock.now()
    with transaction.atomic():
        ids = sorted({contact.pk, *(c.pk for c in other_contacts)})
        locked = {c.pk: c for c in Contact.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")}
        primary = locked.get(contact.pk)
        if primary is None or len(locked) != len(ids):
            raise Conflict("a contact on the deal no longer exists (merged or erased?)", field="contact")
        if any(c.erased_at is not None for c in locked.values()):
            raise Conflict("an erased contact cannot be on a deal", field="contact")
        # the hand-off this deal came from: the open one (creating the deal accepts it), else the latest accepted
        still_open = handoffs.open_handoff(primary.pk)
        if still_open is not None and not may_work(still_open, acting_user):
            raise PermissionDenied(
                "This contact's hand-off is not yours: only its owner or a sales manager can open a deal on it."
            )
        open_handoff = still_open or handoffs.latest_accepted(primary.pk)
        deal = Deal.objects.create(
            name=name,
            amount=minor,
            currency=code,
            expected_close=expected_close,
            owner=owner,
            account_id=primary.account_id,
            primary_contact=primary,
            source=primary.first_source,
            campaign=primary.first_campaign,
            handoff=open_handoff,
            created_at=now,
            created_by=acting_user,
            updated_at=now,
        )
        DealContact.objects.bulk_create([DealContact(deal=deal, contact_id=i, added_at=now) for i in ids])
        Contact.objects.filter(pk__in=ids).update(open_deals=F("open_deals") + 1)
        events.deal_change(deal, DealChange.Kind.CREATED, at=now, by_user=acting_user, after=deal_snapshot(deal)).save()
        audit.record(action="deal_create", obj=deal, actor=acting_user, after=deal_snapshot(deal))
        opened, _ = deal_stages(active_playbook().playbook)
        if opened is not None:
            _advance(primary, opened, acting_user)
        notices.told(deal, Event.OPPORTUNITY_CREATED)
    return deal


def deal_win(*, deal: Deal, acting_user: User) -> Deal:
    """Win an open deal: every contact on it becomes a customer, and so does the account."""
    require(acting_user, Capability.DEAL_WRITE)
    now = clock.now()
    with transaction.atomic():
        locked = _open(deal, "win")
        locked.stage, locked.closed_at, locked.updated_at = Deal.Stage.WON, now, now
        locked.save(update_fields=["stage", "closed_at", "updated_at"])
        ids = _contact_ids(locked)
        Contact.objects.filter(pk__in=ids).update(open_deals=F("open_deals") - 1, won_deals=F("won_deals") + 1)
        if locked.account_id is not None:
            Account.objects.filter(pk=locked.account_id, customer_since__isnull=True).update(customer_since=now)
        events.deal_change(locked, DealChange.Kind.WON, at=now, by_user=acting_user, before={"stage": "open"},
                           after={"stage": "won"}).save()  # fmt: skip
        audit.record(action="deal_win", obj=locked, actor=acting_user, before={"stage": "open"}, after={"stage": "won"})
        _, won = deal_stages(active_playbook().playbook)
        if won is not None:
            for contact in Contact.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"):
                _advance(contact, won, acting_user)
        notices.told(locked, Event.DEAL_WON)
    return locked


def deal_lose(*, deal: Deal, acting_user: User, reason: str | None, note: str = "") -> Deal:
    """Lose an open deal with a reason from the playbook's loss list: the primary contact goes back
    to marketing (the recycle stage) with that reason, unless another deal keeps it in sales."""
    require(acting_user, Capability.DEAL_WRITE)
    playbook = active_playbook().playbook
    note = (note or "").strip() if isinstance(note, str) else ""
    if not reason or not isinstance(reason, str):
        raise InvalidInput("reason: a loss reason is required", field="reason")
    found = playbook.reason("loss", reason)
    if found is None:
        known = ", ".join(r.key for r in playbook.reasons.get("loss", ()))
        raise InvalidInput(f"reason: unknown loss reason {reason[:40]!r}; choose from {known}", field="reason")
    if found.note_required and not note:
        raise InvalidInput(f"note: the reason {found.label!r} needs a note", field="note")
    now = clock.now()
    with transaction.atomic():
        locked = _open(deal, "lose")
        locked.stage, locked.closed_at, locked.updated_at = Deal.Stage.LOST, now, now
        locked.loss_reason, locked.loss_note = reason, note
        locked.save(update_fields=["stage", "closed_at", "updated_at", "loss_reason", "loss_note"])
        ids = _contact_ids(locked)
        Contact.objects.filter(pk__in=ids).update(open_deals=F("open_deals") - 1)
        events.deal_change(locked, DealChange.Kind.LOST, at=now, by_user=acting_user, before={"stage": "open"},
                           after={"stage": "lost", "reason": reason, "note": note}).save()  # fmt: skip
        audit.record(action="deal_lose", obj=locked, actor=acting_user, before={"stage": "open"},
                     after={"stage": "lost", "reason": reason})  # fmt: skip
        recycle = playbook.stage_of_kind(StageKind.RECYCLE)
        contact = (
            Contact.objects.select_for_update(of=("self",)).filter(pk=locked.primary_contact_id).first()
            if locked.primary_contact_id
            else None
        )
        keeps_it = contact is None or contact.open_deals > 0 or contact.won_deals > 0
        if recycle is not None and contact is not None and not keeps_it and contact.stage not in ("", recycle.key):
            lifecycle.contact_hand_back(
                contact=contact, to_stage=recycle.key, acting_user=acting_user, reason=reason, note=note,
                reason_list="loss",
            )  # fmt: skip
        notices.told(locked, Event.DEAL_LOST)
    return locked


def _open(deal: Deal, verb: str) -> Deal:
    """The deal locked, while it is open; else 409 with its current state."""
    locked = Deal.objects.select_for_update().filter(pk=deal.pk).first()
    if locked is None:
        raise Conflict("the deal no longer exists")
    if locked.stage != Deal.Stage.OPEN:
        closed = locked.closed_at.isoformat() if locked.closed_at else None
        raise Conflict(f"cannot {verb} the deal: it is {locked.stage} already", field="stage",
                       current={"id": locked.pk, "stage": locked.stage, "closed_at": closed})  # fmt: skip
    return locked


def _contact_ids(deal: Deal) -> list[int]:
    return sorted(set(DealContact.objects.filter(deal=deal).values_list("contact_id", flat=True)))


def _advance(contact: Contact, to_stage: str, acting_user: User) -> None:
    """Move `contact` forward to `to_stage` through the stage machine, when it is not there or beyond."""
    playbook = active_playbook().playbook
    target, current = playbook.stage(to_stage), playbook.stage(contact.stage) if contact.stage else None
    if target is None or contact.stage == to_stage:
        return
    if current is not None and current.kind is StageKind.FUNNEL and current.position >= target.position:
        return
    lifecycle.contact_move_by_deal(contact=contact, to_stage=to_stage, acting_user=acting_user)


def deal_snapshot(deal: Deal) -> dict[str, Any]:
    return {
        "name": deal.name,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else None,
        "owner": deal.owner_id,
        "stage": deal.stage,
    }


def contacts_recount(contact_ids: Sequence[int]) -> None:
    """Count each contact's open and won deals again from the deals (after a merge)."""
    for contact_id in contact_ids:
        links = DealContact.objects.filter(contact_id=contact_id)
        stages = list(links.values_list("deal__stage", "deal_id").distinct())
        Contact.objects.filter(pk=contact_id).update(
            open_deals=sum(1 for stage, _ in stages if stage == Deal.Stage.OPEN),
            won_deals=sum(1 for stage, _ in stages if stage == Deal.Stage.WON),
        )
