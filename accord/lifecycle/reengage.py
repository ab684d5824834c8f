"""Re-engage dates: when a recycled contact's date comes, marketing hears of it and the MQL rule
looks at the contact again (it qualifies at once when its scores meet the rule today).

The job runs every quarter of an hour and is safe to run twice at once: each contact is locked
(SKIP LOCKED) and its date cleared in the same transaction as its message.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accord.contacts.models import Contact
from accord.core import clock
from accord.lifecycle import actions
from accord.notify import audiences
from accord.notify.domain import Event
from accord.notify.outbox import Note, outbox_write
from accord.playbook.domain.document import StageKind
from accord.playbook.queries import active_playbook

BATCH = 200


def reengage_due(*, now: dt.datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Resurface every recycled contact whose re-engage date is today or past; counts."""
    at = now or clock.now()
    version = active_playbook()
    recycle = version.playbook.stage_of_kind(StageKind.RECYCLE)
    counts = {"resurfaced": 0, "requalified": 0}
    if recycle is None:
        return counts
    while True:
        with transaction.atomic():
            due = list(
                Contact.objects.select_for_update(skip_locked=True)
                .filter(stage=recycle.key, reengage_on__lte=at.date(), erased_at__isnull=True)
                .order_by("reengage_on", "pk")[:batch]
            )
            if not due:
                return counts
            told = audiences.marketing((c.pk, c.first_campaign, c.last_campaign) for c in due)
            outbox_write([_note(c, told.get(c.pk, ())) for c in due])
            Contact.objects.filter(pk__in=[c.pk for c in due]).update(reengage_on=None)
            for contact in due:
                contact.reengage_on = None
                with transaction.atomic():  # one contact's rules failing leaves the others resurfaced
                    if actions.contact_apply_rules(contact=contact, version=version) is not None:
                        counts["requalified"] += 1
            counts["resurfaced"] += len(due)


def _note(contact: Contact, users: tuple[int, ...]) -> Note:
    day = contact.reengage_on
    return Note(
        Event.REENGAGE_REACHED,
        f"{Event.REENGAGE_REACHED.value}:{contact.pk}:{day.isoformat() if day else ''}",
        f"Time to re-engage {contact}",
        f"{contact} was recycled until {day:%Y-%m-%d}: nurture them again."
        if day
        else f"{contact} may be nurtured again.",
        f"/contacts/{contact.pk}/",
        {
            "contact": {"id": contact.pk, "name": contact.full_name, "email": contact.email},
            "reengage_on": day.isoformat() if day else None,
        },
        users,
    )
