"""Writes about contacts and accounts. Each validates its whole input and writes nothing on error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.forms.models import model_to_dict

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.contacts import domain, signals
from accord.contacts.models import (
    Account,
    ConsentChange,
    Contact,
    ContactMerge,
    PropertyDefinition,
    Score,
    Suppression,
    SuspectedDuplicate,
)
from accord.contacts.queries import references_exist, suppressed
from accord.core import audit, clock
from accord.core.errors import Conflict, InvalidInput
from accord.core.tasks import after_commit

CONTACT_FIELDS = domain.EDITABLE_FIELDS
ACCOUNT_FIELDS = domain.ACCOUNT_FIELDS
MAX_EMPLOYEES = domain.MAX_EMPLOYEES


def contact_fields_clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """A contact's fields as the API, the pages and imports accept them (`domain.contact_fields_clean`),
    with the account and owner named by id checked to exist."""
    return domain.contact_fields_clean(data, known=references_exist)


def account_fields_clean(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """An account's fields as the API, the pages and imports accept them (`domain.account_fields_clean`),
    with the owner named by id checked to exist."""
    return domain.account_fields_clean(data, creating=creating, known=references_exist)


def _unique_conflict(exc: IntegrityError, values: Mapping[str, Any]) -> Conflict:
    text = str(exc).lower()
    for name in ("email", "hubspot_id", "salesforce_lead_id", "salesforce_contact_id", "domain"):
        if name in text and values.get(name):
            return Conflict(f"{name}: another record already has {values[name]!r}", field=name)
    return Conflict(f"the change conflicts with another record: {exc}")


@dataclass(frozen=True)
class Evidence:
    """Where a change sent through tracking came from, kept with a consent change."""

    via: domain.ConsentSource
    api_key: str = ""  # the key's prefix
    ip: str = ""
    page: str = ""


PERSON = Evidence(via=domain.ConsentSource.PERSON)

# Fit is recomputed after any edit of a contact or its account (scoring sits above contacts).
RESCORE = "accord.scoring.tasks.refresh"


def _refuse_suppressed(email: str | None) -> None:
    if email and suppressed([email]):
        raise Conflict("this address was erased on request (GDPR): Accord does not add the person again", field="email")


def contact_create(*, data: Mapping[str, Any], acting_user: User | None) -> Contact:
    require(acting_user, Capability.CONTACT_WRITE)
    values = contact_fields_clean(data)
    _refuse_suppressed(values.get("email"))
    if values.get("consent") is not None:
        values["consent_at"] = clock.now()
    if not values.get("account_id") and values.get("email"):
        account = account_for_domain(domain.company_domain(values["email"]))
        if account is not None:
            values["account_id"] = account.pk
    try:
        with transaction.atomic():
            contact = Contact.objects.create(**values)
            audit.record(action="contact_create", obj=contact, actor=acting_user, after=values)
            if values.get("consent") is not None:
                consent_change_record(
                    contact_id=contact.pk, consent=values["consent"], at=values["consent_at"],
                    evidence=PERSON, acting_user=acting_user,
                )  # fmt: skip
            after_commit(RESCORE, contact_ids=[contact.pk])
    except IntegrityError as exc:
        raise _unique_conflict(exc, values) from None
    return contact


def contact_update(*, contact: Contact, data: Mapping[str, Any], acting_user: User | None) -> Contact:
    require(acting_user, Capability.CONTACT_WRITE)
    values = contact_fields_clean(data)
    changed = {k: v for k, v in values.items() if getattr(contact, k) != v}
    if not changed:
        return contact
    if contact.erased_at is not None:
        raise Conflict("this contact was erased on request: it keeps no personal data", field="contact")
    _refuse_suppressed(changed.get("email"))
    if "consent" in changed:
        changed["consent_at"] = clock.now()
    before = {k: _jsonable(getattr(contact, k)) for k in changed if k != "updated_at"}
    changed["updated_at"] = clock.now()
    try:
        with transaction.atomic():
            Contact.objects.filter(pk=contact.pk).update(**changed)
            if "consent" in changed:
                consent_change_record(
                    contact_id=contact.pk, consent=changed["consent"], at=changed["consent_at"],
                    evidence=PERSON, acting_user=acting_user,
                )  # fmt: skip
            audit.record(
                action="contact_update",
                obj=contact,
                actor=acting_user,
                details={k: _jsonable(v) for k, v in changed.items() if k != "updated_at"},
                before=before,
                after={k: _jsonable(v) for k, v in changed.items() if k != "updated_at"},
            )
            after_commit(RESCORE, contact_ids=[contact.pk])
    except IntegrityError as exc:
        raise _unique_conflict(exc, values) from None
    contact.refresh_from_db()
    return contact


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool, dict, list)) or value is None:
        return value
    return str(value)


def contact_merge(*, keep: Contact, drop: Contact, acting_user: User | None) -> Contact:
    """Merge `drop` into `keep`. Everything that pointed at `drop` (its stage history, events,
    hand-offs…) now points at `keep`; fields `keep` lacks are taken from `drop`. A `ContactMerge`
    row keeps `drop` as it was.

    The stage is not touched here: only the stage machine moves a contact (ADR 0003), and it sits
    above contacts. Callers merge through `lifecycle.actions.contact_merge`, which calls this and
    then moves the kept contact to the stage the playbook's merge rule picks, in one transaction."""
    require(acting_user, Capability.CONTACT_MERGE)
    if keep.pk == drop.pk:
        raise Conflict("a contact cannot be merged into itself", field="drop")
    with transaction.atomic():
        locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk])}
        if len(locked) != 2:
            raise Conflict("one of the contacts no longer exists (already merged?)")
        keep, drop = locked[keep.pk], locked[drop.pk]
        if keep.erased_at is not None or drop.erased_at is not None:
            raise Conflict("an erased contact cannot be merged: it keeps no personal data", field="drop")
        drop_values = model_to_dict(drop)
        drop_values.update(account_id=drop.account_id, owner_id=drop.owner_id, consent_at=drop.consent_at)
        keep_values = model_to_dict(keep)
        keep_values.update(account_id=keep.account_id, owner_id=keep.owner_id, consent_at=keep.consent_at)
        taken = domain.merged_fields(keep_values, drop_values)
        snapshot = {k: _jsonable(v) for k, v in drop_values.items()}
        snapshot.update(id=drop.pk, stage=drop.stage, created_at=drop.created_at.isoformat())
        _repoint(drop, keep)
        _carry_suspicions(drop, keep)
        dropped_id = drop.pk
        drop.delete()
        for name, value in taken.items():
            setattr(keep, name, value)
        keep.created_at = min(keep.created_at, drop.created_at)
        keep.updated_at = clock.now()
        # The kept contact's interest state no longer matches its (merged) history: whatever scores
        # it next recomputes it in full, even if the refresh queued below were lost.
        Score.objects.filter(contact=keep).update(score_version=None)
        keep.save()
        signals.merged.send(sender=Contact, keep=keep, dropped_id=dropped_id)
        ContactMerge.objects.create(kept=keep, dropped_id=dropped_id, snapshot=snapshot, merged_by=acting_user)
        audit.record(
            action="contact_merge",
            obj=keep,
            actor=acting_user,
            details={"dropped_id": dropped_id, "taken": sorted(taken)},
        )
        after_commit(RESCORE, contact_ids=[keep.pk], history=True)
    return keep


