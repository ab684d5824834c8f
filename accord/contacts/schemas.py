from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from accord.contacts.actions import MAX_EMPLOYEES
from accord.contacts.domain import SourceOrigin
from accord.core.schemas import Id, InputSchema

Properties = dict[str, str | int | float | bool | None]


class ContactFieldsIn(InputSchema):
    email: str | None = Field(
        None,
        max_length=254,
        examples=["jane.doe@example.com"],
        description=(
            "An email address; null or an empty string clears it. International addresses are accepted: the "
            "domain is kept in its ASCII (punycode) form, the local part as written, lower-case."
        ),
    )
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    title: str | None = Field(None, max_length=200)
    seniority: str | None = Field(None, description="individual, manager, director, vp or c_level")
    phone: str | None = Field(None, max_length=40)
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code, e.g. US")
    account_id: Id | None = None
    owner_id: Id | None = Field(None, description="An active user's id.")
    consent: StrictBool | None = None
    hubspot_id: str | None = Field(None, max_length=64)
    salesforce_lead_id: str | None = Field(None, max_length=18, description="The Salesforce Lead id (00Q…).")
    salesforce_contact_id: str | None = Field(None, max_length=18, description="The Salesforce Contact id (003…).")
    properties: Properties | None = None


class ContactMergeIn(InputSchema):
    drop_id: Id = Field(description="The contact merged into this one and then removed.")


class AccountRef(Schema):
    id: int
    name: str
    domain: str


class UserRef(Schema):
    id: int
    email: str
    name: str


class TouchOut(Schema):
    source: str
    medium: str
    campaign: str
    offer: str = Field(description="The asset a form was filled for.")
    at: dt.datetime | None


class SourceOut(Schema):
    """First- and last-touch source, and where the first touch came from."""

    origin: str = Field(description="tracked (Accord saw the visit), imported (from a CRM export) or empty.")
    first: TouchOut
    last: TouchOut

    @classmethod
    def of(cls, contact: Any) -> SourceOut:
        return cls(
            origin=SourceOrigin.of(first_source=contact.first_source, first_seen_at=contact.first_seen_at),
            first=TouchOut(
                source=contact.first_source,
                medium=contact.first_medium,
                campaign=contact.first_campaign,
                offer=contact.first_offer,
                at=contact.first_seen_at,
            ),
            last=TouchOut(
                source=contact.last_source,
                medium=contact.last_medium,
                campaign=contact.last_campaign,
                offer=contact.last_offer,
                at=contact.last_touch_at,
            ),
        )


class ContactOut(Schema):
    id: int
    email: str | None
    first_name: str
    last_name: str
    title: str
    seniority: str
    phone: str
    country: str
    account: AccountRef | None
    owner: UserRef | None
    consent: bool | None
    hubspot_id: str | None
    salesforce_lead_id: str | None
    salesforce_contact_id: str | None
    properties: dict[str, Any]
    stage: str
    stage_changed_at: dt.datetime | None
    reengage_on: dt.date | None
    playbook_version: int | None = Field(None, alias="playbook_version.number")
    fit_score: int | None
    fit_grade: str
    persona: str
    interest_score: float | None
    quadrant: str
    scored_at: dt.datetime | None
    source: SourceOut
    created_at: dt.datetime = Field(description="When the contact was created: in the source system, when imported.")
    updated_at: dt.datetime
    imported_at: dt.datetime | None = Field(description="When an import first brought the contact in.")

    @staticmethod
    def resolve_source(contact: Any) -> SourceOut:
        return SourceOut.of(contact)


class AccountFieldsIn(InputSchema):
    name: str | None = Field(None, max_length=200)
    domain: str | None = Field(None, max_length=253)
    industry: str | None = Field(None, max_length=100)
    employees: StrictInt | None = Field(None, ge=0, le=MAX_EMPLOYEES)
    annual_revenue: Decimal | None = Field(None, ge=0, lt=10**14, description="Up to 99,999,999,999,999.99.")
    country: str | None = None
    owner_id: Id | None = Field(None, description="An active user's id.")
    hubspot_company_id: str | None = Field(None, max_length=64)
    salesforce_account_id: str | None = Field(None, max_length=18, description="The Salesforce Account id (001…).")
    properties: Properties | None = None


class AccountOut(Schema):
    id: int
    name: str
    domain: str
    industry: str
    employees: int | None
    annual_revenue: Decimal | None
    country: str
    owner: UserRef | None
    properties: dict[str, Any]
    hubspot_company_id: str | None
    salesforce_account_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    imported_at: dt.datetime | None
