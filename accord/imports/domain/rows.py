"""Reading one data row into Accord's values, and the problems found on the way.

Empty cells are left out, so they never clear a field. A bad value in an optional field (a
country Accord does not know, a website that is not a domain, a number that is not one) leaves
that field out and is reported with the row kept; only a row whose identity is bad (an email
that is not one, a CRM id that is not one) is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.contacts.domain import PropertyType, normalize_domain
from accord.imports.domain import columns as c
from accord.imports.domain import values as v

MAX_ATTRIBUTION_LENGTH = 255  # Contact.first_source and the other touch fields
MAX_CELL = 10_000  # a custom property's text

# HubSpot's lifecycle stages and Salesforce's lead statuses, as the default playbook's stage keys.
HUBSPOT_STAGE_OF: dict[str, str] = {
    "subscriber": "subscriber",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "customer",
}
HUBSPOT_LIFECYCLE_OF: dict[str, str] = {
    stage: lifecycle for lifecycle, stage in HUBSPOT_STAGE_OF.items() if lifecycle != "evangelist"
}
# The label of each "Became a … Date" column, by HubSpot lifecycle stage (as HubSpot writes it).
HUBSPOT_BECAME_DATE: dict[str, str] = {
    "subscriber": "Became a Subscriber Date",
    "lead": "Became a Lead Date",
    "marketingqualifiedlead": "Became a Marketing Qualified Lead Date",
    "salesqualifiedlead": "Became a Sales Qualified Lead Date",
    "opportunity": "Became an Opportunity Date",
    "customer": "Became a Customer Date",
    "evangelist": "Became an Evangelist Date",
    "other": "Became an Other Lifecycle Date",
}
LEAD_STATUS_STAGE: dict[str, str] = {
    "new": "lead",
    "open": "lead",
    "open - not contacted": "lead",
    "not contacted": "lead",
    "working": "sql",
    "working - contacted": "sql",
    "contacted": "sql",
    "qualified": "sql",
    "converted": "sql",
    "closed - converted": "sql",
    "nurturing": "recycled",
    "nurture": "recycled",
    "unqualified": "disqualified",
    "disqualified": "disqualified",
    "closed - not converted": "disqualified",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """`line N: field: message`. `field` names the file's column ("row" for the whole row; empty
    for an event line, whose message names the field). `cause` is the message without the
    value, which the summary groups by; `kept` says the row was imported without the field."""

    line: int
    field: str
    message: str
    cause: str = ""
    kept: bool = False

    def __str__(self) -> str:
        text = f"line {self.line}: {self.field}: {self.message}" if self.field else f"line {self.line}: {self.message}"
        return f"{text} (imported without it)" if self.kept else text

    @property
    def grouped_by(self) -> str:
        return self.cause or self.message


@dataclass(frozen=True, slots=True)
class StageDate:
    """A stage the source system says the contact entered, and when (None: it does not say)."""

    stage: str  # an Accord stage key
    at: dt.datetime | None
    column: str  # the file's column it came from


@dataclass(slots=True)
class Row:
    """One data row, read: the values as Accord will validate them, empty cells left out."""

    line: int
    record: dict[str, Any] = field(default_factory=dict)  # the contact's (or the account's) own fields
    account: dict[str, Any] = field(default_factory=dict)  # a contact's company: name, domain, ids…
    attribution: dict[str, str] = field(default_factory=dict)  # first_source … last_offer
    properties: dict[str, Any] = field(default_factory=dict)
    owner: str = ""  # as written: an email or a name
    owner_id: str = ""  # the CRM's user id
    created_at: dt.datetime | None = None
    stages: list[StageDate] = field(default_factory=list)
    current_stage: StageDate | None = None  # the stage the file says the contact is in now
    columns: dict[str, str] = field(default_factory=dict)  # target → the file's column, for messages
    problems: list[Problem] = field(default_factory=list)

    def fail(self, target: str, message: str, *, cause: str = "", kept: bool = False) -> None:
        self.problems.append(Problem(self.line, self.columns.get(target, target), message, cause, kept))

    def leave_out(self, target: str, value: str, cause: str) -> None:
        """A bad optional value: the row is kept without it."""
        self.fail(target, f"{value!r} {cause}", cause=cause, kept=True)

    @property
    def dropped(self) -> bool:
        return any(not problem.kept for problem in self.problems)


def _salesforce_id(row: Row, target: str, value: str, crm: bool) -> str | None:
    long_form = v.salesforce_id18(value)
    if long_form is None and crm:
        row.fail(target, f"{value!r} is not a 15- or 18-character Salesforce id", cause="is not a Salesforce id")
    return long_form if long_form is not None or crm else value


def read_row(
    cells: Sequence[str],
    layout: c.Layout,
    line: int,
    types: Mapping[str, PropertyType] | None = None,
    stage_keys: frozenset[str] = frozenset(),
) -> Row:
    """Turn one row's cells into values. `types` holds the type of each custom property by name
    (text when absent); `stage_keys` the active playbook's stages, for stage history."""
    row = Row(line=line)
    crm = layout.format is not c.Format.ACCORD
    contact = layout.record is c.RecordObject.CONTACT
    types = types or {}
    mobile = ""
    lifecycle: tuple[str, str] | None = None  # (HubSpot's stage, column)
    status: tuple[str, str] | None = None
    converted: tuple[dt.datetime, str] | None = None
    became: list[tuple[str, dt.datetime, str]] = []
    row.columns = layout.headers
    typed_value, text = v.typed_value, PropertyType.TEXT
    for column in layout.property_columns:  # most of a wide export's columns: a tight loop
        value = cells[column.index].strip()
        if value:
            key = column.target[11:]
            holds = types.get(key, text)
            typed = value[:MAX_CELL] if holds is text else typed_value(value[:MAX_CELL], holds)
            if typed is None:
                row.leave_out(column.target, value, f"is not a {holds} (the column holds {holds}s)")
            else:
                row.properties[key] = typed
    for column in layout.field_columns:
        value = cells[column.index].strip()
        if not value:
            continue
        target = column.target
        own = row.record
        if target.startswith("account."):
            target, own = target[8:], row.account
        if target in ("email", "first_name", "last_name", "title", "seniority", "phone", "name", "industry"):
            own[target] = value
        elif target == "consent":
            consent = v.parse_bool(value)
            if consent is None:
                row.leave_out(column.target, value, "is not true or false (yes/no, 1/0)")
            else:
                own["consent"] = consent
        elif target == c.OPT_OUT:
            opted_out = v.parse_bool(value)
            if opted_out is None:
                row.leave_out(column.target, value, "is not true or false (yes/no, 1/0)")
            elif opted_out:
                own["consent"] = False  # an opt-out withdraws consent; its absence grants none
        elif target == "country":
            code = v.country_code(value)
            if code is None:
                row.leave_out(column.target, value, "is not a country name or ISO code")
            else:
                own["country"] = code
        elif target in ("hubspot_id", "hubspot_company_id"):
            own[target] = value
        elif target in ("salesforce_lead_id", "salesforce_contact_id", "salesforce_account_id"):
            found = _salesforce_id(row, column.target, value, crm)
            if found is not None:
                own[target] = found
        elif target == c.SALESFORCE_ID:
            found = _salesforce_id(row, column.target, value, crm)
            if found is None:
                continue
            kind = v.salesforce_object(found)
            fields = {
                "lead": "salesforce_lead_id",
                "contact": "salesforce_contact_id",
                "account": "salesforce_account_id",
            }
            wanted = ("lead", "contact") if contact else ("account",)
            if kind is not None and kind in wanted:
                own[fields[kind]] = found
            elif crm:
                expected = "00Q (lead) or 003 (contact)" if contact else "001 (account)"
                what = "lead or contact" if contact else "account"
                message = f"{value!r} is not the id of a {what} (its prefix is {value[:3]!r}; expected {expected})"
                row.fail(column.target, message, cause="is an id of another object")
            else:  # Accord's own format: an id without a Salesforce prefix is the record's own
                own["salesforce_contact_id" if contact else "salesforce_account_id"] = found
        elif target == c.MOBILE:
            mobile = value
        elif target in c.ATTRIBUTION_TARGETS:
            if len(value) > MAX_ATTRIBUTION_LENGTH:
                row.leave_out(column.target, value[:40] + "…", f"is longer than {MAX_ATTRIBUTION_LENGTH} characters")
            else:
                row.attribution[target] = value
        elif target == c.OWNER:
            row.owner = value
        elif target == c.OWNER_ID:
            row.owner_id = value
        elif target == "employees":
            employees = v.parse_whole_number(value)
            if employees is None or employees < 0:
                row.leave_out(column.target, value, "is not a whole number")
            else:
                own["employees"] = employees
        elif target == "annual_revenue":
            amount = v.parse_amount(value)
            if amount is None:
                row.leave_out(column.target, value, "is not an amount")
            else:
                own["annual_revenue"] = amount
        elif target == "domain":
            try:
                own["domain"] = normalize_domain(value)
            except ValueError:
                row.leave_out(column.target, value, "is not a valid domain")
        elif target in (c.CREATED_AT, c.CONVERTED_AT) or target.startswith(c.BECAME):
            moment = v.parse_moment(value)
            if moment is None:
                row.leave_out(column.target, value, "is not a date and time Accord can read")
            elif target == c.CREATED_AT:
                row.created_at = moment
            elif target == c.CONVERTED_AT:
                converted = (moment, column.header)
            else:
                became.append((target[len(c.BECAME) :], moment, column.header))
        elif target == c.HUBSPOT_LIFECYCLE:
            lifecycle = (_hubspot_stage(value), column.header)
            row.properties["hubspot_lifecycle_stage"] = lifecycle[0]
        elif target == c.LEAD_STATUS:
            status = (value, column.header)
            row.properties["lead_status"] = value
        elif target == c.STAGE:
            if value in stage_keys:
                row.current_stage = StageDate(value, None, column.header)
            else:
                row.leave_out(column.target, value, "is not a stage of the active playbook")
    if mobile:
        if "phone" in row.record:
            row.properties[c.property_name(row.columns[c.MOBILE], layout.format)] = mobile
        else:
            row.record["phone"] = mobile
            row.columns = {**row.columns, "phone": row.columns[c.MOBILE]}
    if contact:
        _stage_history(row, stage_keys, lifecycle, status, converted, became)
    return row


