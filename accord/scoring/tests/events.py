"""Segment messages for a contact and ingesting them at a given moment, for scoring tests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from accord.contacts.models import Contact
from accord.core import clock
from accord.tracking.ingest import record


def message(contact: Contact, kind: str, at: dt.datetime, **fields: Any) -> dict[str, Any]:
    """A `kind` message from the contact (known by the user id `user-<pk>`) at `at`."""
    return {
        "type": kind,
        "userId": f"user-{contact.pk}",
        "messageId": str(uuid.uuid4()),
        "timestamp": at.isoformat(),
        **fields,
    }


def ingest(at: dt.datetime, *items: dict[str, Any]) -> None:
    """Record `items` as received at `at`; every one must be accepted."""
    with clock.frozen(at):
        outcome = record(list(items), sent_with="test", received_at=at)
    assert outcome.rejected == [], outcome.rejected
