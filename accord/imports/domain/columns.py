"""Columns: what each column of a HubSpot, Salesforce or Accord file holds, how a header is
read (labels compared without case or spacing, repeated labels kept apart, `Label - Object`
suffixes), which format a header is, and a person's own mapping (`Column=field`).

Targets are the names a column can be mapped to, the same in `--map`: a contact or account field,
`account.<field>` for a contact's company, `properties.<name>`, a few that need translating
(`opt_out`, `salesforce_id`, `became:<hubspot stage>`…) and `skip`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from accord.imports.domain.values import snake_name

MAX_PROPERTY_NAME = 100
SKIP = "skip"


class Format(enum.StrEnum):
    ACCORD = "accord"  # columns named like Accord's fields
    HUBSPOT = "hubspot"  # HubSpot's contacts or companies export: property labels or internal names
    SALESFORCE = "salesforce"  # a Salesforce report (field labels) or Data Loader file (API names)


class RecordObject(enum.StrEnum):
    CONTACT = "contact"  # one person per row
    ACCOUNT = "account"  # one company per row


# --- targets -------------------------------------------------------------------------------------

CONTACT_FIELDS = ("email", "first_name", "last_name", "title", "seniority", "phone", "country", "consent")
CONTACT_IDS = ("hubspot_id", "salesforce_lead_id", "salesforce_contact_id")
IDENTITY_TARGETS = ("email", *CONTACT_IDS)
ATTRIBUTION_TARGETS = (
    "first_source",
    "first_medium",
    "first_campaign",
    "first_offer",
    "last_source",
    "last_medium",
    "last_campaign",
    "last_offer",
)
ACCOUNT_FIELDS = ("name", "domain", "industry", "employees", "annual_revenue", "country")
ACCOUNT_IDS = ("hubspot_company_id", "salesforce_account_id")
MOBILE = "mobile_phone"  # the phone when the row has no other phone for the person
OPT_OUT = "opt_out"  # yes → consent false (unsubscribed, email opt-out, do not email); no → nothing
SALESFORCE_ID = "salesforce_id"  # a Salesforce id whose prefix says the object: 00Q lead, 003 contact
OWNER = "owner"  # a user by email or name
OWNER_ID = "owner_id"  # a user by the CRM's user id (HubSpot owner id, Salesforce 005…)
CREATED_AT = "created_at"  # the source system's create date
STAGE = "stage"  # an Accord stage key, as Accord's own export writes it
HUBSPOT_LIFECYCLE = "hubspot_lifecycle_stage"  # HubSpot's lifecycle stage: the current stage
LEAD_STATUS = "lead_status"  # Salesforce's lead status
CONVERTED_AT = "converted_at"  # Salesforce's lead conversion date
BECAME = "became:"  # became:<hubspot lifecycle stage>, the date it was entered

CONTACT_TARGETS: frozenset[str] = frozenset(
    {
        *CONTACT_FIELDS,
        *CONTACT_IDS,
        *ATTRIBUTION_TARGETS,
        MOBILE,
        OPT_OUT,
        SALESFORCE_ID,
        OWNER,
        OWNER_ID,
        CREATED_AT,
        STAGE,
        HUBSPOT_LIFECYCLE,
        LEAD_STATUS,
        CONVERTED_AT,
        *(f"account.{name}" for name in (*ACCOUNT_FIELDS, *ACCOUNT_IDS)),
        SKIP,
    }
)
ACCOUNT_TARGETS: frozenset[str] = frozenset(
    {*ACCOUNT_FIELDS, *ACCOUNT_IDS, SALESFORCE_ID, OWNER, OWNER_ID, CREATED_AT, SKIP}
)

HUBSPOT_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)


def known_target(target: str, record: RecordObject) -> bool:
    if target.startswith("properties.") and 0 < len(target) - 11 <= MAX_PROPERTY_NAME:
        return True
    if record is RecordObject.CONTACT and target.startswith(BECAME):
        return target[len(BECAME) :] in HUBSPOT_STAGES
    return target in (CONTACT_TARGETS if record is RecordObject.CONTACT else ACCOUNT_TARGETS)


# --- the tables ----------------------------------------------------------------------------------
# Keys are compared as header_key() writes them. Each table holds the current labels, the
# legacy ones and the internal (API) names.

_COMPUTED = ("fit score", "fit grade", "interest score", "quadrant", "persona")  # Accord's own, recomputed

_ACCORD_CONTACT: dict[str, str] = {
    **{name: name for name in (*CONTACT_FIELDS, *CONTACT_IDS, *ATTRIBUTION_TARGETS, OWNER, CREATED_AT, STAGE)},
    "salesforce_id": SALESFORCE_ID,
    "mobile_phone": MOBILE,
    "opt_out": OPT_OUT,
    "do not email": OPT_OUT,
    "do_not_email": OPT_OUT,
    "email opt out": OPT_OUT,
    "email_opt_out": OPT_OUT,
    "unsubscribed": OPT_OUT,
    "company": "account.name",
    "domain": "account.domain",
    "industry": "account.industry",
    "employees": "account.employees",
    "annual_revenue": "account.annual_revenue",
    "hubspot_company_id": "account.hubspot_company_id",
    "salesforce_account_id": "account.salesforce_account_id",
    **{name.replace(" ", "_"): SKIP for name in _COMPUTED},
    "updated_at": SKIP,
    "imported_at": SKIP,
    "first_seen_at": SKIP,
    "last_touch_at": SKIP,
    "last_seen_at": SKIP,
}

_ACCORD_ACCOUNT: dict[str, str] = {
    **{name: name for name in (*ACCOUNT_FIELDS, *ACCOUNT_IDS, OWNER, CREATED_AT)},
    "salesforce_id": SALESFORCE_ID,
    "company": "name",
    "updated_at": SKIP,
    "imported_at": SKIP,
    "contacts": SKIP,
}

_BECAME_LABELS = {
    "subscriber": ("became a subscriber date",),
    "lead": ("became a lead date",),
    "marketingqualifiedlead": ("became a marketing qualified lead date", "became an mql date"),
    "salesqualifiedlead": ("became a sales qualified lead date", "became an sql date"),
    "opportunity": ("became an opportunity date",),
    "customer": ("became a customer date",),
    "evangelist": ("became an evangelist date",),
    "other": ("became an other lifecycle date", "became an other date"),
}

_HUBSPOT_CONTACT: dict[str, str] = {
    "record id": "hubspot_id",
    "contact id": "hubspot_id",  # exports before 2023
    "contact record id": "hubspot_id",
    "hs_object_id": "hubspot_id",
    "vid": "hubspot_id",
    "email": "email",
    "email address": "email",
    "first name": "first_name",
    "firstname": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "job title": "title",
    "jobtitle": "title",
    "phone number": "phone",
    "phone": "phone",
    "mobile phone number": MOBILE,
    "mobilephone": MOBILE,
    "country/region": "country",
    "country": "country",
    "company name": "account.name",
    "company": "account.name",
    "associated company": "account.name",
    "website url": "account.domain",
    "website": "account.domain",
    "industry": "account.industry",
    "number of employees": "account.employees",
    "numemployees": "account.employees",
    "annual revenue": "account.annual_revenue",
    "annualrevenue": "account.annual_revenue",
    "associated company id": "account.hubspot_company_id",
    "associated company ids": "account.hubspot_company_id",
    "associated company ids (primary)": "account.hubspot_company_id",
    "primary associated company id": "account.hubspot_company_id",
    "associatedcompanyid": "account.hubspot_company_id",
    "contact owner": OWNER,
    "hubspot owner": OWNER,
    "owner": OWNER,
    "contact owner id": OWNER_ID,
    "hubspot owner id": OWNER_ID,
    "hubspot_owner_id": OWNER_ID,
    # HubSpot renamed "Original Source" to "Original Traffic Source" in 2024; both are in use.
    "original traffic source": "first_source",
    "original source": "first_source",
    "original source type": "first_source",
    "hs_analytics_source": "first_source",
    "original traffic source drill-down 1": "first_medium",
    "original source drill-down 1": "first_medium",
    "original source data 1": "first_medium",
    "hs_analytics_source_data_1": "first_medium",
    "original traffic source drill-down 2": "first_campaign",
    "original source drill-down 2": "first_campaign",
    "original source data 2": "first_campaign",
    "hs_analytics_source_data_2": "first_campaign",
    "latest traffic source": "last_source",
    "latest source": "last_source",
    "hs_latest_source": "last_source",
    "latest traffic source drill-down 1": "last_medium",
    "latest source drill-down 1": "last_medium",
    "latest source data 1": "last_medium",
    "hs_latest_source_data_1": "last_medium",
    "latest traffic source drill-down 2": "last_campaign",
    "latest source drill-down 2": "last_campaign",
    "latest source data 2": "last_campaign",
    "hs_latest_source_data_2": "last_campaign",
    "first conversion": "first_offer",
    "first_conversion_event_name": "first_offer",
    "recent conversion": "last_offer",
    "recent_conversion_event_name": "last_offer",
    "lifecycle stage": HUBSPOT_LIFECYCLE,
    "lifecyclestage": HUBSPOT_LIFECYCLE,
    "accord stage": STAGE,
    "create date": CREATED_AT,
    "createdate": CREATED_AT,
    "unsubscribed from all email": OPT_OUT,
    "opted out of all email": OPT_OUT,
    "hs_email_optout": OPT_OUT,
    "email opt out": OPT_OUT,
    "do not email": OPT_OUT,
    **{label: f"{BECAME}{stage}" for stage, labels in _BECAME_LABELS.items() for label in labels},
    **{f"hs_lifecyclestage_{stage}_date": f"{BECAME}{stage}" for stage in HUBSPOT_STAGES},
    **dict.fromkeys(_COMPUTED, SKIP),
}

_HUBSPOT_COMPANY: dict[str, str] = {
    "record id": "hubspot_company_id",
    "company id": "hubspot_company_id",
    "hs_object_id": "hubspot_company_id",
    "company name": "name",
    "name": "name",
    "company domain name": "domain",
    "domain": "domain",
    "website url": "domain",
    "website": "domain",
    "industry": "industry",
    "number of employees": "employees",
    "numberofemployees": "employees",
    "annual revenue": "annual_revenue",
    "annualrevenue": "annual_revenue",
    "country/region": "country",
    "country": "country",
    "company owner": OWNER,
    "hubspot owner": OWNER,
    "owner": OWNER,
    "company owner id": OWNER_ID,
    "hubspot owner id": OWNER_ID,
    "hubspot_owner_id": OWNER_ID,
    "create date": CREATED_AT,
    "createdate": CREATED_AT,
}

_SALESFORCE_CONTACT: dict[str, str] = {
    "id": SALESFORCE_ID,
    "lead id": SALESFORCE_ID,
    "contact id": SALESFORCE_ID,
    "record id": SALESFORCE_ID,
    "convertedcontactid": "salesforce_contact_id",
    "converted contact id": "salesforce_contact_id",
    "accountid": "account.salesforce_account_id",
    "account id": "account.salesforce_account_id",
    "convertedaccountid": "account.salesforce_account_id",
    "converted account id": "account.salesforce_account_id",
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
    "account.name": "account.name",
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
    "lead status": LEAD_STATUS,
    "status": LEAD_STATUS,
    "owner": OWNER,
    "lead owner": OWNER,
    "contact owner": OWNER,
    "owner name": OWNER,
    "owner full name": OWNER,
    "owner.name": OWNER,
    "owner email": OWNER,
    "owner.email": OWNER,
    "ownerid": OWNER_ID,
    "owner id": OWNER_ID,
    "created date": CREATED_AT,
    "createddate": CREATED_AT,
    "create date": CREATED_AT,
    "converted date": CONVERTED_AT,
    "converteddate": CONVERTED_AT,
    "email opt out": OPT_OUT,
    "hasoptedoutofemail": OPT_OUT,
    "do not email": OPT_OUT,
    "accord_stage__c": STAGE,
    "fit_score__c": SKIP,
    "fit_grade__c": SKIP,
    "interest_score__c": SKIP,
    "quadrant__c": SKIP,
}

_SALESFORCE_ACCOUNT: dict[str, str] = {
    "id": SALESFORCE_ID,
    "account id": SALESFORCE_ID,
    "name": "name",
    "account name": "name",
    "website": "domain",
    "industry": "industry",
    "employees": "employees",
    "numberofemployees": "employees",
    "annual revenue": "annual_revenue",
    "annualrevenue": "annual_revenue",
    "billing country": "country",
    "billingcountry": "country",
    "country": "country",
    "owner": OWNER,
    "account owner": OWNER,
    "owner name": OWNER,
    "owner.name": OWNER,
    "owner email": OWNER,
    "owner.email": OWNER,
    "ownerid": OWNER_ID,
    "owner id": OWNER_ID,
    "created date": CREATED_AT,
    "createddate": CREATED_AT,
}

TABLES: dict[tuple[Format, RecordObject], dict[str, str]] = {
    (Format.ACCORD, RecordObject.CONTACT): _ACCORD_CONTACT,
    (Format.ACCORD, RecordObject.ACCOUNT): _ACCORD_ACCOUNT,
    (Format.HUBSPOT, RecordObject.CONTACT): _HUBSPOT_CONTACT,
    (Format.HUBSPOT, RecordObject.ACCOUNT): _HUBSPOT_COMPANY,
    (Format.SALESFORCE, RecordObject.CONTACT): _SALESFORCE_CONTACT,
    (Format.SALESFORCE, RecordObject.ACCOUNT): _SALESFORCE_ACCOUNT,
}

# Column names that say which export a file is: used by one system only, or written the way
# only it writes them.
_MARKERS: dict[Format, frozenset[str]] = {
    Format.ACCORD: frozenset(
        {
            "first_name",
            "last_name",
            "hubspot_id",
            "salesforce_id",
            "salesforce_lead_id",
            "salesforce_contact_id",
            "hubspot_company_id",
            "salesforce_account_id",
            "domain",
            "seniority",
            "consent",
            "first_source",
            "annual_revenue",
            "created_at",
        }
    ),
    Format.HUBSPOT: frozenset(
        {
            "record id",
            "lifecycle stage",
            "country/region",
            "original source",
            "original traffic source",
            "original source drill-down 1",
            "original traffic source drill-down 1",
            "marketing contact status",
            "phone number",
            "mobile phone number",
            "job title",
            "company name",
            "create date",
            "associated company",
            "associated company ids",
            "website url",
            "contact owner",
            "company owner",
            "company domain name",
            "number of employees",
            "hs_object_id",
            "unsubscribed from all email",
            *(label for labels in _BECAME_LABELS.values() for label in labels),
        }
    ),
    Format.SALESFORCE: frozenset(
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
            "createddate",
            "created date",
            "converteddate",
            "convertedcontactid",
            "hasoptedoutofemail",
            "email opt out",
            "billingcountry",
        }
    ),
}

# "Record ID - Contact", "Company name - Company": HubSpot names the object of a column when an
# export holds more than one.
_OBJECT_SUFFIXES = {"contact": RecordObject.CONTACT, "company": RecordObject.ACCOUNT}
_OTHER_OBJECTS = ("deal", "ticket", "line item", "quote")


def header_key(header: str) -> str:
    """How a column name is compared: a byte-order mark and spaces trimmed, case-folded, inner
    spaces collapsed."""
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def property_name(header: str, fmt: Format) -> str:
    """The custom property an unmapped column becomes: as written for Accord's own format,
    snake_case for CRM exports ("Original Source Drill-Down 1" → original_source_drill_down_1)."""
    if fmt is Format.ACCORD:
        text = header.replace("\ufeff", "").strip()
        if text.startswith("properties."):
            text = text[11:]
        return (text or "column")[:MAX_PROPERTY_NAME]
    return (snake_name(header) or "column")[:MAX_PROPERTY_NAME]


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    header: str  # as written in the file
    target: str
    note: str = ""  # why the column is read this way, when it is not the plain table entry


@dataclass(frozen=True)
class Layout:
    """How a file's columns map onto Accord: one entry per column that is kept."""

    format: Format
    record: RecordObject
    columns: tuple[Column, ...]
    width: int  # cells in the header row
    skipped: tuple[Column, ...] = ()  # columns read and left out (skip, or an unnamed column)

    def header_of(self, target: str) -> str | None:
        return next((c.header for c in self.columns if c.target == target), None)

    @property
    def targets(self) -> frozenset[str]:
        return frozenset(column.target for column in self.columns)

    @cached_property
    def property_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.target.startswith("properties."))

    @cached_property
    def field_columns(self) -> tuple[Column, ...]:
        """The columns that are not custom properties, read one by one."""
        return tuple(column for column in self.columns if not column.target.startswith("properties."))

    @cached_property
    def headers(self) -> dict[str, str]:
        """target → the file's column; shared by every row (a row that changes it copies it first)."""
        return {column.target: column.header for column in self.columns}


