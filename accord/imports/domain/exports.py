"""The columns of each export: contacts and accounts in Accord's own columns, HubSpot's labels
and Salesforce's API names, and how a value is written — dates in ISO 8601 UTC
(`2026-01-31T09:15:00Z`), numbers plain (`25000000`, `42.5`), yes/no as `true`/`false`.

A `Plan` is compiled once per export: the fields to read for each row (`fields`, Django field
paths such as `account__name`) and the stages whose first entry a row needs (`stages`). The
export reads each row as a tuple of those fields, looks up when the contact first entered each
of those stages, and `Plan.row` turns the two into the row's cells. Pure: no Django.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.imports.domain.columns import Format, RecordObject
from accord.imports.domain.rows import HUBSPOT_BECAME_DATE, HUBSPOT_LIFECYCLE_OF

ENTERED = "entered:"  # entered:<stage key>: when the contact first entered that stage (its stage history)
PROPERTY = "properties."  # Accord's format: one column per custom property, `properties.<key>`


class Value(enum.StrEnum):
    TEXT = "text"  # as stored; nothing is an empty cell
    NUMBER = "number"  # plain digits, a point for decimals: 1200, 25000000, 42.5
    BOOLEAN = "boolean"  # true or false; unknown is an empty cell
    MOMENT = "moment"  # ISO 8601 in UTC, to the second: 2026-01-31T09:15:00Z
    OPTED_OUT = "opted_out"  # the consent read as an email opt-out: no consent → true, consent → false
    LIFECYCLE = "lifecycle"  # a stage key as HubSpot's lifecycle stage; empty when none maps
    LEAD_STATUS = "lead_status"  # a stage key as a Salesforce lead status; empty when none maps
    PROPERTY = "property"  # a custom property's value: text as it is, numbers plain, lists as JSON


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    source: str  # a field path of the row (`owner__email`), or `entered:<stage key>`
    value: Value = Value.TEXT
    key: str = ""  # the custom property's key, for Value.PROPERTY


# The lead status each stage of the default playbook is written as (Salesforce's default picklist).
# A stage not listed (visitor, no stage, a stage of another playbook) is an empty cell, which
# Salesforce fills with its default status. The import reads statuses back with LEAD_STATUS_STAGE.
LEAD_STATUS_OF: dict[str, str] = {
    "subscriber": "Open - Not Contacted",
    "lead": "Open - Not Contacted",
    "mql": "Open - Not Contacted",
    "recycled": "Open - Not Contacted",
    "sql": "Working - Contacted",
    "opportunity": "Closed - Converted",
    "customer": "Closed - Converted",
    "disqualified": "Closed - Not Converted",
}
CONVERTED_STAGE = "sql"  # Salesforce's ConvertedDate: when the contact first became sales-qualified

# "Became a … Date" for each HubSpot lifecycle stage an Accord stage maps to, in HubSpot's order
# (evangelist and other have no Accord stage, so no column).
_BECAME = tuple(
    Column(label, f"{ENTERED}{stage}", Value.MOMENT)
    for lifecycle, label in HUBSPOT_BECAME_DATE.items()
    for stage, mapped in HUBSPOT_LIFECYCLE_OF.items()
    if mapped == lifecycle
)

_ACCORD_CONTACT = (
    Column("email", "email"),
    Column("first_name", "first_name"),
    Column("last_name", "last_name"),
    Column("title", "title"),
    Column("seniority", "seniority"),
    Column("phone", "phone"),
    Column("country", "country"),
    Column("consent", "consent", Value.BOOLEAN),
    Column("hubspot_id", "hubspot_id"),
    Column("salesforce_lead_id", "salesforce_lead_id"),
    Column("salesforce_contact_id", "salesforce_contact_id"),
    Column("owner", "owner__email"),
    Column("company", "account__name"),
    Column("domain", "account__domain"),
    Column("industry", "account__industry"),
    Column("employees", "account__employees", Value.NUMBER),
    Column("annual_revenue", "account__annual_revenue", Value.NUMBER),
    Column("hubspot_company_id", "account__hubspot_company_id"),
    Column("salesforce_account_id", "account__salesforce_account_id"),
    Column("first_source", "first_source"),
    Column("first_medium", "first_medium"),
    Column("first_campaign", "first_campaign"),
    Column("stage", "stage"),
    Column("fit_score", "score__fit_score", Value.NUMBER),
    Column("fit_grade", "score__fit_grade"),
    Column("interest_score", "score__interest_score", Value.NUMBER),
    Column("quadrant", "score__quadrant"),
    Column("last_source", "last_source"),
    Column("last_medium", "last_medium"),
    Column("last_campaign", "last_campaign"),
    Column("first_offer", "first_offer"),
    Column("last_offer", "last_offer"),
    Column("created_at", "created_at", Value.MOMENT),
)

# HubSpot's contact import, by the properties' labels.
_HUBSPOT_CONTACT = (
    Column("Record ID", "hubspot_id"),
    Column("First Name", "first_name"),
    Column("Last Name", "last_name"),
    Column("Email", "email"),
    Column("Job Title", "title"),
    Column("Phone Number", "phone"),
    Column("Country/Region", "country"),
    Column("Company Name", "account__name"),
    Column("Website URL", "account__domain"),
    Column("Industry", "account__industry"),
    Column("Number of Employees", "account__employees", Value.NUMBER),
    Column("Annual Revenue", "account__annual_revenue", Value.NUMBER),
    Column("Contact owner", "owner__email"),
    Column("Lifecycle Stage", "stage", Value.LIFECYCLE),
    Column("Accord Stage", "stage"),
    Column("Original Source", "first_source"),
    Column("Original Source Drill-Down 1", "first_medium"),
    Column("Original Source Drill-Down 2", "first_campaign"),
    Column("Latest Source", "last_source"),
    Column("Latest Source Drill-Down 1", "last_medium"),
    Column("Latest Source Drill-Down 2", "last_campaign"),
    Column("First Conversion", "first_offer"),
    Column("Recent Conversion", "last_offer"),
    Column("Create Date", "created_at", Value.MOMENT),
    Column("Unsubscribed from all email", "consent", Value.OPTED_OUT),
    Column("Fit Score", "score__fit_score", Value.NUMBER),
    Column("Fit Grade", "score__fit_grade"),
    Column("Interest Score", "score__interest_score", Value.NUMBER),
    Column("Quadrant", "score__quadrant"),
    *_BECAME,
)

# Salesforce's Lead object, by API name (Data Loader), and Accord's custom fields.
_SALESFORCE_CONTACT = (
    Column("Id", "salesforce_lead_id"),
    Column("ConvertedContactId", "salesforce_contact_id"),
    Column("FirstName", "first_name"),
    Column("LastName", "last_name"),
    Column("Email", "email"),
    Column("Title", "title"),
    Column("Phone", "phone"),
    Column("Country", "country"),
    Column("Company", "account__name"),
    Column("Website", "account__domain"),
    Column("Industry", "account__industry"),
    Column("NumberOfEmployees", "account__employees", Value.NUMBER),
    Column("AnnualRevenue", "account__annual_revenue", Value.NUMBER),
    Column("Owner.Email", "owner__email"),
    Column("LeadSource", "first_source"),
    Column("Status", "stage", Value.LEAD_STATUS),
    Column("HasOptedOutOfEmail", "consent", Value.OPTED_OUT),
    Column("CreatedDate", "created_at", Value.MOMENT),
    Column("ConvertedDate", f"{ENTERED}{CONVERTED_STAGE}", Value.MOMENT),
    Column("Accord_Stage__c", "stage"),
    Column("Fit_Score__c", "score__fit_score", Value.NUMBER),
    Column("Interest_Score__c", "score__interest_score", Value.NUMBER),
    Column("Quadrant__c", "score__quadrant"),
)

_ACCORD_ACCOUNT = (
    Column("name", "name"),
    Column("domain", "domain"),
    Column("industry", "industry"),
    Column("employees", "employees", Value.NUMBER),
    Column("annual_revenue", "annual_revenue", Value.NUMBER),
    Column("country", "country"),
    Column("owner", "owner__email"),
    Column("hubspot_company_id", "hubspot_company_id"),
    Column("salesforce_account_id", "salesforce_account_id"),
    Column("created_at", "created_at", Value.MOMENT),
)

_HUBSPOT_COMPANY = (
    Column("Record ID", "hubspot_company_id"),
    Column("Company name", "name"),
    Column("Company Domain Name", "domain"),
    Column("Industry", "industry"),
    Column("Number of Employees", "employees", Value.NUMBER),
    Column("Annual Revenue", "annual_revenue", Value.NUMBER),
    Column("Country/Region", "country"),
    Column("Company owner", "owner__email"),
    Column("Create Date", "created_at", Value.MOMENT),
)

_SALESFORCE_ACCOUNT = (
    Column("Id", "salesforce_account_id"),
    Column("Name", "name"),
    Column("Website", "domain"),
    Column("Industry", "industry"),
    Column("NumberOfEmployees", "employees", Value.NUMBER),
    Column("AnnualRevenue", "annual_revenue", Value.NUMBER),
    Column("BillingCountry", "country"),
    Column("Owner.Email", "owner__email"),
    Column("CreatedDate", "created_at", Value.MOMENT),
)

COLUMNS: dict[tuple[Format, RecordObject], tuple[Column, ...]] = {
    (Format.ACCORD, RecordObject.CONTACT): _ACCORD_CONTACT,
    (Format.HUBSPOT, RecordObject.CONTACT): _HUBSPOT_CONTACT,
    (Format.SALESFORCE, RecordObject.CONTACT): _SALESFORCE_CONTACT,
    (Format.ACCORD, RecordObject.ACCOUNT): _ACCORD_ACCOUNT,
    (Format.HUBSPOT, RecordObject.ACCOUNT): _HUBSPOT_COMPANY,
    (Format.SALESFORCE, RecordObject.ACCOUNT): _SALESFORCE_ACCOUNT,
}


def columns(fmt: Format, record: RecordObject, property_keys: Iterable[str] = ()) -> tuple[Column, ...]:
    """The export's columns. Custom properties have columns in Accord's format only (sorted by key):
    a CRM's importer maps each column to a property that must already exist there."""
    fixed = COLUMNS[(fmt, record)]
    if fmt is not Format.ACCORD:
        return fixed
    return fixed + tuple(Column(f"{PROPERTY}{key}", "properties", Value.PROPERTY, key) for key in sorted(property_keys))


