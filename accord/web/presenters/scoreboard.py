"""The SLA scoreboard as the page shows it: figures per rep and team, and Plotly figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from accord.reporting.domain import period_of, prorated
from accord.reporting.scoreboard import Line, Scoreboard

BLUE, GREEN, RED, AMBER, GREY = "#3454d1", "#17663a", "#b42318", "#d9822b", "#98a2b3"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def minutes_text(value: float | None) -> str:
    if value is None:
        return "—"
    minutes = round(value)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if hours < 48 else f"{hours // 24} days"


def row(line: Line) -> dict[str, Any]:
    return {
        "name": line.name,
        "received": line.received,
        "met": line.met["first_touch"],
        "breached": line.breached["first_touch"],
        "attainment": percent(line.attainment()),
        "attainment_value": line.attainment(),
        "touches": f"{line.met['touches']} / {line.met['touches'] + line.breached['touches']}",
        "disposition": percent(line.attainment("disposition")),
        "sla": minutes_text(line.median_sla),
        "speed": minutes_text(line.median_speed),
        "wait": minutes_text(line.median_wait),
        "accepted": line.closed.get("accepted", 0),
        "handed_back": line.closed.get("rejected", 0) + line.closed.get("recycled", 0),
    }


def delivery_chart(board: Scoreboard, *, per: str, amount: float | None) -> dict[str, Any]:
    """Cumulative MQLs day by day against the commitment's line."""
    cumulative = board.marketing.cumulative()
    days = [d.isoformat() for d, _ in cumulative]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "MQLs delivered",
            "x": days,
            "y": [n for _, n in cumulative],
            "line": {"color": BLUE, "width": 3},
        },
    ]
    if amount is not None:
        line, total = [], 0.0
        for day, _ in cumulative:
            total += prorated(amount, per, _day_period(day))
            line.append(round(total, 1))
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Commitment",
                "x": days,
                "y": line,
                "line": {"color": GREY, "dash": "dash"},
            }
        )
    return {
        "data": data,
        "layout": {
            "height": 260,
            "margin": {"l": 40, "r": 8, "t": 8, "b": 40},
            "legend": {"orientation": "h", "y": -0.2},
            "yaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec"},
        },
    }


def _day_period(day: dt.date) -> Any:
    return period_of("day", day)


def attainment_chart(lines: list[Line]) -> dict[str, Any]:
    """First touches met and breached, per rep."""
    names = [line.name for line in lines]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": "Met",
                "y": names,
                "x": [r.met["first_touch"] for r in lines],
                "marker": {"color": GREEN},
            },
            {
                "type": "bar",
                "orientation": "h",
                "name": "Breached",
                "y": names,
                "x": [r.breached["first_touch"] for r in lines],
                "marker": {"color": RED},
            },
        ],
        "layout": {
            "barmode": "stack",
            "height": max(200, 28 * len(lines) + 80),
            "margin": {"l": 140, "r": 8, "t": 8, "b": 40},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "legend": {"orientation": "h", "y": -0.15},
        },
    }


def response_chart(lines: list[Line]) -> dict[str, Any]:
    """Each rep's business minutes to first touch, as a box per rep."""
    return response_boxes({line.name: line.sla_minutes.values() for line in lines if line.sla_minutes})


def response_boxes(by_rep: Mapping[str, Sequence[float] | np.ndarray[Any, Any]]) -> dict[str, Any]:
    """A box per rep of their business minutes to first touch.

    The quartiles and Tukey's fences are worked out here, so a quarter of first touches sends five
    numbers a rep to the browser rather than every touch.
    """
    return {
        "data": [_box(name, minutes) for name, minutes in by_rep.items()],
        "layout": {
            "height": max(200, 34 * len(by_rep) + 80),
            "margin": {"l": 140, "r": 8, "t": 8, "b": 40},
            "showlegend": False,
            "xaxis": {"title": {"text": "business minutes to first touch"}, "rangemode": "tozero"},
        },
    }


def _box(name: str, values: Sequence[float] | np.ndarray[Any, Any]) -> dict[str, Any]:
    ordered = np.sort(np.asarray(values, dtype=float))
    q1, mid, q3 = (float(q) for q in np.percentile(ordered, [25, 50, 75]))
    reach = 1.5 * (q3 - q1)
    low = float(ordered[np.searchsorted(ordered, q1 - reach, side="left")])
    high = float(ordered[np.searchsorted(ordered, q3 + reach, side="right") - 1])
    return {
        "type": "box",
        "orientation": "h",
        "name": name,
        "y": [name],
        "q1": [q1],
        "median": [mid],
        "q3": [q3],
        "lowerfence": [low],
        "upperfence": [high],
        "marker": {"color": BLUE},
        "hoverinfo": "x",
    }


def reasons_chart(reasons: list[tuple[str, str, int]]) -> dict[str, Any]:
    """Hand-backs by reason, stacked by the contact's first source."""
    sources = sorted({s for _, s, _ in reasons})
    keys = sorted({r for r, _, _ in reasons})
    counts = {(r, s): n for r, s, n in reasons}
    return {
        "data": [{"type": "bar", "name": s, "x": keys, "y": [counts.get((r, s), 0) for r in keys]} for s in sources],
        "layout": {
            "barmode": "stack",
            "height": 260,
            "margin": {"l": 40, "r": 8, "t": 8, "b": 60},
            "legend": {"orientation": "h", "y": -0.3},
            "yaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec"},
        },
    }