class HeaderError(ValueError):
    """The header row cannot be used: the file cannot be imported at all."""


def _table_target(key: str, fmt: Format, record: RecordObject) -> tuple[str | None, str]:
    """The target of a column by its label: (target, note); (None, note) when the tables do not know it."""
    table = TABLES[(fmt, record)]
    if key in table:
        return table[key], ""
    if " - " in key:
        label, _, object_name = key.rpartition(" - ")
        if object_name in _OBJECT_SUFFIXES:
            of = _OBJECT_SUFFIXES[object_name]
            if of is record:
                return table.get(label), f"the {object_name}'s {label!r}"
            if record is RecordObject.CONTACT and of is RecordObject.ACCOUNT:
                target = TABLES[(fmt, RecordObject.ACCOUNT)].get(label)
                if target in (*ACCOUNT_FIELDS, *ACCOUNT_IDS):
                    return f"account.{target}", f"the associated company's {label!r}"
            return None, f"a column of the {object_name}"
        if object_name in _OTHER_OBJECTS:
            return None, f"a column of the {object_name}"
    if fmt is Format.ACCORD and key.startswith("properties."):
        return None, ""
    return None, ""


def parse_mapping(entries: Sequence[str], *, source: str = "--map") -> dict[str, str]:
    """`Column=field` entries (from --map or the lines of a mapping file; `#` starts a comment)
    as {header_key: target}. The target is checked against the file's object by `layout`."""
    mapping: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        text = entry.strip()
        if not text or text.startswith("#"):
            continue
        column, sep, target = text.rpartition("=")
        where = f"{source} line {number}" if source != "--map" else f"--map {entry!r}"
        if not sep or not column.strip() or not target.strip():
            raise HeaderError(f"{where}: write it as Column=field (e.g. 'Lead Score=properties.lead_score')")
        mapping[header_key(column)] = target.strip()
    return mapping


