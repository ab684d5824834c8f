"""Pure rules about contact data: email and domain normalisation, duplicate keys, merging fields."""

from __future__ import annotations

import decimal
import enum
import hashlib
import hmac
import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import idna

from accord.core.errors import InvalidInput
from accord.core.text import MAX_ID, problem, text_problem

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


# --------------------------------------------------------------------------- checking fields

SENIORITIES = ["individual", "manager", "director", "vp", "c_level"]
Known = Callable[[str, int], bool]  # (field, id) -> whether the account or user it names exists


ACCOUNT_FIELDS = (
    "name",
    "domain",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "owner_id",
    "hubspot_company_id",
    "salesforce_account_id",
    "properties",
)
_TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "title": 200,
    "phone": 40,
    "name": 200,
    "industry": 100,
    "hubspot_id": 64,
    "salesforce_lead_id": 18,
    "salesforce_contact_id": 18,
    "hubspot_company_id": 64,
    "salesforce_account_id": 18,
}
MAX_PROPERTIES_BYTES = 16_384
MAX_EMPLOYEES = 2**31 - 1  # PostgreSQL's integer


def _storable_number(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**64
    return True


class _Cleaner:
    """Checks fields one by one, collecting every (field, message)."""

    def __init__(self, data: Mapping[str, Any], allowed: tuple[str, ...], known: Known) -> None:
        self.known = known
        self.errors: list[tuple[str, str]] = []
        self.values: dict[str, Any] = {}
        for key in data:
            if key not in allowed:
                self.errors.append((key, f"unknown field {key!r}"))
        self.data = {k: v for k, v in data.items() if k in allowed}

    def fail(self, name: str, message: str) -> None:
        self.errors.append((name, message))

    def text(self, name: str, *, required: bool = False, nullable: bool = False) -> None:
        if name not in self.data:
            return
        value = self.data[name]
        if value is None:
            if required:
                self.fail(name, "is required")
            else:
                self.values[name] = None if nullable else ""
            return
        if not isinstance(value, str):
            self.fail(name, f"must be text, not {type(value).__name__}")
            return
        value = value.strip()
        found = text_problem(value)
        if found is not None:
            self.fail(name, found)
        elif required and not value:
            self.fail(name, "must not be empty")
        elif len(value) > _TEXT_LIMITS.get(name, 200):
            self.fail(name, f"must be at most {_TEXT_LIMITS.get(name, 200)} characters")
        else:
            self.values[name] = value or (None if nullable else "")

    def normalized(self, name: str, normalize: Callable[[str | None], str | None]) -> None:
        """Text (or null) that `normalize` turns into its stored form, or refuses with a message."""
        if name not in self.data:
            return
        raw = self.data[name]
        if raw is not None and not isinstance(raw, str):
            self.fail(name, "must be text")
            return
        try:
            self.values[name] = normalize(raw)
        except ValueError as exc:
            self.fail(name, str(exc))

    def user(self, name: str) -> None:
        if name not in self.data:
            return
        value = self.data[name]
        if value is None:
            self.values[name] = None
        elif isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "must be a user id")
        elif not 1 <= value <= MAX_ID or not self.known(name, value):
            self.fail(name, f"no active user with id {value}")
        else:
            self.values[name] = value

    def country(self) -> None:
        if "country" not in self.data:
            return
        value = self.data["country"]
        if value in (None, ""):
            self.values["country"] = ""
        elif not isinstance(value, str) or len(value.strip()) != 2 or not value.strip().isalpha():
            self.fail("country", "must be a two-letter ISO country code such as US or DE")
        else:
            self.values["country"] = value.strip().upper()

    def properties(self) -> None:
        if "properties" not in self.data:
            return
        value = self.data["properties"]
        if value is None:
            self.values["properties"] = {}
            return
        if not isinstance(value, Mapping):
            self.fail("properties", "must be a mapping of names to values")
            return
        for key, item in value.items():
            if not isinstance(key, str) or not key or len(key) > 100:
                self.fail("properties", f"property names must be text of 1 to 100 characters, not {key!r}")
                return
            if not (item is None or isinstance(item, (str, int, float, bool))):
                self.fail(f"properties.{key}", "must be text, a number, true/false or null")
                return
            # The flat case of core.text.problem, item by item: imports send hundreds of properties.
            if (isinstance(item, str) and text_problem(item)) or text_problem(key) or not _storable_number(item):
                found = problem({key: item}, "properties")
                self.fail("properties", (found or "").removeprefix("properties: "))
                return
        if len(json.dumps(value)) > MAX_PROPERTIES_BYTES:
            self.fail("properties", f"must be at most {MAX_PROPERTIES_BYTES} bytes as JSON")
            return
        self.values["properties"] = dict(value)

    def raise_if_invalid(self) -> None:
        if self.errors:
            path, message = self.errors[0]
            raise InvalidInput(f"{path}: {message}", field=path, errors=self.errors)


