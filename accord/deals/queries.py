"""Reads of deals for the screens: the filtered list, one deal's page, the pipeline board.

Each makes a fixed number of queries: deals come with their owner, account and primary contact.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from accord.accounts.models import User
from accord.deals.models import Deal, DealChange, DealContact

Stage = Deal.Stage
BOARD_LIMIT = 50  # deals shown per column of the board; the totals count them all


def _deals() -> QuerySet[Deal]:
    return Deal.objects.select_related("owner", "account", "primary_contact")


def deal_list(*, stage: str = "", owner_id: int | None = None) -> QuerySet[Deal]:
    """Deals, newest first, of one stage and one owner when given."""
    found = _deals()
    if stage:
        found = found.filter(stage=stage)
    if owner_id is not None:
        found = found.filter(owner_id=owner_id)
    return found.order_by("-created_at", "-id")


def deal_owners() -> list[User]:
    """The people who own a deal, for the owner filter."""
    return list(User.objects.filter(deals__isnull=False).distinct().order_by("name", "email"))


@dataclass(frozen=True)
class DealPage:
    deal: Deal
    contacts: list[DealContact]  # with their contact and its account, the primary one first
    changes: list[DealChange]  # oldest first, with who made them


def deal_page(pk: int) -> DealPage | None:
    deal = _deals().select_related("created_by").filter(pk=pk).first()
    if deal is None:
        return None
    links = list(DealContact.objects.filter(deal=deal).select_related("contact", "contact__account"))
    links.sort(key=lambda link: (link.contact_id != deal.primary_contact_id, link.added_at, link.pk))
    changes = list(DealChange.objects.filter(deal=deal).select_related("by_user").order_by("at", "id"))
    return DealPage(deal=deal, contacts=links, changes=changes)


@dataclass(frozen=True)
class Total:
    currency: str
    amount: int  # minor units
    count: int


@dataclass(frozen=True)
class Column:
    stage: str
    deals: list[Deal]  # at most BOARD_LIMIT, newest first
    count: int  # every deal of the stage
    totals: list[Total]  # per currency, largest count first


def deal_board() -> list[Column]:
    """The pipeline: one column per stage (open, won, lost) with its deals and totals per currency."""
    totals: dict[str, list[Total]] = {s: [] for s in Stage.values}
    rows = Deal.objects.values("stage", "currency").annotate(amount=Sum("amount"), n=Count("id"))
    for row in rows.order_by("stage", "-n", "currency"):
        totals.setdefault(row["stage"], []).append(Total(row["currency"], int(row["amount"] or 0), row["n"]))
    deals: dict[str, list[Deal]] = {s: [] for s in Stage.values}
    for stage in Stage.values:  # one query per column: three, whatever the number of deals
        deals[stage] = list(_deals().filter(stage=stage).order_by("-created_at", "-id")[:BOARD_LIMIT])
    return [
        Column(stage=s, deals=deals[s], count=sum(t.count for t in totals[s]), totals=totals[s]) for s in Stage.values
    ]
