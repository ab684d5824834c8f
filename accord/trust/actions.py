"""Erasing a person on request (GDPR article 17).

`contact_erase` removes the person's personal data from every table that holds some — the contact,
its identities, its events' traits, properties and context (client address, user agent), the query
strings of the pages it saw, consent evidence, stage-change notes and traces, score explanations,
merge snapshots, import problems and audit values — and keeps the contact row as a tombstone, so
the stage history, scores and reports that count the person still add up. The erasure itself is
recorded (who, when, why; no personal data), and the person's email addresses and user ids go on
the suppression list (keyed hashes), so that neither an import, a form nor the API brings them back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, TextField, Value, When
from django.db.models.functions import StrIndex, Substr

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.contacts.actions import suppression_add
from accord.contacts.models import ConsentChange, Contact, ContactMerge, SuspectedDuplicate
from accord.core import audit, clock
from accord.core.errors import Conflict, InvalidInput
from accord.core.models import AuditEntry
from accord.core.text import text_problem
from accord.imports.models import ImportProblem
from accord.lifecycle.models import StageChange
from accord.scoring.models import ScoreChange
from accord.tracking.models import Event, Identity
from accord.trust.models import Erasure

ERASED = "[erased]"
PERSONAL_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "phone",
    "hubspot_id",
    "salesforce_lead_id",
    "salesforce_contact_id",
)
# Tokens shorter than this are matched only as whole values, not inside longer text ("Li" would
# otherwise blank every string with "li" in it).
MIN_CONTAINED = 4


def _tokens(contact: Contact) -> set[str]:
    """Every value that names or reaches the person: to look for in free text and traces."""
    found = {
        contact.email or "", contact.first_name, contact.last_name, contact.full_name, contact.phone,
        contact.hubspot_id or "", contact.salesforce_lead_id or "", contact.salesforce_contact_id or "",
    }  # fmt: skip
    found.update(Identity.objects.filter(contact=contact).values_list("value", flat=True))
    for ip in Event.objects.filter(contact=contact).values_list("context__ip", flat=True).distinct():
        if isinstance(ip, str):
            found.add(ip)
    for ip in ConsentChange.objects.filter(contact=contact).values_list("ip", flat=True):
        found.add(ip)
    for snapshot in ContactMerge.objects.filter(kept=contact).values_list("snapshot", flat=True):
        if isinstance(snapshot, dict):
            for name in (
                "email",
                "first_name",
                "last_name",
                "phone",
                "hubspot_id",
                "salesforce_lead_id",
                "salesforce_contact_id",
            ):
                value = snapshot.get(name)
                if isinstance(value, str):
                    found.add(value)
    return {token.strip() for token in found if token and len(token.strip()) >= 2}


def scrub(value: Any, tokens: set[str]) -> Any:
    """`value` (JSON) with every string that holds one of `tokens` replaced by "[erased]"."""
    lowered = {t.casefold() for t in tokens}
    long = [t for t in lowered if len(t) >= MIN_CONTAINED]

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            folded = item.casefold()
            return ERASED if folded in lowered or any(t in folded for t in long) else item
        if isinstance(item, list):
            return [walk(x) for x in item]
        if isinstance(item, dict):
            return {key: walk(x) for key, x in item.items()}
        return item

    return walk(value)


def _scrub_rows(rows: QuerySet[Any], fields: Iterable[str], tokens: set[str]) -> int:
    """Scrub text or JSON fields row by row; only rows that change are written."""
    fields = list(fields)
    changed = 0
    for row in rows.only("pk", *fields):
        updates = {name: scrub(getattr(row, name), tokens) for name in fields}
        if any(updates[name] != getattr(row, name) for name in fields):
            type(row)._default_manager.filter(pk=row.pk).update(**updates)
            changed += 1
    return changed


def _without_query(column: str) -> Case:
    """The column's text up to its first '?': a page address without its query string."""
    return Case(
        When(**{f"{column}__contains": "?"}, then=Substr(column, 1, StrIndex(column, Value("?")) - 1)),
        default=F(column),
        output_field=TextField(),
    )


