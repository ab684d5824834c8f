"""Identity resolution: which contact each message is about.

An anonymous id (a browser) stays anonymous until an identify (or a user id) ties it to a
contact; then the anonymous history is linked to that contact. A user id the sender has not
used before makes a new contact. When two contacts turn out to be one person (the same email,
or an alias), they are merged through `lifecycle.actions.contact_merge`, keeping the older one.

Messages sent with a browser key (`Trust.BROWSER`: the key sits in web pages, anyone can send
with it) may add what is new — a contact, an id never seen, an anonymous history — but never
change what was recorded: an id already tied to a contact stays where it is, two known contacts
are never merged (the pair is recorded as a suspected duplicate for a person to look at), and
traits fill only the fields a contact has empty (docs/adr/0010).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from accord.contacts.actions import (
    Evidence,
    consent_change_record,
    contact_apply_traits,
    contact_fields_from_traits,
    suspected_duplicate_record,
)
from accord.contacts.domain import ConsentSource, company_domain
from accord.contacts.models import Account, Contact
from accord.core import clock
from accord.lifecycle.actions import contact_merge
from accord.tracking import locks
from accord.tracking.domain import EventType, IdentityKind, Message, Trust
from accord.tracking.models import Event, Identity

ANON, USER, BUSER = IdentityKind.ANONYMOUS.value, IdentityKind.USER.value, IdentityKind.BROWSER_USER.value
Key = tuple[str, str]


@dataclass
class Resolution:
    """What resolving a batch changed, for the steps after it."""

    identified: set[int] = field(default_factory=set)  # contacts an identify or alias was about
    qualified: set[int] = field(default_factory=set)  # contacts whose email or consent changed: rules may move them
    relinked: set[int] = field(default_factory=set)  # contacts that gained earlier anonymous events
    merged: dict[int, int] = field(default_factory=dict)  # dropped contact id -> kept contact id


class _Resolver:
    def __init__(self, messages: list[Message], trust: Trust, sent_with: str) -> None:
        self.messages = messages
        self.browser = trust is Trust.BROWSER
        self.via = ConsentSource.BROWSER if self.browser else ConsentSource.SERVER
        self.sent_with = sent_with
        # A browser's user ids live apart from the servers': they can never point a server's id
        # at the wrong person, and a browser reads the servers' ids before its own claims.
        self.user_kind = BUSER if self.browser else USER
        self.result = Resolution()
        keys: set[Key] = set()
        user_kinds = (USER, BUSER) if self.browser else (USER,)
        for m in messages:
            for kind in user_kinds:
                if m.user_id:
                    keys.add((kind, m.user_id))
                if m.previous_id:
                    keys.add((kind, m.previous_id))
            if m.anonymous_id:
                keys.add((ANON, m.anonymous_id))
            if m.previous_id:
                keys.add((ANON, m.previous_id))
        self.known: dict[Key, int] = _load(keys)
        # Looked up once for the whole batch: contacts by the emails identify calls carry, and
        # accounts by those emails' company domains.
        emails = {m.email for m in messages if m.email}
        self.by_email: dict[str, int] = _by_email(emails)
        if connection.vendor == "postgresql":
            # Before writing anything: lock what this batch may link or claim (accord.tracking.locks),
            # read again what was unknown (a request that held a claim first may have written it),
            # then lock the contacts found, in id order.
            unknown = keys - set(self.known)
            claims = [f"{kind}:{value}" for kind, value in unknown if kind != ANON]
            claims += [f"email:{email}" for email in emails - set(self.by_email)]
            seen = {value for kind, value in self.known if kind == ANON}
            locks.take(anonymous=locks.anonymous_modes(messages, known=seen), claims=sorted(claims))
            if unknown:
                self.known.update(_load(unknown))
            if claims:
                self.by_email.update(_by_email(emails - set(self.by_email)))
            found = sorted({*self.known.values(), *self.by_email.values()})
            list(Contact.objects.select_for_update(no_key=True).filter(pk__in=found).order_by("pk").values_list("pk"))
        # The rows of the contacts identify calls may be about, read once (after the locks): the
        # traits are taken onto them (forgotten after a merge, which rewrites the kept one).
        candidates = set()
        for m in messages:
            if m.type is EventType.IDENTIFY:
                candidates |= {
                    self.user(m.user_id) if m.user_id else None,
                    self.by_email.get(m.email) if m.email else None,
                    self.known.get((ANON, m.anonymous_id)) if m.anonymous_id else None,
                }
        candidates.discard(None)
        self.rows: dict[int, Contact] = Contact.objects.in_bulk(candidates) if candidates else {}
        self.stored: set[Key] = set(self.known)  # ids that have an Identity row already
        # Contacts this batch creates wait under provisional (negative) ids until something needs
        # their row, then are inserted together (materialize()); usually once, at flush().
        self.unsaved: dict[int, tuple[Contact, Message | None]] = {}  # with the message giving consent
        self.made: dict[int, int] = {}  # provisional id -> the contact's id
        self.pending: set[Key] = set()  # ids linked in this batch, written together by flush()
        self.accounts = _accounts_by_domain({company_domain(e) for e in emails} - {""})
        # What claimed_by_another() asks about the contacts of the browsers that identify, read
        # for all of them at once: each one's email and server user ids, as stored (forgotten when
        # this batch may change them: traits taken, ids written, a merge).
        browsers = {
            self.known[(ANON, m.anonymous_id)]
            for m in messages
            if m.type is EventType.IDENTIFY and (ANON, m.anonymous_id) in self.known
        }
        self.emails: dict[int, str | None] = {}
        self.user_ids: dict[int, set[str]] = {}
        if browsers:
            self.emails.update(Contact.objects.filter(pk__in=browsers).values_list("pk", "email"))
            self.user_ids.update({pk: set() for pk in browsers})
            for pk, value in Identity.objects.filter(contact_id__in=browsers, kind=USER).values_list(
                "contact_id", "value"
            ):
                self.user_ids[pk].add(value)

    def run(self) -> Resolution:
        for m in self.messages:
            if m.type is EventType.IDENTIFY:
                m.contact_id = self.identify(m)
            elif m.type is EventType.ALIAS:
                m.contact_id = self.alias(m)
            else:
                m.contact_id = self.sender(m)
        self.flush()
        merged = self.result.merged
        for m in self.messages:  # earlier messages of visitors identified later in the batch
            if m.contact_id is None and m.anonymous_id:
                m.contact_id = self.known.get((ANON, m.anonymous_id))
            while m.contact_id in merged:
                m.contact_id = merged[m.contact_id]
        return self.result

    # -- the three kinds of message

    def user(self, user_id: str) -> int | None:
        """The contact a user id is known for: the servers' word first, then a browser's claim."""
        found = self.known.get((USER, user_id))
        if found is None and self.browser:
            found = self.known.get((BUSER, user_id))
        return found

    def tie(self, kind: str, value: str, contact_id: int, known: int | None) -> None:
        """Tie an id to a contact: a new id always; an id tied elsewhere only on a server's word."""
        if known is None or (known != contact_id and not self.browser):
            self.link(kind, value, contact_id)

    def sender(self, m: Message) -> int | None:
        by_anonymous = self.known.get((ANON, m.anonymous_id)) if m.anonymous_id else None
        if not m.user_id:
            return by_anonymous
        contact_id = self.user(m.user_id)
        if contact_id is None:
            contact_id = by_anonymous if by_anonymous is not None else self.create(m)
            self.link(self.user_kind, m.user_id, contact_id)
        if m.anonymous_id and by_anonymous != contact_id:
            self.tie(ANON, m.anonymous_id, contact_id, by_anonymous)
            if self.browser and by_anonymous is not None:
                self.suspect(by_anonymous, contact_id, f"one browser sent as both (user id {m.user_id!r})")
        return contact_id

    def identify(self, m: Message) -> int:
        by_user = self.saved(self.user(m.user_id) if m.user_id else None)
        by_email = self.saved(self.by_email.get(m.email) if m.email else None)
        by_anonymous = self.saved(self.known.get((ANON, m.anonymous_id)) if m.anonymous_id else None)
        target = by_user or by_email
        if by_user and by_email and by_user != by_email:
            if self.browser:  # the email names someone else: a person decides whether they are one
                target = by_email
                self.suspect(by_user, by_email, f"a web form gave user id {m.user_id!r} and the email {m.email}")
            else:
                target = self.merge(by_user, by_email)
        # Whether the browser's contact is someone else (another email or user id): asked once.
        shared = by_anonymous is not None and self.claimed_by_another(by_anonymous, m)
        if target is None and by_anonymous is not None and not shared:
            target = by_anonymous
        created = target is None
        if target is None:
            target = self.create(m)
        if m.user_id:
            self.tie(self.user_kind, m.user_id, target, self.user(m.user_id))
        if m.anonymous_id and by_anonymous != target:
            self.tie(ANON, m.anonymous_id, target, by_anonymous)
            if self.browser and by_anonymous is not None and not shared:
                self.suspect(by_anonymous, target, f"a web form from this browser gave the email {m.email}")
        self.emails.pop(target, None)  # the traits may give the contact an email
        if created or contact_apply_traits(
            contact_id=target, traits=m.traits, email=m.email, at=m.timestamp, evidence=self.evidence(m),
            contact=self.rows.get(target), email_taken=bool(m.email) and m.email in self.by_email,
        ):  # fmt: skip
            self.result.qualified.add(target)
        if m.email:
            self.by_email.setdefault(m.email, target)
        self.result.identified.add(target)
        return target

    def alias(self, m: Message) -> int:
        before = self.saved(self.user(m.previous_id) or self.known.get((ANON, m.previous_id)))
        after = self.saved(self.user(m.user_id))
        if before and after and before != after:
            if not self.browser:
                return self.merge(before, after)
            self.suspect(before, after, f"an alias from a browser tied {m.previous_id!r} to {m.user_id!r}")
            return after
        target = before or after or self.create(m)
        if after is None:
            self.link(self.user_kind, m.user_id, target)
        if before is None:
            self.link(ANON, m.previous_id, target)
        self.result.identified.add(target)
        return target

    # -- steps

    def claimed_by_another(self, contact_id: int, m: Message) -> bool:
        """A browser shared by two people: its contact already has another email or user id."""
        if m.email:
            if contact_id not in self.emails:
                self.emails[contact_id] = Contact.objects.filter(pk=contact_id).values_list("email", flat=True).first()
            email = self.emails[contact_id]
            if email is not None and email != m.email:
                return True
        if m.user_id:
            if contact_id not in self.user_ids:
                self.user_ids[contact_id] = set(
                    Identity.objects.filter(contact_id=contact_id, kind=USER).values_list("value", flat=True)
                )
            return bool(self.user_ids[contact_id] - {m.user_id})
        return False

    def create(self, m: Message) -> int:
        """A new contact, with what the message says about them (an identify call's traits), under
        a provisional id until it is inserted with the batch's other new contacts."""
        fields, properties = contact_fields_from_traits(m.traits, at=m.timestamp)
        account_id = self.accounts.get(company_domain(m.email)) if m.email else None
        contact = Contact(
            email=m.email, account_id=account_id, properties=properties, created_at=m.received_at,
            updated_at=m.received_at, **fields,
        )  # fmt: skip
        provisional = -1 - len(self.made) - len(self.unsaved)
        self.unsaved[provisional] = (contact, m if fields.get("consent") is not None else None)
        return provisional

    def saved(self, contact_id: int | None) -> int | None:
        """A contact's id once its row exists: a contact this batch created is inserted first."""
        if contact_id is not None and contact_id < 0:
            self.materialize()
            return self.made[contact_id]
        return contact_id

    def materialize(self) -> None:
        """Insert the contacts created so far, in one INSERT … RETURNING, in the order they were
        created, with the evidence of the consent they gave; then use their ids everywhere."""
        if not self.unsaved:
            return
        created = list(self.unsaved.items())
        Contact.objects.bulk_create([contact for _, (contact, _) in created])
        made = {provisional: contact.pk for provisional, (contact, _) in created}
        for _, (contact, consenting) in created:
            if consenting is not None:
                consent_change_record(
                    contact_id=contact.pk, consent=contact.consent, at=consenting.timestamp,
                    evidence=self.evidence(consenting),
                )  # fmt: skip
        self.made.update(made)
        self.unsaved.clear()
        for found in (self.known, self.by_email):
            for key, contact_id in found.items():
                if contact_id in made:
                    found[key] = made[contact_id]  # type: ignore[index]
        for ids in (self.result.identified, self.result.qualified):
            replaced = {made.get(c, c) for c in ids}
            ids.clear()
            ids.update(replaced)
        for m in self.messages:
            if m.contact_id in made:
                m.contact_id = made[m.contact_id]

    def evidence(self, m: Message) -> Evidence:
        ip = m.context.get("ip")
        return Evidence(via=self.via, api_key=self.sent_with, ip=ip if isinstance(ip, str) else "", page=m.url)

    def suspect(self, one: int, other: int, reason: str) -> None:
        suspected_duplicate_record(contact_id=one, other_id=other, reason=reason)

    def link(self, kind: str, value: str, contact_id: int) -> None:
        self.known[(kind, value)] = contact_id
        self.pending.add((kind, value))

    def flush(self) -> None:
        """Write the batch's new and changed ids at once, and link anonymous histories.

        The batch's ids were all looked up first, under the locks that keep other requests from
        claiming the same new ids meanwhile (accord.tracking.locks), so whether each row exists
        is known. Should another writer have created one anyway, the id is kept where that writer
        put it when it is the same contact, and the batch starts over (`Clash`) when it is not.
        """
        self.materialize()
        new = sorted(k for k in self.pending if k not in self.stored)
        _identities_create([(k, v, self.known[(k, v)]) for k, v in new])
        _identities_move(sorted((k, v, self.known[(k, v)]) for k, v in self.pending if k in self.stored))
        by_anonymous = {v: self.known[(k, v)] for k, v in self.pending if k == ANON}
        self.result.relinked.update(_events_link(by_anonymous))
        self.stored.update(self.pending)
        self.user_ids.clear()
        self.pending.clear()

    def merge(self, one: int, other: int) -> int:
        self.flush()  # the merge re-points stored rows: store this batch's first
        self.emails.clear()
        self.rows.clear()
        older, newer = sorted(Contact.objects.filter(pk__in=[one, other]).order_by("created_at", "pk"), key=_age)
        kept = contact_merge(keep=older, drop=newer, acting_user=None)
        self.result.merged[newer.pk] = kept.pk
        for key, contact_id in self.known.items():
            if contact_id == newer.pk:
                self.known[key] = kept.pk
        for m in self.messages:
            if m.contact_id == newer.pk:
                m.contact_id = kept.pk
        self.result.identified.discard(newer.pk)
        self.result.qualified.discard(newer.pk)
        self.result.relinked.add(kept.pk)
        return kept.pk


