"""Reads about contacts and accounts: lists with filters, duplicates, the facts rules look at, the
accounts the contact form offers, the industries the account form suggests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from accord.accounts.models import User
from accord.contacts import domain
from accord.contacts.models import Account, Contact, PropertyDefinition, Suppression, SuspectedDuplicate


def contact_list(
    *,
    search: str = "",
    email: str = "",
    stage: str = "",
    owner_id: int | None = None,
    account_id: int | None = None,
    unowned: bool = False,
) -> QuerySet[Contact]:
    contacts = Contact.objects.select_related("account", "owner", "score")
    if email:
        try:
            wanted = domain.normalize_email(email) or ""
        except ValueError:
            wanted = email.strip().lower()  # not an address: it matches nothing
        contacts = contacts.filter(email=wanted)
    if search:
        term = search.strip()
        for word in term.split()[:4]:
            contacts = contacts.filter(
                Q(email__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(account__name__icontains=word)
                | Q(title__icontains=word)
            )
    if stage == "none":
        contacts = contacts.filter(stage="")
    elif stage:
        contacts = contacts.filter(stage=stage)
    if unowned:
        contacts = contacts.filter(owner__isnull=True)
    elif owner_id is not None:
        contacts = contacts.filter(owner_id=owner_id)
    if account_id is not None:
        contacts = contacts.filter(account_id=account_id)
    return contacts


def account_list(*, search: str = "", industry: str = "") -> QuerySet[Account]:
    accounts = Account.objects.select_related("owner")
    if search:
        accounts = accounts.filter(Q(name__icontains=search.strip()) | Q(domain__icontains=search.strip()))
    if industry:
        accounts = accounts.filter(industry=industry)
    return accounts


def accounts_with_counts(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """`accounts` with how many contacts each has (`contact_count`), by name."""
    return accounts.annotate(contact_count=Count("contacts")).order_by("name", "pk")


def account_contacts(account: Account) -> QuerySet[Contact]:
    """The account's contacts with their owners, by name."""
    return Contact.objects.filter(account=account).select_related("owner").order_by("last_name", "first_name", "id")


def account_picks(query: str, *, keep: int | None = None, limit: int = 8) -> list[Account]:
    """The accounts the contact form offers for `query`: names or domains that hold it, an exact
    name first; and the account already chosen (`keep`) even when the words no longer find it."""
    found: list[Account] = []
    if query:
        exact_first = Case(When(name__iexact=query, then=Value(0)), default=Value(1))
        found = list(account_list(search=query).alias(exact=exact_first).order_by("exact", Lower("name"), "pk")[:limit])
    if keep is not None and all(account.pk != keep for account in found):
        found = list(Account.objects.filter(pk=keep)) + found
    return found


def industries(limit: int = 200) -> list[str]:
    """The industries accounts already have, for the account form to suggest."""
    rows = Account.objects.exclude(industry="").order_by("industry").values_list("industry", flat=True).distinct()
    return list(rows[:limit])


def contact_duplicates(contact: Contact, *, limit: int = 10) -> list[Contact]:
    """Other contacts that are probably the same person: the same mailbox (ignoring +tags and
    Gmail dots), or the same name at the same company (email domain or account)."""
    candidates = Q(pk__in=[])
    if contact.email:
        canonical = domain.canonical_email(contact.email)
        local = canonical.partition("@")[0]
        candidates |= Q(email__istartswith=local) & Q(email__iendswith=contact.email_domain)
        if contact.email_domain in {"gmail.com", "googlemail.com"}:
            candidates |= Q(email__iendswith="@gmail.com") | Q(email__iendswith="@googlemail.com")
    if contact.first_name and contact.last_name:
        same_name = Q(first_name__iexact=contact.first_name, last_name__iexact=contact.last_name)
        company = domain.company_domain(contact.email)
        if company:
            candidates |= same_name & Q(email__iendswith=f"@{company}")
        if contact.account_id:
            candidates |= same_name & Q(account_id=contact.account_id)
    found = []
    for other in Contact.objects.filter(candidates).exclude(pk=contact.pk).select_related("account")[:200]:
        same_mailbox = contact.email and domain.canonical_email(other.email) == domain.canonical_email(contact.email)
        same_person = (
            contact.first_name
            and other.first_name.casefold() == contact.first_name.casefold()
            and other.last_name.casefold() == contact.last_name.casefold()
        )
        if same_mailbox or same_person:
            found.append(other)
        if len(found) >= limit:
            break
    return found


