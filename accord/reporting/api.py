import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.core import clock
from accord.core.errors import InvalidInput
from accord.core.schemas import QuerySchema, errors
from accord.playbook.queries import active_playbook
from accord.reporting.domain import PeriodKind, period_of
from accord.reporting.scoreboard import Line, scoreboard

router = Router(tags=["reports"])


class ScoreboardFilters(QuerySchema):
    period: str = Field("week", max_length=10, description="day, week, month or quarter.")
    day: dt.date | None = Field(None, description="Any day in the period (default today).")


def line_dict(line: Line) -> dict[str, Any]:
    return {
        "id": line.key,
        "name": line.name,
        "received": line.received,
        "met": line.met,
        "breached": line.breached,
        "first_touch_attainment": line.attainment(),
        "median_first_touch_business_minutes": line.median_sla,
        "median_speed_to_lead_minutes": line.median_speed,
        "median_wait_before_assignment_minutes": line.median_wait,
        "closed": dict(line.closed),
    }


@router.get(
    "/scoreboard",
    response={200: dict[str, Any], **errors()},
    summary="The SLA scoreboard for a period",
    description="Both sides of the SLA for one day, week, month or quarter, read from the history.",
)
def scoreboard_get(request: HttpRequest, filters: Query[ScoreboardFilters]) -> dict[str, Any]:
    acting_user(request, Scope.READ)
    if filters.period not in PeriodKind.__members__.values():
        raise InvalidInput("period: must be one of day, week, month, quarter", field="period")
    period = period_of(filters.period, filters.day or clock.now().date())
    board = scoreboard(period, playbook=active_playbook().playbook)
    m = board.marketing
    return {
        "period": {"kind": period.kind.value, "start": period.start, "end": period.end, "label": period.label},
        "sales": {
            "total": line_dict(board.total),
            "teams": [line_dict(t) for t in board.teams],
            "reps": [line_dict(r) for r in board.reps],
        },
        "marketing": {
            "delivered": m.delivered,
            "commitment": m.commitment,
            "delivery": m.delivery,
            "accepted": m.accepted,
            "handed_back": m.handed_back,
            "acceptance": m.acceptance,
            "acceptance_target": m.acceptance_target,
            "by_day": [
                {"day": d, "mqls": n, "cumulative": c} for (d, n), (_, c) in zip(m.by_day, m.cumulative(), strict=True)
            ],
            "by_source": [{"source": s, "mqls": n} for s, n in m.by_source],
            "reasons": [{"reason": r, "source": s, "handoffs": n} for r, s, n in m.reasons],
        },
    }
