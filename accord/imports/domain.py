"""Pure rules of imports: file formats and their columns, format detection, reading one contact
row into Accord's fields, and preparing a Segment message from an export for ingest.

No Django, no I/O: the actions read the file and write; this module only turns text into values
or into problems (`line N: field: message`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.contacts.domain import normalize_domain
from accord.tracking.domain import Rejected, corrected, parse_time

DEFAULT_BATCH_SIZE = 500
HEAD_BYTES = 64 * 1024  # a file is known by its path, its size and the SHA-256 of its first 64 KB
MAX_ATTRIBUTION_LENGTH = 255  # Contact.first_source / first_medium / first_campaign
MAX_PROPERTY_NAME = 100


class ImportKind(enum.StrEnum):
    CONTACTS = "contacts"  # a CSV file of contacts, upserted by email or CRM id
    EVENTS = "events"  # a JSON Lines file of Segment messages, handed to ingest


class ContactFormat(enum.StrEnum):
    ACCORD = "accord"  # columns named like Accord's contact fields
    HUBSPOT = "hubspot"  # HubSpot's contact export
    SALESFORCE = "salesforce"  # a Salesforce lead or contact export: report labels or API names


EVENTS_FORMAT = "segment"  # the only events format: one Segment message per line


class RunStatus(enum.StrEnum):
    RUNNING = "running"  # started, or stopped part-way (a crash, Ctrl+C): the same command resumes it
    FINISHED = "finished"  # every line was read; the counts are final
    ABANDONED = "abandoned"  # stopped part-way and replaced by a run started with --restart


# Where a column's value goes. Contact fields by name; "account.<field>" for the contact's
# account; "properties.<name>" for a custom property; and a few that need translating.
CONTACT_TARGETS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "phone",
    "country",
    "consent",
    "hubspot_id",
    "salesforce_id",
)
ATTRIBUTION_TARGETS = ("first_source", "first_medium", "first_campaign")
MOBILE = "mobile_phone"  # the phone when the file has no other phone for the person
OWNER = "owner"  # a user, by email (or by name in CRM exports)
LIFECYCLE = "properties.hubspot_lifecycle_stage"  # recorded, never used to move a stage
IDENTITY_TARGETS = ("email", "hubspot_id", "salesforce_id")

_ACCORD_COLUMNS: dict[str, str] = {
    **{name: name for name in (*CONTACT_TARGETS, *ATTRIBUTION_TARGETS, OWNER)},
    "company": "account.name",
    "domain": "account.domain",
    "industry": "account.industry",
    "employees": "account.employees",
    "annual_revenue": "account.annual_revenue",
}

# HubSpot's contact export ("Export" on the contacts index): the properties' labels.
_HUBSPOT_COLUMNS: dict[str, str] = {
    "record id": "hubspot_id",
    "contact id": "hubspot_id",  # older exports
    "email": "email",
    "first name": "first_name",
    "last name": "last_name",
    "job title": "title",
    "phone number": "phone",
    "mobile phone number": MOBILE,
    "country/region": "country",
    "country": "country",
    "company name": "account.name",
    "website url": "account.domain",
    "industry": "account.industry",
    "number of employees": "account.employees",
    "annual revenue": "account.annual_revenue",
    "contact owner": OWNER,
    "original source": "first_source",
    "lifecycle stage": LIFECYCLE,
}

# Salesforce: report exports use field labels ("Lead ID", "No. of Employees"); Data Loader and
# the API use field names ("Id", "NumberOfEmployees"). Leads and contacts both.
_SALESFORCE_COLUMNS: dict[str, str] = {
    "lead id": "salesforce_id",
    "contact id": "salesforce_id",
    "id": "salesforce_id",
    "first name": "first_name",
    "firstname": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "email": "email",
    "title": "title",
    "phone": "phone",
    "business phone": "phone",
    "mobile": MOBILE,
    "mobile phone": MOBILE,
    "mobilephone": MOBILE,
    "company": "account.name",
    "company / account": "account.name",
    "account name": "account.name",
    "account": "account.name",
    "website": "account.domain",
    "industry": "account.industry",
    "no. of employees": "account.employees",
    "employees": "account.employees",
    "numberofemployees": "account.employees",
    "annual revenue": "account.annual_revenue",
    "annualrevenue": "account.annual_revenue",
    "country": "country",
    "mailing country": "country",
    "mailingcountry": "country",
    "lead source": "first_source",
    "leadsource": "first_source",
    "lead status": "properties.lead_status",
    "status": "properties.lead_status",
    "owner": OWNER,
    "lead owner": OWNER,
    "contact owner": OWNER,
    "owner name": OWNER,
    "owner full name": OWNER,
}

COLUMNS: dict[ContactFormat, dict[str, str]] = {
    ContactFormat.ACCORD: _ACCORD_COLUMNS,
    ContactFormat.HUBSPOT: _HUBSPOT_COLUMNS,
    ContactFormat.SALESFORCE: _SALESFORCE_COLUMNS,
}

# Column names that say which export a file is: found in one format's table only, or written
# the way only that system writes them.
_MARKERS: dict[ContactFormat, frozenset[str]] = {
    ContactFormat.ACCORD: frozenset(
        {"first_name", "last_name", "hubspot_id", "salesforce_id", "domain", "seniority", "consent", "first_source"}
    ),
    ContactFormat.HUBSPOT: frozenset(
        {
            "record id",
            "lifecycle stage",
            "country/region",
            "original source",
            "original source drill-down 1",
            "original source drill-down 2",
            "marketing contact status",
            "phone number",
            "mobile phone number",
            "job title",
            "company name",
            "create date",
            "associated company",
            "website url",
        }
    ),
    ContactFormat.SALESFORCE: frozenset(
        {
            "lead id",
            "id",
            "firstname",
            "lastname",
            "lead source",
            "leadsource",
            "no. of employees",
            "numberofemployees",
            "annualrevenue",
            "mailing country",
            "mailingcountry",
            "company / account",
            "account name",
            "lead owner",
            "lead status",
            "mobile",
            "mobilephone",
            "account id",
            "accountid",
            "ownerid",
        }
    ),
}

# The ISO 3166-1 alpha-2 code of the country names CRMs export most, in English and as written
# locally. A name not listed here is kept as a custom property.
COUNTRY_CODES: dict[str, str] = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "canada": "CA",
    "mexico": "MX",
    "méxico": "MX",
    "brazil": "BR",
    "brasil": "BR",
    "argentina": "AR",
    "chile": "CL",
    "colombia": "CO",
    "peru": "PE",
    "united kingdom": "GB",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "ireland": "IE",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "spain": "ES",
    "españa": "ES",
    "portugal": "PT",
    "italy": "IT",
    "italia": "IT",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "nederland": "NL",
    "belgium": "BE",
    "luxembourg": "LU",
    "switzerland": "CH",
    "schweiz": "CH",
    "suisse": "CH",
    "austria": "AT",
    "österreich": "AT",
    "denmark": "DK",
    "sweden": "SE",
    "norway": "NO",
    "finland": "FI",
    "iceland": "IS",
    "poland": "PL",
    "czech republic": "CZ",
    "czechia": "CZ",
    "slovakia": "SK",
    "hungary": "HU",
    "romania": "RO",
    "bulgaria": "BG",
    "greece": "GR",
    "croatia": "HR",
    "slovenia": "SI",
    "serbia": "RS",
    "estonia": "EE",
    "latvia": "LV",
    "lithuania": "LT",
    "ukraine": "UA",
    "russia": "RU",
    "russian federation": "RU",
    "turkey": "TR",
    "türkiye": "TR",
    "israel": "IL",
    "united arab emirates": "AE",
    "uae": "AE",
    "saudi arabia": "SA",
    "qatar": "QA",
    "egypt": "EG",
    "morocco": "MA",
    "nigeria": "NG",
    "kenya": "KE",
    "south africa": "ZA",
    "india": "IN",
    "pakistan": "PK",
    "bangladesh": "BD",
    "china": "CN",
    "people's republic of china": "CN",
    "hong kong": "HK",
    "taiwan": "TW",
    "japan": "JP",
    "south korea": "KR",
    "korea, republic of": "KR",
    "republic of korea": "KR",
    "singapore": "SG",
    "malaysia": "MY",
    "indonesia": "ID",
    "thailand": "TH",
    "vietnam": "VN",
    "viet nam": "VN",
    "philippines": "PH",
    "australia": "AU",
    "new zealand": "NZ",
}

# HubSpot's lifecycle stages by internal name; exports may carry the label instead.
HUBSPOT_LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)

_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})
_SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_SALESFORCE_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_CURRENCY = re.compile(r"^(?:[A-Z]{3}\s*)?[$€£¥]?\s*(.*?)\s*(?:[A-Z]{3})?$")
_NOT_A_NAME = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a line was not imported: `line N: field: message`. `field` names the file's column;
    it is empty for an event line, whose message names the field itself."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}" if self.field else f"line {self.line}: {self.message}"


class HeaderError(ValueError):
    """The header row cannot be used: the file cannot be imported at all."""


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    header: str  # as written in the file
    target: str


@dataclass(frozen=True, slots=True)
class Layout:
    """How a file's columns map onto Accord: one entry per column that is kept."""

    format: ContactFormat
    columns: tuple[Column, ...]
    width: int  # cells in the header row

    def header_of(self, target: str) -> str | None:
        for column in self.columns:
            if column.target == target:
                return column.header
        return None