def _hubspot_stage(value: str) -> str:
    """HubSpot's internal name of a lifecycle stage ("Marketing Qualified Lead" → marketingqualifiedlead);
    a custom stage is kept as written."""
    name = "".join(char for char in value.casefold() if char.isalnum())
    return name if name in c.HUBSPOT_STAGES else value


def _stage_history(
    row: Row,
    stage_keys: frozenset[str],
    lifecycle: tuple[str, str] | None,
    status: tuple[str, str] | None,
    converted: tuple[dt.datetime, str] | None,
    became: list[tuple[str, dt.datetime, str]],
) -> None:
    """The stages the row says the contact entered, as Accord's stages: HubSpot's "Became a …
    Date" columns and its lifecycle stage; Salesforce's lead status and conversion date (a lead's
    create date is when it became a lead). Stages the active playbook lacks are left out."""
    for hubspot, at, column in became:
        stage = HUBSPOT_STAGE_OF.get(hubspot)
        if stage in stage_keys:
            row.stages.append(StageDate(stage, at, column))
    lead = "salesforce_lead_id" in row.record or status is not None
    if row.created_at is not None and lead and "lead" in stage_keys:
        row.stages.append(StageDate("lead", row.created_at, row.columns.get(c.CREATED_AT, "created_at")))
    if converted is not None and "sql" in stage_keys:
        row.stages.append(StageDate("sql", converted[0], converted[1]))
    row.stages.sort(key=lambda s: s.at or dt.datetime.max.replace(tzinfo=dt.UTC))
    if row.current_stage is not None:
        return
    if lifecycle is not None:
        stage = HUBSPOT_STAGE_OF.get(lifecycle[0])
        if stage in stage_keys:
            row.current_stage = StageDate(stage, _dated(row.stages, stage), lifecycle[1])
    elif status is not None:
        stage = LEAD_STATUS_STAGE.get(" ".join(status[0].split()).casefold())
        if stage in stage_keys:
            row.current_stage = StageDate(stage, _dated(row.stages, stage), status[1])
    elif row.stages:
        row.current_stage = row.stages[-1]


def _dated(stages: list[StageDate], stage: str) -> dt.datetime | None:
    return next((s.at for s in reversed(stages) if s.stage == stage), None)