def suspected_duplicates(contact: Contact) -> list[tuple[SuspectedDuplicate, Contact]]:
    """The open suspicions that `contact` and another are one person, with the other contact."""
    pairs = (
        SuspectedDuplicate.objects.filter(Q(contact=contact) | Q(other=contact), dismissed_at__isnull=True)
        .select_related("contact__account", "other__account")
        .order_by("-detected_at", "-id")[:20]
    )
    return [(pair, pair.other if pair.contact_id == contact.pk else pair.contact) for pair in pairs]


def contact_duplicates_all(contact: Contact, *, limit: int = 10) -> list[Contact]:
    """Suspected duplicates first (Accord saw a sign they are one), then the likely ones."""
    found = [other for _, other in suspected_duplicates(contact)]
    seen = {c.pk for c in found}
    found += [other for other in contact_duplicates(contact, limit=limit) if other.pk not in seen]
    return found[:limit]


def account_duplicates(account: Account) -> list[Account]:
    if not account.domain:
        return list(Account.objects.filter(name__iexact=account.name).exclude(pk=account.pk)[:10])
    return list(
        Account.objects.filter(Q(domain=account.domain) | Q(name__iexact=account.name)).exclude(pk=account.pk)[:10]
    )


def contact_facts(contact: Contact, *, now: dt.datetime) -> dict[str, Any]:
    """The facts playbook conditions read about a contact, its account and its scores."""
    account, score = contact.account, contact.current_score
    facts: dict[str, Any] = {
        "contact.email": contact.email,
        "contact.email_domain": contact.email_domain,
        "contact.first_name": contact.first_name,
        "contact.last_name": contact.last_name,
        "contact.title": contact.title,
        "contact.seniority": contact.seniority,
        "contact.phone": contact.phone,
        "contact.country": contact.country,
        "contact.stage": contact.stage,
        "contact.consent": contact.consent,
        "contact.owner": contact.owner.email if contact.owner_id and contact.owner else None,
        "contact.days_in_stage": (now - contact.stage_changed_at).days if contact.stage_changed_at else None,
        "contact.forms_submitted": contact.forms_submitted,
        "contact.open_deals": contact.open_deals,
        "contact.won_deals": contact.won_deals,
        "contact.nurture_stopped": contact.open_deals > 0 or contact.won_deals > 0,
        "contact.first_source": contact.first_source,
        "contact.first_medium": contact.first_medium,
        "contact.first_campaign": contact.first_campaign,
        "contact.first_offer": contact.first_offer,
        "contact.last_source": contact.last_source,
        "contact.last_medium": contact.last_medium,
        "contact.last_campaign": contact.last_campaign,
        "contact.last_offer": contact.last_offer,
        "contact.properties": contact.properties or {},
        "score.fit": score.fit_score if score else None,
        "score.grade": (score.fit_grade or None) if score else None,
        "score.interest": score.interest_score if score else None,
        "score.quadrant": (score.quadrant or None) if score else None,
        "contact.persona": (score.persona or None) if score else None,
    }
    if account is not None:
        facts.update(
            {
                "account.name": account.name,
                "account.domain": account.domain,
                "account.industry": account.industry,
                "account.employees": account.employees,
                "account.annual_revenue": float(account.annual_revenue) if account.annual_revenue is not None else None,
                "account.country": account.country,
                "account.owner": account.owner.email if account.owner_id and account.owner else None,
                "account.properties": account.properties or {},
            }
        )
    return facts


def suppressed(emails: set[str] | list[str]) -> set[str]:
    """Which of these (normalised) addresses were erased on request and must not come back."""
    wanted = {e for e in emails if e}
    if not wanted:
        return set()
    digests = {domain.suppression_digest(e, settings.ACCORD_SUPPRESSION_KEY): e for e in wanted}
    found = Suppression.objects.filter(digest__in=list(digests)).values_list("digest", flat=True)
    return {digests[d] for d in found}


def property_types(object: str, names: Collection[str]) -> dict[str, str]:
    """The defined type of each of these custom properties ({name: contacts.domain.PropertyType})."""
    return dict(PropertyDefinition.objects.filter(object=object, name__in=list(names)).values_list("name", "type"))


def stage_counts() -> dict[str, int]:
    """How many contacts are in each stage key ({key: contacts}); contacts without a stage are left out."""
    rows = Contact.objects.exclude(stage="").values("stage").annotate(n=Count("id"))
    return {row["stage"]: row["n"] for row in rows}


def references_exist(field: str, pk: int) -> bool:
    """Whether the account (`account_id`) or active user (`owner_id`) an id names exists: what
    checking a contact's or an account's fields asks (`domain.contact_fields_clean`)."""
    if field == "account_id":
        return Account.objects.filter(pk=pk).exists()
    return User.objects.filter(pk=pk, is_active=True).exists()