@dataclass(slots=True)
class ContactRow:
    """One data row, read: the values as Accord will validate them, with empty cells left out."""

    line: int
    contact: dict[str, Any] = field(default_factory=dict)  # contact fields, as contacts.actions validates them
    attribution: dict[str, str] = field(default_factory=dict)  # first_source / first_medium / first_campaign
    account: dict[str, Any] = field(default_factory=dict)  # name, domain, industry, employees, annual_revenue
    owner: str = ""  # as written
    columns: dict[str, str] = field(default_factory=dict)  # Accord field → the file's column, for messages
    problems: list[Problem] = field(default_factory=list)

    def fail(self, target: str, message: str) -> None:
        self.problems.append(Problem(self.line, self.columns.get(target, target), message))


def header_key(header: str) -> str:
    """How a column name is compared: trimmed, case-folded, inner spaces collapsed."""
    return " ".join(header.split()).casefold()


def property_name(header: str, fmt: ContactFormat) -> str:
    """The custom property an unmapped column becomes: as written for Accord's own format,
    snake_case for CRM exports ("Original Source Drill-Down 1" → original_source_drill_down_1)."""
    if fmt is ContactFormat.ACCORD:
        return header.strip()[:MAX_PROPERTY_NAME]
    name = _NOT_A_NAME.sub("_", header.casefold()).strip("_")
    return (name or "column")[:MAX_PROPERTY_NAME]


