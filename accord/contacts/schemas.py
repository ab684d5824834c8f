from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from accord.contacts.actions import MAX_EMPLOYEES
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
    salesforce_id: str | None = Field(None, max_length=18)
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
    salesforce_id: str | None
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
    created_at: dt.datetime
    updated_at: dt.datetime


class AccountFieldsIn(InputSchema):
    name: str | None = Field(None, max_length=200)
    domain: str | None = Field(None, max_length=253)
    industry: str | None = Field(None, max_length=100)
    employees: StrictInt | None = Field(None, ge=0, le=MAX_EMPLOYEES)
    annual_revenue: Decimal | None = Field(None, ge=0, lt=10**14, description="Up to 99,999,999,999,999.99.")
    country: str | None = None
    owner_id: Id | None = Field(None, description="An active user's id.")
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
    created_at: dt.datetime
    updated_at: dt.datetime
