"""Pure rules about contact data: email and domain normalisation, duplicate keys, merging fields."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import idna

# Mailbox providers whose domain says nothing about the company a person works for.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
    }
)

_LOCAL_ASCII = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")


def _ascii_host(host: str) -> str:
    """A host name in its ASCII form: internationalised labels as punycode (IDNA 2008 with UTS 46,
    which also lower-cases); ValueError when it cannot be one."""
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValueError(f"{host!r} is not a valid domain") from None


def _local_part_ok(local: str) -> bool:
    """An address's local part: the usual ASCII characters, or any letter, mark, number, punctuation
    or symbol beyond ASCII (RFC 6531) — no spaces, controls or separators, no empty dot-parts."""
    if not local or len(local.encode()) > 64 or local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    if local.isascii():
        return bool(_LOCAL_ASCII.match(local))
    return all(
        _LOCAL_ASCII.match(ch) if ch.isascii() else unicodedata.category(ch)[0] not in ("C", "Z") for ch in local
    )


def normalize_email(raw: str | None) -> str | None:
    """Trimmed, lower-cased email with its domain in ASCII (punycode) form; None for empty input;
    ValueError when it is not an email.

    Internationalised addresses are accepted: `José@Exämple.com` is kept as
    `josé@xn--exmple-cua.com`, the form its punycode spelling also normalises to, so the two find
    the same contact. The local part is kept in Unicode (NFC), lower-cased.
    """
    if raw is None:
        return None
    text = unicodedata.normalize("NFC", raw.strip())
    if not text:
        return None
    local, at, host = text.rpartition("@")
    try:
        domain = _ascii_host(host) if at and host else ""
    except ValueError:
        domain = ""
    local = local.lower()
    email = f"{local}@{domain}"
    if not domain or not _DOMAIN.match(domain) or not _local_part_ok(local) or len(email) > 254:
        raise ValueError(f"{raw[:254]!r} is not a valid email address")
    return email


def normalize_domain(raw: str | None) -> str:
    """'https://www.Example.com/about' -> 'example.com'; '' for empty; ValueError when invalid.
    Internationalised domains are kept in their ASCII (punycode) form."""
    if not raw:
        return ""
    domain = unicodedata.normalize("NFC", raw.strip())
    for prefix in ("https://", "http://", "HTTPS://", "HTTP://"):
        if domain.lower().startswith(prefix.lower()):
            domain = domain[len(prefix) :]
            break
    domain = domain.split("/", 1)[0].split(":", 1)[0]
    if domain.lower().startswith("www."):
        domain = domain[4:]
    if not domain:
        return ""
    try:
        domain = _ascii_host(domain)
    except ValueError:
        raise ValueError(f"{raw[:253]!r} is not a valid domain") from None
    if not _DOMAIN.match(domain):
        raise ValueError(f"{raw[:253]!r} is not a valid domain")
    return domain


def email_domain(email: str | None) -> str:
    return email.rpartition("@")[2] if email else ""


def company_domain(email: str | None) -> str:
    """The email's domain when it names a company (not a free mailbox), else ''."""
    domain = email_domain(email)
    return "" if domain in FREE_MAIL_DOMAINS else domain


def canonical_email(email: str | None) -> str:
    """The mailbox an address delivers to, for spotting duplicates: drops +tags (and dots at Gmail)."""
    if not email:
        return ""
    local, _, domain = email.partition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


# The fields a person or an integration may set on a contact (the API's ContactFieldsIn).
EDITABLE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "phone",
    "country",
    "account_id",
    "owner_id",
    "consent",
    "hubspot_id",
    "salesforce_lead_id",
    "salesforce_contact_id",
    "properties",
)
# The single-valued ones a merge fills in, with the consent's date; properties merge key by key.
MERGEABLE_FIELDS = (*(name for name in EDITABLE_FIELDS if name != "properties"), "consent_at")


def merged_fields(keep: Mapping[str, Any], drop: Mapping[str, Any]) -> dict[str, Any]:
    """Fields the kept contact takes from the dropped one: only those it lacks. The kept one wins."""
    taken: dict[str, Any] = {}
    for name in MERGEABLE_FIELDS:
        if keep.get(name) in (None, "") and drop.get(name) not in (None, ""):
            taken[name] = drop[name]
    properties = {**dict(drop.get("properties") or {}), **dict(keep.get("properties") or {})}
    if properties != (keep.get("properties") or {}):
        taken["properties"] = properties
    return taken


class ConsentSource(enum.StrEnum):
    PERSON = "person"  # a signed-in user, or an integration through the API, edited the contact
    BROWSER = "browser"  # the person themself, on a form or through the snippet (a browser key)
    SERVER = "server"  # the company's own systems, through a server key
    IMPORT = "import"  # a contacts import


class SourceOrigin(enum.StrEnum):
    TRACKED = "tracked"  # Accord saw the first visit or form
    IMPORTED = "imported"  # the first-touch source came with a CRM export
    NONE = ""  # no source known

    @classmethod
    def of(cls, *, first_source: str, first_seen_at: object) -> SourceOrigin:
        """Tracking sets the first touch together with when it was seen; an import sets only the source."""
        if first_seen_at is not None:
            return cls.TRACKED
        return cls.IMPORTED if first_source else cls.NONE


class PropertyObject(enum.StrEnum):
    CONTACT = "contact"  # Contact.properties
    ACCOUNT = "account"  # Account.properties


class PropertyType(enum.StrEnum):
    TEXT = "text"  # kept as written
    NUMBER = "number"  # stored as a JSON number: compared with gt / lt / between
    DATE = "date"  # stored as an ISO date (YYYY-MM-DD) or time, which compares in order
    BOOLEAN = "boolean"  # stored as true / false


def browser_fill(current: Mapping[str, Any], submitted: Mapping[str, Any]) -> dict[str, Any]:
    """What a browser key's submission may change on a contact: the fields it has empty, and a
    consent withdrawal (consent given only where it was never asked). What people, imports and
    servers recorded stays as it is."""
    taken = {k: v for k, v in submitted.items() if k not in ("consent", "consent_at") and current.get(k) in (None, "")}
    consent = submitted.get("consent")
    if consent is False and current.get("consent") is not False:
        taken["consent"] = False
    elif consent is True and current.get("consent") is None:
        taken["consent"] = True
    if "consent" in taken and "consent_at" in submitted:
        taken["consent_at"] = submitted["consent_at"]
    return taken


def suppression_digest(email: str, key: str) -> str:
    """The keyed hash an erased address is kept as: HMAC-SHA256 of its normalised form. Without the
    key it cannot be checked against a list of addresses."""
    return hmac.new(key.encode(), email.encode(), hashlib.sha256).hexdigest()