def _repoint(drop: Contact, keep: Contact) -> None:
    """Point every row that references `drop` at `keep`, whatever app it belongs to."""
    for relation in Contact._meta.related_objects:
        if not isinstance(relation, models.ManyToOneRel) or relation.related_model is ContactMerge:
            continue
        if isinstance(relation, models.OneToOneRel):
            continue  # the dropped contact's own (its scores): they go with it, the kept one is scored again
        related: type[models.Model] = relation.related_model
        field_name = relation.field.name
        updates: dict[str, Any] = {field_name: keep}
        if any(f.name == "merged_from" for f in related._meta.concrete_fields):
            related._default_manager.filter(**{field_name: drop}, merged_from__isnull=True).update(merged_from=drop.pk)
        related._default_manager.filter(**{field_name: drop}).update(**updates)
    ContactMerge.objects.filter(kept=drop).update(kept=keep)


_TRAIT_FIELDS = {
    "firstName": "first_name", "first_name": "first_name", "firstname": "first_name",
    "lastName": "last_name", "last_name": "last_name", "lastname": "last_name",
    "title": "title", "jobTitle": "title", "job_title": "title",
    "phone": "phone", "country": "country", "consent": "consent", "seniority": "seniority",
}  # fmt: skip
_TRAITS_NOT_KEPT = {"email", "id", "userId", "anonymousId", "password", "name", "address", "createdAt"}