def detect_format(header: Sequence[str]) -> tuple[ContactFormat, tuple[str, ...]]:
    """The format whose own column names the header uses most, with those columns as the reason.

    A tie (or a header of only common names such as Email) is read as Accord's own format.
    """
    best = ContactFormat.ACCORD
    best_columns: tuple[str, ...] = ()
    for fmt in (ContactFormat.ACCORD, ContactFormat.HUBSPOT, ContactFormat.SALESFORCE):
        found = tuple(name.strip() for name in header if header_key(name) in _MARKERS[fmt])
        if len(found) > len(best_columns):
            best, best_columns = fmt, found
    return best, best_columns


def contact_layout(header: Sequence[str], fmt: ContactFormat) -> Layout:
    """Map each column of the header onto a target; HeaderError when the header is unusable."""
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        key = header_key(name)
        if not key:
            continue
        if key in seen:
            raise HeaderError(f"the column {name.strip()!r} appears twice (columns {seen[key]} and {number})")
        seen[key] = number
    table = COLUMNS[fmt]
    columns: list[Column] = []
    taken: set[str] = set()
    for index, name in enumerate(header):
        key = header_key(name)
        if not key:
            continue  # an unnamed column (a trailing comma) holds nothing Accord can name
        target = table.get(key)
        if target is None or target in taken:
            target = f"properties.{property_name(name, fmt)}"
            if target in taken:
                raise HeaderError(f"the columns {name.strip()!r} and another both become property {target[11:]!r}")
        taken.add(target)
        columns.append(Column(index=index, header=name.strip(), target=target))
    if not taken.intersection(IDENTITY_TARGETS):
        wanted = {
            ContactFormat.ACCORD: "email, hubspot_id or salesforce_id",
            ContactFormat.HUBSPOT: "Email or Record ID",
            ContactFormat.SALESFORCE: "Email, Lead ID, Contact ID or Id",
        }[fmt]
        raise HeaderError(f"the header has no column that identifies a contact ({wanted}) for the {fmt} format")
    return Layout(format=fmt, columns=tuple(columns), width=len(header))