def layout(
    header: Sequence[str],
    fmt: Format,
    record: RecordObject = RecordObject.CONTACT,
    mapping: Mapping[str, str] | None = None,
) -> Layout:
    """Map each column of the header onto a target; HeaderError when the header is unusable.

    A label that appears more than once is read from its first column (in HubSpot's exports the
    contact's own property comes before an associated company's of the same label); each later
    one becomes a custom property with its occurrence as a suffix (`billing_contact_2`). A
    person's mapping (`Column=field`) comes before the tables; `skip` leaves a column out.
    """
    mapping = dict(mapping or {})
    keys = [header_key(name) for name in header]
    unknown = [column for column in mapping if column not in keys]
    if unknown:
        raise HeaderError(f"the mapping names {', '.join(repr(c) for c in unknown)}, which the header does not have")
    for column, target in mapping.items():
        if not known_target(target, record):
            raise HeaderError(f"the mapping sends {column!r} to {target!r}, which is not a {record} field")
    columns: list[Column] = []
    skipped: list[Column] = []
    taken: set[str] = set()
    occurrences: dict[str, int] = {}
    for index, (name, key) in enumerate(zip(header, keys, strict=True)):
        label = name.replace("\ufeff", "").strip()
        if not key:
            skipped.append(Column(index, label, SKIP, "an unnamed column"))
            continue
        occurrences[key] = occurrences.get(key, 0) + 1
        nth = occurrences[key]
        if nth == 1 and key in mapping:
            target, note = mapping[key], "mapped by you"
        elif nth == 1:
            found, note = _table_target(key, fmt, record)
            target = found or f"properties.{property_name(name, fmt)}"
        else:
            target = f"properties.{property_name(name, fmt)}_{nth}"[: 11 + MAX_PROPERTY_NAME]
            note = f"the label appears {nth} times; this is occurrence {nth}"
        if target == SKIP:
            skipped.append(Column(index, label, SKIP, note or "recomputed by Accord"))
            continue
        if target in taken and not target.startswith("properties."):
            # Two labels for one field (e.g. Phone and Phone Number): the first one is read.
            first = next(c.header for c in columns if c.target == target)
            note = f"{first!r} already gives {target}"
            target = f"properties.{property_name(name, fmt)}"
        while target in taken:
            target = f"{target}_{index + 1}"
        taken.add(target)
        columns.append(Column(index=index, header=label, target=target, note=note))
    result = Layout(format=fmt, record=record, columns=tuple(columns), width=len(header), skipped=tuple(skipped))
    _require_identity(result)
    return result