def _age(contact: Contact) -> tuple[object, int]:
    return (contact.created_at, contact.pk)


def _load(keys: Iterable[Key]) -> dict[Key, int]:
    found: dict[Key, int] = {}
    wanted = sorted(set(keys))
    if not wanted:
        return found
    if connection.vendor == "postgresql":  # every kind in one query, two array parameters
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.kind, i.value, i.contact_id FROM tracking_identity i "
                "JOIN unnest(%s::varchar[], %s::varchar[]) AS k(kind, value) ON i.kind = k.kind AND i.value = k.value",
                [[kind for kind, _ in wanted], [value for _, value in wanted]],
            )
            found.update(((kind, value), contact_id) for kind, value, contact_id in cursor.fetchall())
        return found
    by_kind: dict[str, list[str]] = {}
    for kind, value in wanted:
        by_kind.setdefault(kind, []).append(value)
    for kind, values in by_kind.items():
        for start in range(0, len(values), 900):
            rows = Identity.objects.filter(kind=kind, value__in=values[start : start + 900]).values_list(
                "value", "contact_id"
            )
            found.update(((kind, value), contact_id) for value, contact_id in rows)
    return found


class Clash(Exception):
    """Another request gave an id of this batch to a different contact first: start the batch over."""


def _by_email(emails: set[str]) -> dict[str, int]:
    if not emails:
        return {}
    return {email or "": pk for email, pk in Contact.objects.filter(email__in=emails).values_list("email", "pk")}