def country_code(value: str) -> str | None:
    """A two-letter code for a country name or code as CRMs export it; None when not recognised."""
    text = " ".join(value.split()).casefold()
    if text in COUNTRY_CODES:
        return COUNTRY_CODES[text]
    if len(text) == 2 and text.isalpha() and text.isascii():
        return text.upper()
    return None


def salesforce_id18(value: str) -> str | None:
    """The 18-character, case-safe form of a 15- or 18-character Salesforce id; None otherwise."""
    if not _SALESFORCE_ID.match(value):
        return None
    if len(value) == 18:
        return value
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(value[start : start + 5]) if "A" <= char <= "Z")
        suffix += _SALESFORCE_SUFFIX[bits]
    return value + suffix


def salesforce_id_forms(value: str) -> tuple[str, ...]:
    """The ways a Salesforce id may be stored: its 18-character form and its 15-character form."""
    return (value, value[:15]) if len(value) == 18 and _SALESFORCE_ID.match(value) else (value,)


def hubspot_lifecycle_stage(value: str) -> str:
    """HubSpot's internal name of a lifecycle stage ("Marketing Qualified Lead" → marketingqualifiedlead);
    a custom stage is kept as written."""
    name = _NOT_A_NAME.sub("", value.casefold())
    return name if name in HUBSPOT_LIFECYCLE_STAGES else value


def parse_bool(value: str) -> bool | None:
    text = value.strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def parse_whole_number(value: str) -> int | None:
    """'1,200' → 1200, '1200.0' → 1200; None when it is not a whole number."""
    text = value.strip().replace(",", "").replace("_", "").replace(" ", "")
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def parse_amount(value: str) -> str | None:
    """'$1,200,000.00' or 'EUR 5000' → '1200000.00' / '5000'; None when it is not an amount."""
    match = _CURRENCY.match(value.strip())
    text = (match.group(1) if match else value).replace(",", "").replace(" ", "")
    try:
        amount = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    return text if amount.is_finite() else None