def _require_identity(found: Layout) -> None:
    targets = found.targets
    if found.record is RecordObject.CONTACT:
        if targets & {*IDENTITY_TARGETS, SALESFORCE_ID} or {"last_name", "account.name"} <= targets:
            return
        if {"first_name", "account.name"} <= targets:
            return
        wanted = {
            Format.ACCORD: "email, hubspot_id, salesforce_lead_id or salesforce_contact_id",
            Format.HUBSPOT: "Email or Record ID",
            Format.SALESFORCE: "Email, Lead ID, Contact ID or Id",
        }[found.format]
        raise HeaderError(
            f"the header has no column that identifies a contact ({wanted}, or a name and a company) "
            f"for the {found.format} format"
        )
    if not targets & {"name", "domain", *ACCOUNT_IDS, SALESFORCE_ID}:
        raise HeaderError(
            f"the header has no column that names a company (name, domain or a CRM id) for {found.format}"
        )


def markers(header: Sequence[str]) -> dict[Format, tuple[str, ...]]:
    """Per format, the header's columns that only that format writes."""
    found: dict[Format, tuple[str, ...]] = {}
    for fmt in Format:
        found[fmt] = tuple(
            name.replace("\ufeff", "").strip()
            for name in header
            if header_key(name) in _MARKERS[fmt] or header_key(name).rpartition(" - ")[0] in _MARKERS[fmt]
        )
    return found


def detect_format(header: Sequence[str]) -> tuple[Format, tuple[str, ...]]:
    """The format whose own column names the header uses most, with those columns as the reason.

    A tie (or a header of only common names such as Email) is read as Accord's own format.
    """
    found = markers(header)
    best = Format.ACCORD
    for fmt in (Format.HUBSPOT, Format.SALESFORCE):
        if len(found[fmt]) > len(found[best]):
            best = fmt
    return best, found[best]


def check_format(header: Sequence[str], given: Format) -> None:
    """Refuse a --format the header disagrees with: another format's own columns outnumber the
    given one's (at least two of them), so its names would land as custom properties."""
    found = markers(header)
    best, reason = detect_format(header)
    if best is given or len(reason) < 2 or len(reason) <= len(found[given]):
        return
    shown = ", ".join(reason[:6]) + (f" and {len(reason) - 6} more" if len(reason) > 6 else "")
    raise HeaderError(
        f"the file looks like a {best} export ({shown}), not {given}; use --format {best}, or --map to say "
        "how to read its columns"
    )