def contact_fields_from_traits(
    traits: Mapping[str, Any], *, at: dt.datetime, properties: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Contact fields and custom properties from Segment traits (see `contact_apply_traits`)."""
    data: dict[str, Any] = {}
    merged = dict(properties or {})
    name = traits.get("name")
    if isinstance(name, str) and name.strip() and not traits.get("firstName") and not traits.get("first_name"):
        first, _, last = name.strip().partition(" ")
        data.update(first_name=first, **({"last_name": last} if last else {}))
    for key, value in traits.items():
        field = _TRAIT_FIELDS.get(key)
        if field is not None and value not in (None, ""):
            data[field] = value
        elif key == "company":
            company = value.get("name") if isinstance(value, Mapping) else value
            if isinstance(company, str) and company.strip():
                merged["company"] = company.strip()[:200]
        elif key not in _TRAITS_NOT_KEPT and (value is None or isinstance(value, (str, int, float, bool))):
            merged[str(key)[:100]] = value
    values: dict[str, Any] = {}
    for name, value in data.items():
        try:
            values.update(contact_fields_clean({name: value}))
        except InvalidInput:
            merged[name] = value if isinstance(value, (str, int, float, bool)) else str(value)
    if values.get("consent") is not None:
        values["consent_at"] = at
    return values, merged


def contact_apply_traits(
    *,
    contact_id: int,
    traits: Mapping[str, Any],
    email: str | None,
    at: dt.datetime,
    evidence: Evidence,
    contact: Contact | None = None,
    email_taken: bool | None = None,
) -> bool:
    """Take what an identify call says about a person (Segment traits) onto their contact.

    From a server key, known traits fill the contact's fields (the newest value wins); a trait
    whose value is not valid for its field is kept as a custom property instead; other simple
    traits become custom properties. From a browser key (`evidence.via` browser), only what the
    contact has empty is filled and a consent withdrawal is honoured (`domain.browser_fill`):
    the event itself keeps what was submitted. The email is taken only when the contact has none
    and nobody else has it. A consent change is kept as evidence; no audit row otherwise: this is
    the tracking stream, and the event itself is the record.

    A caller that has the contact's row already (read in this transaction, after locking it) and
    knows whether another contact has the email passes them (`contact`, kept up to date with what
    is written; `email_taken`), which saves a query each.
    """
    if contact is None:
        contact = Contact.objects.get(pk=contact_id)  # the caller's transaction holds the identity rows
    current = contact.properties or {}
    if evidence.via is domain.ConsentSource.BROWSER:
        submitted, new_properties = contact_fields_from_traits(traits, at=at)
        values = domain.browser_fill(model_to_dict(contact, fields=[*submitted, "consent"]), submitted)
        properties = {**new_properties, **current}
    else:
        values, properties = contact_fields_from_traits(traits, at=at, properties=current)
    if email_taken is None and email and not contact.email:
        email_taken = Contact.objects.filter(email=email).exists()
    if email and not contact.email and not email_taken:
        values["email"] = email
        if not contact.account_id:
            account = account_for_domain(domain.company_domain(email))
            values["account_id"] = account.pk if account else None
    if "consent" in values and values["consent"] == contact.consent:
        values.pop("consent_at", None)
    if properties != current:
        values["properties"] = properties
    changed = {k: v for k, v in values.items() if getattr(contact, k) != v}
    if changed:
        changed["updated_at"] = clock.now()
        Contact.objects.filter(pk=contact.pk).update(**changed)
        for name, value in changed.items():
            setattr(contact, name, value)
        if "consent" in changed:
            consent_change_record(contact_id=contact.pk, consent=changed["consent"], at=at, evidence=evidence)
    return "email" in changed or "consent" in changed


def consent_change_record(
    *, contact_id: int, consent: bool | None, at: dt.datetime, evidence: Evidence, acting_user: User | None = None
) -> ConsentChange:
    """Keep the evidence of a consent change; called by whatever changed it, in its transaction."""
    return ConsentChange.objects.create(
        contact_id=contact_id, consent=consent, at=at, via=evidence.via.value,
        by_user=acting_user if getattr(acting_user, "pk", None) else None,
        via_api_key=evidence.api_key or getattr(acting_user, "_accord_api_key_prefix", "") or "",
        ip=evidence.ip[:45], page=evidence.page[:2048],
    )  # fmt: skip


def suspected_duplicate_record(*, contact_id: int, other_id: int, reason: str) -> None:
    """Note that two contacts may be one person, once per pair (a dismissed pair stays dismissed)."""
    low, high = sorted((contact_id, other_id))
    if low == high:
        return
    SuspectedDuplicate.objects.bulk_create(
        [SuspectedDuplicate(contact_id=low, other_id=high, reason=reason[:300])], ignore_conflicts=True
    )


def suspected_duplicate_dismiss(*, duplicate: SuspectedDuplicate, acting_user: User | None) -> SuspectedDuplicate:
    """A person looked and they are two people: the pair is no longer shown."""
    require(acting_user, Capability.CONTACT_MERGE)
    with transaction.atomic():
        if duplicate.dismissed_at is None:
            duplicate.dismissed_at = clock.now()
            duplicate.dismissed_by = acting_user if getattr(acting_user, "pk", None) else None
            duplicate.save(update_fields=["dismissed_at", "dismissed_by"])
            audit.record(
                action="suspected_duplicate_dismiss", obj=duplicate, actor=acting_user,
                details={"contact_id": duplicate.contact_id, "other_id": duplicate.other_id},
            )  # fmt: skip
    return duplicate


def _carry_suspicions(drop: Contact, keep: Contact) -> None:
    """A merge settles the pair it merged; the dropped contact's other suspicions pass to the kept one."""
    pairs = SuspectedDuplicate.objects.filter(Q(contact=drop) | Q(other=drop))
    carried = []
    for pair in pairs:
        other = pair.other_id if pair.contact_id == drop.pk else pair.contact_id
        if other != keep.pk:
            low, high = sorted((other, keep.pk))
            carried.append(
                SuspectedDuplicate(
                    contact_id=low, other_id=high, reason=pair.reason, detected_at=pair.detected_at,
                    dismissed_at=pair.dismissed_at, dismissed_by_id=pair.dismissed_by_id,
                )
            )  # fmt: skip
    pairs.delete()
    SuspectedDuplicate.objects.bulk_create(carried, ignore_conflicts=True)


def account_for_domain(company_domain: str) -> Account | None:
    if not company_domain:
        return None
    matches = list(Account.objects.filter(domain=company_domain).order_by("pk")[:2])
    return matches[0] if len(matches) == 1 else None


def account_create(*, data: Mapping[str, Any], acting_user: User | None) -> Account:
    require(acting_user, Capability.CONTACT_WRITE)
    values = account_fields_clean(data, creating=True)
    with transaction.atomic():
        account = Account.objects.create(**values)
        audit.record(action="account_create", obj=account, actor=acting_user, after=values)
    return account


def account_update(*, account: Account, data: Mapping[str, Any], acting_user: User | None) -> Account:
    require(acting_user, Capability.CONTACT_WRITE)
    values = account_fields_clean(data, creating=False)
    changed = {k: v for k, v in values.items() if getattr(account, k) != v}
    if not changed:
        return account
    before = {k: _jsonable(getattr(account, k)) for k in changed}
    with transaction.atomic():
        for name, value in changed.items():
            setattr(account, name, value)
        account.updated_at = clock.now()
        account.save(update_fields=[*changed, "updated_at"])
        audit.record(
            action="account_update",
            obj=account,
            actor=acting_user,
            details={k: _jsonable(v) for k, v in changed.items()},
            before=before,
            after={k: _jsonable(v) for k, v in changed.items()},
        )
        contact_ids = list(account.contacts.values_list("pk", flat=True))
        if contact_ids:
            after_commit(RESCORE, contact_ids=contact_ids)
    return account


def suppression_add(*, emails: set[str]) -> None:
    """Keep these addresses (normalised) on the suppression list, as keyed hashes."""
    rows = [Suppression(digest=domain.suppression_digest(e, settings.ACCORD_SUPPRESSION_KEY)) for e in emails if e]
    Suppression.objects.bulk_create(rows, ignore_conflicts=True)


def suppression_remove(*, email: str, acting_user: User | None) -> bool:
    """Let an erased address back in (the person came back and asked to be known again)."""
    require(acting_user, Capability.PERSONAL_DATA)
    try:
        normalised = domain.normalize_email(email)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="email") from None
    if not normalised:
        raise InvalidInput("an email address is required", field="email")
    with transaction.atomic():
        digest = domain.suppression_digest(normalised, settings.ACCORD_SUPPRESSION_KEY)
        removed, _ = Suppression.objects.filter(digest=digest).delete()
        if removed:
            audit.record(action="suppression_remove", object_type="contacts.suppression", object_id=digest[:16],
                         actor=acting_user)  # fmt: skip
    return bool(removed)


def property_definitions_ensure(
    *, object: domain.PropertyObject, columns: Mapping[str, tuple[str, domain.PropertyType]]
) -> dict[str, domain.PropertyType]:
    """The type of each custom property named in `columns` ({name: (label, type seen)}): the one
    already defined wins; the others are defined with the type seen. Returns every name's type."""
    if not columns:
        return {}
    PropertyDefinition.objects.bulk_create(
        [
            PropertyDefinition(object=object, name=name, label=label[:255], type=kind)
            for name, (label, kind) in columns.items()
        ],
        ignore_conflicts=True,
    )
    defined = PropertyDefinition.objects.filter(object=object, name__in=list(columns)).values_list("name", "type")
    return {name: domain.PropertyType(kind) for name, kind in defined}