def _identities_create(rows: list[tuple[str, str, int]]) -> None:
    """New Identity rows (kind, value, contact id), in one statement."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Identity.objects.bulk_create([Identity(kind=k, value=v, contact_id=c) for k, v, c in rows])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tracking_identity (kind, value, contact_id, first_seen_at)"
            " SELECT k, v, c, %s FROM unnest(%s::varchar[], %s::varchar[], %s::bigint[]) AS t(k, v, c)"
            " ON CONFLICT (kind, value) DO NOTHING RETURNING kind, value",
            [clock.now(), [k for k, _, _ in rows], [v for _, v, _ in rows], [c for _, _, c in rows]],
        )
        written = set(cursor.fetchall())
    lost = [(k, v, c) for k, v, c in rows if (k, v) not in written]
    if lost:
        winners = _load((k, v) for k, v, _ in lost)
        if any(winners.get((k, v)) != c for k, v, c in lost):
            raise Clash(f"{len(lost)} ids of this batch were given to a contact by another request meanwhile")


def _identities_move(rows: list[tuple[str, str, int]]) -> None:
    """Point existing Identity rows (kind, value) at another contact, in one statement."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        for kind, value, contact_id in rows:
            Identity.objects.filter(kind=kind, value=value).update(contact_id=contact_id)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tracking_identity AS i SET contact_id = t.c"
            " FROM unnest(%s::varchar[], %s::varchar[], %s::bigint[]) AS t(k, v, c)"
            " WHERE i.kind = t.k AND i.value = t.v",
            [[k for k, _, _ in rows], [v for _, v, _ in rows], [c for _, _, c in rows]],
        )


