"""The playbook's `sla` section, typed: what marketing commits to deliver, and how fast and how
often sales follows up. Pure: read from a validated document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class OnReassign(StrEnum):
    CONTINUE = "continue"  # the clock keeps running: the contact has waited as long as it has
    RESTART = "restart"  # the new owner gets the whole target from the moment they are given it


@dataclass(frozen=True)
class SalesTerms:
    first_contact_hours: Mapping[str, float] = field(default_factory=lambda: {"high": 1, "normal": 4, "low": 16})
    min_attempts: int | None = None  # touches required …
    attempt_window_days: int | None = None  # … within this many business days
    disposition_days: int | None = None  # accept, reject or recycle within this many business days
    remind_before_hours: float | None = None  # the owner is reminded this long (business time) before a breach
    on_reassign: OnReassign = OnReassign.CONTINUE

    def first_contact(self, priority: str) -> float:
        """Business hours to a first touch for a priority (the normal one's when it has none)."""
        hours = self.first_contact_hours
        return float(hours.get(priority, hours.get("normal", 4)))


@dataclass(frozen=True)
class MarketingTerms:
    mqls: int | None = None  # MQLs delivered per period
    period: str = "month"
    min_acceptance_rate: float | None = None  # of the period's closed hand-offs, accepted


@dataclass(frozen=True)
class SlaTerms:
    marketing: MarketingTerms = MarketingTerms()
    sales: SalesTerms = SalesTerms()


NO_SLA = SlaTerms()


def sla_of(data: Mapping[str, Any] | None) -> SlaTerms:
    """The typed section of a validated document (the defaults when it has none)."""
    if not data:
        return NO_SLA
    mk, sl = data.get("marketing") or {}, data.get("sales") or {}
    return SlaTerms(
        marketing=MarketingTerms(
            mqls=mk.get("mqls"),
            period=str(mk.get("period", "month")),
            min_acceptance_rate=mk.get("min_acceptance_rate"),
        ),
        sales=SalesTerms(
            first_contact_hours=dict(sl.get("first_contact_hours") or SalesTerms().first_contact_hours),
            min_attempts=sl.get("min_attempts"),
            attempt_window_days=sl.get("attempt_window_days"),
            disposition_days=sl.get("disposition_days"),
            remind_before_hours=sl.get("remind_before_hours"),
            on_reassign=OnReassign(sl.get("on_reassign", OnReassign.CONTINUE)),
        ),
    )
