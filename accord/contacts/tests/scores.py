"""Given scores: tests that need a contact with stored scores write them as the scoring engine
stores them, in the contact's `Score` row."""

from __future__ import annotations

from typing import Any

from accord.contacts.models import Contact, Score
from accord.scoring.domain import ONE, day_number


def given_scores(contact: Contact, **fields: Any) -> Contact:
    """Store `fields` (fit_score, fit_grade, interest_score, quadrant, scored_at, …) as `contact`'s
    current scores, and answer the contact read again with them. Unless given, the interest state is
    the one that reads `interest_score` on the day of `scored_at` (as the engine would have stored it)."""
    value, at = fields.get("interest_score"), fields.get("scored_at")
    if value and at is not None and "interest_mass" not in fields:
        fields = {"interest_mass": round(value * ONE), "interest_anchor": day_number(at), **fields}
    Score.objects.update_or_create(contact_id=contact.pk, defaults=fields)
    return Contact.objects.select_related("score").get(pk=contact.pk)


def create_scored(*, scores: dict[str, Any] | None = None, **fields: Any) -> Contact:
    """A new contact with `fields` and, when given, the stored `scores`."""
    contact = Contact.objects.create(**fields)
    return given_scores(contact, **scores) if scores else contact