def _events_link(by_anonymous: dict[str, int]) -> set[int]:
    """Give the stored events of each anonymous id that no contact has yet to its contact; the
    contacts that gained any."""
    if not by_anonymous:
        return set()
    if connection.vendor != "postgresql":
        by_contact: dict[int, list[str]] = {}
        for value, contact_id in by_anonymous.items():
            by_contact.setdefault(contact_id, []).append(value)
        return {
            contact_id
            for contact_id, values in sorted(by_contact.items())
            if Event.objects.filter(anonymous_id__in=values, contact__isnull=True).update(contact_id=contact_id)
        }
    values = sorted(by_anonymous)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tracking_event AS e SET contact_id = t.c"
            " FROM unnest(%s::varchar[], %s::bigint[]) AS t(v, c)"
            " WHERE e.contact_id IS NULL AND e.anonymous_id = ANY(%s) AND e.anonymous_id = t.v"
            " RETURNING e.contact_id",
            [values, [by_anonymous[v] for v in values], values],
        )
        return {row[0] for row in cursor.fetchall()}


def _accounts_by_domain(domains: set[str]) -> dict[str, int]:
    """Accounts by domain, for the domains exactly one account has."""
    if not domains:
        return {}
    found: dict[str, list[int]] = {}
    for domain, pk in Account.objects.filter(domain__in=domains).values_list("domain", "pk"):
        found.setdefault(domain, []).append(pk)
    return {domain: pks[0] for domain, pks in found.items() if len(pks) == 1}


def resolve(messages: list[Message], *, trust: Trust = Trust.SERVER, sent_with: str = "") -> Resolution:
    """Set `contact_id` on every message whose sender is known, creating, linking and merging
    contacts as identify and alias calls say (as far as `trust` allows). Runs inside the caller's
    transaction."""
    return _Resolver(messages, trust, sent_with).run()