def contact_fields_clean(data: Mapping[str, Any], *, known: Known) -> dict[str, Any]:
    """A contact's fields as the API, the pages and imports accept them: normalised values, or
    InvalidInput with every (field, message). `known(field, id)` says whether the account or
    owner an id names exists (the caller looks)."""
    c = _Cleaner(data, EDITABLE_FIELDS, known)
    c.normalized("email", normalize_email)
    for name in ("first_name", "last_name", "title", "phone"):
        c.text(name)
    for name in ("hubspot_id", "salesforce_lead_id", "salesforce_contact_id"):
        c.text(name, nullable=True)
    if "seniority" in c.data:
        value = c.data["seniority"]
        if value in (None, ""):
            c.values["seniority"] = ""
        elif value not in SENIORITIES:
            c.fail("seniority", f"must be one of {', '.join(SENIORITIES)}")
        else:
            c.values["seniority"] = value
    c.country()
    if "account_id" in c.data:
        value = c.data["account_id"]
        if value is None:
            c.values["account_id"] = None
        elif isinstance(value, bool) or not isinstance(value, int):
            c.fail("account_id", "must be an account id")
        elif not 1 <= value <= MAX_ID or not c.known("account_id", value):
            c.fail("account_id", f"no account with id {value}")
        else:
            c.values["account_id"] = value
    c.user("owner_id")
    if "consent" in c.data:
        value = c.data["consent"]
        if value is not None and not isinstance(value, bool):
            c.fail("consent", "must be true, false or null")
        else:
            c.values["consent"] = value
    c.properties()
    c.raise_if_invalid()
    return c.values


def account_fields_clean(data: Mapping[str, Any], *, creating: bool, known: Known) -> dict[str, Any]:
    """An account's fields as the API, the pages and imports accept them (`creating`: the name is
    required); InvalidInput with every (field, message) otherwise. `known` as for contacts."""
    c = _Cleaner(data, ACCOUNT_FIELDS, known)
    if creating and "name" not in c.data:
        c.fail("name", "is required")
    c.text("name", required=True)
    c.text("industry")
    c.normalized("domain", normalize_domain)
    if "employees" in c.data:
        value = c.data["employees"]
        if value is None:
            c.values["employees"] = None
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EMPLOYEES:
            c.fail("employees", f"must be a whole number from 0 to {MAX_EMPLOYEES:,}")
        else:
            c.values["employees"] = value
    if "annual_revenue" in c.data:
        value = c.data["annual_revenue"]
        if value is None:
            c.values["annual_revenue"] = None
        else:
            try:
                if isinstance(value, bool):
                    raise decimal.InvalidOperation
                amount = decimal.Decimal(str(value))
                if not amount.is_finite() or amount < 0 or amount >= 10**14:
                    raise decimal.InvalidOperation
                c.values["annual_revenue"] = amount.quantize(decimal.Decimal("0.01"))
            except decimal.InvalidOperation:
                c.fail("annual_revenue", "must be an amount of at least 0")
    c.country()
    c.user("owner_id")
    for name in ("hubspot_company_id", "salesforce_account_id"):
        c.text(name, nullable=True)
    c.properties()
    c.raise_if_invalid()
    return c.values