def read_contact_row(cells: Sequence[str], layout: Layout, line: int) -> ContactRow:
    """Turn one row's cells into values. Empty cells are left out, so they never clear a field.

    Problems found here (a consent that is not yes/no, a number that is not one) are on
    `row.problems`; the fields themselves are validated afterwards as contacts.actions does.
    """
    row = ContactRow(line=line)
    crm = layout.format is not ContactFormat.ACCORD
    properties: dict[str, Any] = {}
    mobile = ""
    for column in layout.columns:
        row.columns[column.target] = column.header
        value = cells[column.index].strip()
        if not value:
            continue
        target = column.target
        if target == "email":
            row.contact["email"] = value
        elif target == "consent":
            consent = parse_bool(value)
            if consent is None:
                row.fail(target, f"must be true or false (yes/no, 1/0), not {value!r}")
            else:
                row.contact["consent"] = consent
        elif target == "country":
            code = country_code(value) if crm else value
            if code is None:
                properties[property_name(column.header, layout.format)] = value
            else:
                row.contact["country"] = code
        elif target == "salesforce_id":
            long_form = salesforce_id18(value)
            if long_form is not None:
                row.contact["salesforce_id"] = long_form
            elif crm:
                row.fail(target, f"{value!r} is not a 15- or 18-character Salesforce id")
            else:
                row.contact["salesforce_id"] = value
        elif target in CONTACT_TARGETS:
            row.contact[target] = value
        elif target == MOBILE:
            mobile = value
        elif target in ATTRIBUTION_TARGETS:
            if len(value) > MAX_ATTRIBUTION_LENGTH:
                row.fail(target, f"must be at most {MAX_ATTRIBUTION_LENGTH} characters")
            else:
                row.attribution[target] = value
        elif target == OWNER:
            row.owner = value
        elif target == "account.employees":
            employees = parse_whole_number(value)
            if employees is None:
                row.fail(target, f"must be a whole number, not {value!r}")
            else:
                row.account["employees"] = employees
        elif target == "account.annual_revenue":
            amount = parse_amount(value)
            if amount is None:
                row.fail(target, f"must be an amount, not {value!r}")
            else:
                row.account["annual_revenue"] = amount
        elif target == "account.domain":
            try:
                row.account["domain"] = normalize_domain(value)
            except ValueError as exc:
                row.fail(target, str(exc))
        elif target.startswith("account."):
            row.account[target[8:]] = value
        elif target == LIFECYCLE:
            properties[target[11:]] = hubspot_lifecycle_stage(value)
        else:
            properties[target[11:]] = value
    if mobile:
        if "phone" in row.contact:
            properties[property_name(row.columns[MOBILE], layout.format)] = mobile
        else:
            row.contact["phone"] = mobile
            row.columns["phone"] = row.columns[MOBILE]
    if properties:
        row.contact["properties"] = properties
    return row


def head_digest(head: bytes) -> str:
    return hashlib.sha256(head[:HEAD_BYTES]).hexdigest()


# --- events -----------------------------------------------------------------------------------


def line_message_id(raw_line: bytes) -> str:
    """A stable message id for a line without one, so that importing a file twice stores it once."""
    return "import-" + hashlib.sha256(raw_line.strip()).hexdigest()[:32]


def prepare_message(message: Any, raw_line: bytes) -> Any:
    """A message from an export, made ready for ingest, which stamps it as received now.

    Ingest corrects a sender's clock with receivedAt − (sentAt − timestamp). For a message sent
    long ago that would move the event to today, so the correction is made here against the
    message's own `receivedAt` when the export kept it, and `sentAt` is dropped. A message
    without a messageId gets one derived from the line. Anything else is left for ingest to judge.
    """
    if not isinstance(message, dict):
        return message
    prepared = dict(message)
    if prepared.get("messageId") in (None, ""):
        prepared["messageId"] = line_message_id(raw_line)
    if prepared.get("sentAt") in (None, ""):
        prepared.pop("sentAt", None)
        return prepared
    try:
        sent_at = parse_time(prepared.get("sentAt"), "sentAt")
        received_at = parse_time(prepared.get("receivedAt"), "receivedAt")
        original = parse_time(prepared.get("timestamp", prepared.get("originalTimestamp")), "timestamp")
    except Rejected:
        return prepared  # ingest names the bad field
    del prepared["sentAt"]
    if received_at is not None and original is not None and sent_at is not None:
        prepared["timestamp"] = _iso(corrected(original, sent_at, received_at))
    return prepared


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
