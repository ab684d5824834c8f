"""Deals as the deal screens show them: amounts with their currency, stages, history lines and the
board's columns. Pure formatting: the deals come loaded by `deals.queries`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from accord.deals.domain import CURRENCIES, major_units
from accord.deals.models import Deal, DealChange
from accord.deals.queries import Column, Total

STAGE_LABELS = {"open": "Open", "won": "Won", "lost": "Lost"}
STAGE_CHOICES = [("", "Any stage"), *STAGE_LABELS.items()]
CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCIES)]
CHANGE_LABELS = {
    "created": "Created",
    "updated": "Updated",
    "won": "Won",
    "lost": "Lost",
    "contact_added": "Contact added",
}


def money(amount: int, currency: str) -> str:
    """Minor units as a person reads them, with the currency: 1250050, 'USD' -> 'USD 12,500.50'."""
    value = major_units(amount, currency)
    return f"{currency} {value:,}"


@dataclass(frozen=True)
class DealRow:
    deal: Deal
    amount: str
    stage_label: str
    owner: str
    account: str
    contact: str


def deal_row(deal: Deal) -> DealRow:
    contact = deal.primary_contact
    return DealRow(
        deal=deal,
        amount=money(deal.amount, deal.currency),
        stage_label=STAGE_LABELS.get(deal.stage, deal.stage),
        owner=deal.owner.display_name if deal.owner_id and deal.owner else "",
        account=deal.account.name if deal.account_id and deal.account else "",
        contact=(contact.full_name or contact.email or f"Contact {contact.pk}") if contact else "",
    )


def deal_rows(deals: Iterable[Deal]) -> list[DealRow]:
    return [deal_row(d) for d in deals]


@dataclass(frozen=True)
class ChangeRow:
    change: DealChange
    label: str
    actor: str
    text: str  # what changed, in words


def _change_text(change: DealChange, reasons: dict[str, str]) -> str:
    after: dict[str, Any] = change.after if isinstance(change.after, dict) else {}
    if change.kind == "created" and "amount" in after:
        return f"{money(int(after['amount']), str(after.get('currency', '')))}"
    if change.kind == "lost":
        reason = str(after.get("reason") or "")
        note = str(after.get("note") or "")
        text = reasons.get(reason, reason)
        return f"{text}: {note}" if note else text
    return ""


def change_rows(changes: Iterable[DealChange], *, loss_reasons: dict[str, str]) -> list[ChangeRow]:
    return [
        ChangeRow(
            change=c,
            label=CHANGE_LABELS.get(c.kind, c.kind),
            actor=c.by_user.display_name if c.by_user_id and c.by_user else "Accord",
            text=_change_text(c, loss_reasons),
        )
        for c in changes
    ]


@dataclass(frozen=True)
class BoardColumn:
    stage: str
    label: str
    rows: list[DealRow]
    count: int
    totals: list[str]  # "USD 120,000.00 (3)"
    more: int  # deals of the column not shown


def _total(total: Total) -> str:
    return f"{money(total.amount, total.currency)} ({total.count})"


def board_columns(columns: Iterable[Column]) -> list[BoardColumn]:
    return [
        BoardColumn(
            stage=c.stage,
            label=STAGE_LABELS.get(c.stage, c.stage),
            rows=deal_rows(c.deals),
            count=c.count,
            totals=[_total(t) for t in c.totals],
            more=max(0, c.count - len(c.deals)),
        )
        for c in columns
    ]