def contact_erase(*, contact: Contact, reason: str, acting_user: User | None) -> Erasure:
    """Erase the person's personal data, keeping a tombstone. See the module's docstring."""
    require(acting_user, Capability.PERSONAL_DATA)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the person is erased (e.g. their request and its date)", field="reason")
    if len(reason) > 500 or text_problem(reason):
        raise InvalidInput("must be text of at most 500 characters", field="reason")
    now = clock.now()
    with transaction.atomic():
        locked = Contact.objects.select_for_update().filter(pk=contact.pk).first()
        if locked is None:
            raise Conflict("the contact no longer exists (merged into another?)", field="contact")
        if locked.erased_at is not None:
            raise Conflict(f"this contact was erased already, on {locked.erased_at:%Y-%m-%d}", field="contact")
        tokens = _tokens(locked)
        emails = {locked.email} if locked.email else set()
        emails.update(
            e for e in ContactMerge.objects.filter(kept=locked).values_list("snapshot__email", flat=True) if e
        )
        users = Identity.objects.filter(contact=locked, kind__in=["user", "browser_user"]).values_list(
            "value", flat=True
        )
        suppression_add(emails={*emails, *(f"user:{u}" for u in users)})

        counts: dict[str, int] = {}
        counts["events"] = Event.objects.filter(contact=locked).update(
            properties={}, context={}, user_id="", anonymous_id="", url=_without_query("url"),
            referrer=_without_query("referrer"),
        )  # fmt: skip
        counts["identities"] = Identity.objects.filter(contact=locked).delete()[0]
        stage_changes = StageChange.objects.filter(contact=locked)
        counts["stage_notes"] = stage_changes.exclude(note="").update(note="")
        counts["stage_traces"] = _scrub_rows(stage_changes, ["details"], tokens)
        counts["score_changes"] = _scrub_rows(ScoreChange.objects.filter(contact=locked), ["details"], tokens)
        counts["consent_changes"] = ConsentChange.objects.filter(contact=locked).update(ip="", page="")
        counts["merges"] = ContactMerge.objects.filter(kept=locked).update(snapshot={"erased": True})
        counts["suspected_duplicates"] = SuspectedDuplicate.objects.filter(
            Q(contact=locked) | Q(other=locked)
        ).delete()[0]
        dropped = [str(pk) for pk in ContactMerge.objects.filter(kept=locked).values_list("dropped_id", flat=True)]
        about = AuditEntry.objects.filter(object_type="contacts.contact", object_id__in=[str(locked.pk), *dropped])
        counts["audit"] = _scrub_rows(about, ["details"], tokens | _audit_values(about))
        long_tokens = [t for t in tokens if len(t) >= MIN_CONTAINED]
        problems = ImportProblem.objects.none()
        for token in long_tokens:
            problems = problems | ImportProblem.objects.filter(message__icontains=token)
        counts["import_problems"] = _scrub_text(problems.distinct(), "message", long_tokens)

        for name in ("first_name", "last_name", "title", "phone"):
            setattr(locked, name, "")
        locked.email = locked.hubspot_id = locked.salesforce_lead_id = locked.salesforce_contact_id = None
        locked.properties, locked.consent, locked.consent_at = {}, None, None
        locked.erased_at = locked.updated_at = now
        locked.save(update_fields=[
            "first_name", "last_name", "title", "phone", "email", "hubspot_id", "salesforce_lead_id",
            "salesforce_contact_id", "properties", "consent", "consent_at", "erased_at", "updated_at",
        ])  # fmt: skip
        erasure = Erasure.objects.create(
            contact=locked, erased_at=now, erased_by=acting_user if getattr(acting_user, "pk", None) else None,
            reason=reason, counts=counts,
        )  # fmt: skip
        audit.record(action="contact_erase", obj=locked, actor=acting_user, details={"reason": reason, **counts})
    contact.refresh_from_db()
    return erasure


def _audit_values(rows: QuerySet[AuditEntry]) -> set[str]:
    """The text values audit rows about the contact recorded (its fields as they were written)."""
    found: set[str] = set()
    for details in rows.values_list("details", flat=True):
        for key, value in (details or {}).items():
            if key in PERSONAL_FIELDS and isinstance(value, str) and value:
                found.add(value)
    return found


def _scrub_text(rows: QuerySet[Any], field: str, tokens: list[str]) -> int:
    changed = 0
    for row in rows.only("pk", field):
        text = getattr(row, field)
        folded = text.casefold()
        if any(t.casefold() in folded for t in tokens):
            for token in tokens:
                text = _replace_folded(text, token)
            type(row)._default_manager.filter(pk=row.pk).update(**{field: text})
            changed += 1
    return changed


def _replace_folded(text: str, token: str) -> str:
    """`text` with every case-insensitive occurrence of `token` replaced by "[erased]"."""
    lowered, needle, out, start = text.casefold(), token.casefold(), [], 0
    if len(lowered) != len(text):  # case folding changed lengths: fall back to whole replacement
        return ERASED if needle in lowered else text
    while (at := lowered.find(needle, start)) != -1:
        out.append(text[start:at] + ERASED)
        start = at + len(needle)
    out.append(text[start:])
    return "".join(out)
