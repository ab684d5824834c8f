from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field, StrictFloat, StrictInt, StrictStr

from accord.core.schemas import Id, InputSchema
from accord.deals.domain import major_units
from accord.deals.models import Deal


class DealIn(InputSchema):
    contact_id: Id = Field(description="The primary contact; the deal moves them to the opportunity stage.")
    name: str = Field(max_length=200)
    amount: StrictInt | StrictFloat | StrictStr = Field(
        description="In major units of the currency, e.g. 12500.50; never negative."
    )
    currency: str = Field(max_length=3, description="ISO 4217, e.g. USD, EUR, GBP.")
    expected_close: dt.date | None = None
    owner_id: Id | None = Field(None, description="Default: whoever creates the deal.")
    contact_ids: list[Id] = Field(default_factory=list, max_length=100, description="Other contacts on the deal.")


class DealLoseIn(InputSchema):
    reason: str = Field(max_length=40, description="A key from the playbook's loss reasons.")
    note: str = Field("", max_length=5000, description="Required when the reason says so.")


class DealOut(Schema):
    id: int
    name: str
    amount_minor: int = Field(description="The amount in minor units (cents).")
    amount: str = Field(description="The amount in major units, as exact decimal text.")
    currency: str
    expected_close: dt.date | None
    stage: str
    loss_reason: str
    loss_note: str
    owner_id: int | None
    account_id: int | None
    primary_contact_id: int | None
    contact_ids: list[int]
    source: str
    campaign: str
    handoff_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_amount_minor(deal: Deal) -> int:
        return deal.amount

    @staticmethod
    def resolve_amount(deal: Deal) -> str:
        return str(major_units(deal.amount, deal.currency))

    @staticmethod
    def resolve_contact_ids(deal: Deal) -> list[int]:
        return sorted({link.contact_id for link in deal.links.all()})