# --- writing one value ----------------------------------------------------------------------------


def moment(value: dt.datetime | None) -> str:
    """2026-01-31T09:15:00Z; a naive time is taken as UTC."""
    if value is None:
        return ""
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC) if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return value.isoformat(timespec="seconds")[:-6] + "Z"  # without "+00:00"


def number(value: int | float | decimal.Decimal | None) -> str:
    """Plain: no grouping, no currency, no exponent; at most two decimals (half to even), trailing
    zeros dropped."""
    kind = type(value)
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if kind is bool:
        return "1" if value else "0"
    text = f"{value:.2f}"
    if text[-1] == "0":
        text = text.rstrip("0").rstrip(".")
        if text == "-0":
            return "0"
    return text


def boolean(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def opted_out(consent: bool | None) -> str:
    return "" if consent is None else ("false" if consent else "true")


def lifecycle(stage: str) -> str:
    return HUBSPOT_LIFECYCLE_OF.get(stage, "")


def lead_status(stage: str) -> str:
    return LEAD_STATUS_OF.get(stage, "")


def property_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return boolean(value)
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


_WRITERS: dict[Value, Callable[[Any], str] | None] = {
    Value.TEXT: None,  # the CSV writer writes text as it is and None as an empty cell
    Value.NUMBER: number,
    Value.BOOLEAN: boolean,
    Value.MOMENT: moment,
    Value.OPTED_OUT: opted_out,
    Value.LIFECYCLE: lifecycle,
    Value.LEAD_STATUS: lead_status,
}


def _property_writer(key: str) -> Callable[[Any], str]:
    def write(properties: Any) -> str:
        return property_value(properties.get(key)) if isinstance(properties, dict) else ""

    return write


# --- a plan: the fields to read and how each row is written ----------------------------------------


@dataclass(frozen=True)
class Plan:
    header: tuple[str, ...]
    fields: tuple[str, ...]  # the fields each row is read with, in this order; the key first
    stages: tuple[str, ...]  # the stages whose first entry the columns show (the row's `entered`)
    _pick: Callable[[Sequence[Any]], Any]
    _entered: tuple[tuple[int, str], ...]  # (cell, stage) of each stage-date column
    _convert: tuple[tuple[int, Callable[[Any], str]], ...]

    def row(self, values: Sequence[Any], entered: Mapping[str, dt.datetime] | None = None) -> list[Any]:
        """The cells of one row from its values (in `fields` order) and when the contact first
        entered each stage (None: no stage history)."""
        cells = list(self._pick(values))
        for position, stage in self._entered:
            cells[position] = entered.get(stage) if entered else None
        for position, write in self._convert:
            value = cells[position]
            if value is not None:  # the CSV writer writes None as an empty cell, as every writer would
                cells[position] = write(value)
        return cells


def plan(export_columns: Sequence[Column], *, key: str = "id") -> Plan:
    """How to read and write rows with these columns. `key` (the row's id) is always read first,
    whether a column shows it or not: the export looks the row's stage history up by it."""
    fields: list[str] = [key]
    stages: list[str] = []
    entered: list[tuple[int, str]] = []
    for position, column in enumerate(export_columns):
        if column.source.startswith(ENTERED):
            stage = column.source[len(ENTERED) :]
            entered.append((position, stage))
            if stage not in stages:
                stages.append(stage)
        elif column.source not in fields:
            fields.append(column.source)
    # A stage-date cell is picked as the key first, then replaced by the date.
    indexes = [0 if column.source.startswith(ENTERED) else fields.index(column.source) for column in export_columns]
    getter = operator.itemgetter(*indexes)
    pick: Callable[[Sequence[Any]], Any] = getter if len(indexes) > 1 else (lambda values: (getter(values),))
    convert: list[tuple[int, Callable[[Any], str]]] = []
    for position, column in enumerate(export_columns):
        write = _property_writer(column.key) if column.value is Value.PROPERTY else _WRITERS[column.value]
        if write is not None:
            convert.append((position, write))
    return Plan(
        header=tuple(column.header for column in export_columns),
        fields=tuple(fields),
        stages=tuple(stages),
        _pick=pick,
        _entered=tuple(entered),
        _convert=tuple(convert),
    )
