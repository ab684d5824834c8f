"""Reads for trust: everything Accord holds about one person (GDPR article 15), and the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.forms.models import model_to_dict

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.contacts.models import ConsentChange, Contact, ContactMerge, Score, SuspectedDuplicate
from accord.core import clock
from accord.core.models import AuditEntry
from accord.lifecycle.models import StageChange
from accord.scoring.models import ScoreChange
from accord.tracking.models import Event, Identity
from accord.trust.models import Erasure

EVENT_FIELDS = (
    "id", "message_id", "type", "name", "user_id", "anonymous_id", "timestamp", "original_timestamp", "sent_at",
    "received_at", "url", "path", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "offer", "properties", "context", "sent_with",
)  # fmt: skip


def _row(obj: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    data = model_to_dict(obj, exclude=list(exclude))
    for field in obj._meta.concrete_fields:
        if field.name not in exclude and field.name not in data:
            data[field.name] = getattr(obj, field.attname)
    return data


def _scores(contact: Contact) -> dict[str, Any]:
    """The contact's current scores, as fields of the contact (as the export has always shown them)."""
    score = Score.objects.filter(contact=contact).first()
    return _row(score, exclude=("contact", "interest_caps")) if score else {}


def contact_export(*, contact: Contact, acting_user: User | None) -> dict[str, Any]:
    """Everything Accord holds about one person, as JSON-ready data: the contact, its account's name,
    the ids it is known by, every event, its stage and score history, consent evidence, merges,
    suspected duplicates, the audit rows about it and, once erased, the erasure."""
    require(acting_user, Capability.PERSONAL_DATA)
    erasure = Erasure.objects.filter(contact=contact).select_related("erased_by").first()
    return {
        "exported_at": clock.now(),
        "contact": {**_row(contact), **_scores(contact)},
        "account": {"id": contact.account_id, "name": contact.account.name} if contact.account else None,
        "owner": contact.owner.email if contact.owner_id and contact.owner else None,
        "identities": [
            {"kind": i.kind, "value": i.value, "first_seen_at": i.first_seen_at}
            for i in Identity.objects.filter(contact=contact).order_by("pk")
        ],
        "events": list(_events(contact)),
        "stage_changes": [
            {**_row(c, exclude=("contact",)), "by_user": c.by_user.email if c.by_user else None}
            for c in StageChange.objects.filter(contact=contact).select_related("by_user").order_by("at", "pk")
        ],
        "score_changes": [
            _row(c, exclude=("contact",)) for c in ScoreChange.objects.filter(contact=contact).order_by("at", "pk")
        ],
        "consent_changes": [
            _row(c, exclude=("contact",)) for c in ConsentChange.objects.filter(contact=contact).order_by("at", "pk")
        ],
        "merges": [
            {"dropped_id": m.dropped_id, "merged_at": m.merged_at, "snapshot": m.snapshot}
            for m in ContactMerge.objects.filter(kept=contact).order_by("merged_at")
        ],
        "suspected_duplicates": [
            {"contact_id": d.contact_id, "other_id": d.other_id, "reason": d.reason, "detected_at": d.detected_at}
            for d in SuspectedDuplicate.objects.filter(Q(contact=contact) | Q(other=contact))
        ],
        "audit": [
            {"at": a.at, "action": a.action, "by": a.actor.email if a.actor else None, "details": a.details}
            for a in AuditEntry.objects.filter(object_type="contacts.contact", object_id=str(contact.pk))
            .select_related("actor")
            .order_by("at", "pk")
        ],
        "erasure": _erasure(erasure),
    }


def _erasure(erasure: Erasure | None) -> dict[str, Any] | None:
    if erasure is None:
        return None
    by = erasure.erased_by.email if erasure.erased_by else None
    return {"erased_at": erasure.erased_at, "by": by, "reason": erasure.reason}


def _events(contact: Contact) -> Iterator[dict[str, Any]]:
    rows = Event.objects.filter(contact=contact).order_by("timestamp", "pk").values(*EVENT_FIELDS)
    yield from rows.iterator(chunk_size=2000)


# --------------------------------------------------------------------------- the audit log


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None  # the person (or the owner of the key) who acted
    api_key: str = ""  # a key's prefix: what was done with that key
    action: str = ""
    object_type: str = ""  # e.g. contacts.contact
    object_id: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def audit_entries(*, filters: AuditFilters, acting_user: User | None) -> QuerySet[AuditEntry]:
    """Audit rows, newest first, narrowed by `filters`. For those who may read the audit log."""
    require(acting_user, Capability.AUDIT_READ)
    rows = AuditEntry.objects.select_related("actor").order_by("-at", "-id")
    if filters.actor_id is not None:
        rows = rows.filter(actor_id=filters.actor_id)
    if filters.api_key:
        rows = rows.filter(via_api_key=filters.api_key)
    if filters.action:
        rows = rows.filter(action=filters.action)
    if filters.object_type:
        rows = rows.filter(object_type=filters.object_type)
    if filters.object_id:
        rows = rows.filter(object_id=filters.object_id)
    if filters.since is not None:
        rows = rows.filter(at__gte=filters.since)
    if filters.until is not None:
        rows = rows.filter(at__lt=filters.until)
    return rows


def audit_actions() -> list[str]:
    """Every action the audit log holds, for a filter's choices."""
    return sorted(AuditEntry.objects.values_list("action", flat=True).distinct())


def audit_object_types() -> list[str]:
    return sorted(AuditEntry.objects.values_list("object_type", flat=True).distinct())
