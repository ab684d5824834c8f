"""The overview's figures: contacts per funnel stage and stage changes per week, as Plotly figures."""

from __future__ import annotations

from typing import Any

from accord.lifecycle.queries import Week
from accord.web.presenters.common import StageCountRow


def funnel_chart(counts: list[StageCountRow]) -> dict[str, Any]:
    """A Plotly figure: one horizontal bar per funnel stage, top of the funnel first."""
    funnel = [c for c in counts if c.funnel]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [c.label.name for c in funnel],
                "x": [c.count for c in funnel],
                "text": [str(c.count) for c in funnel],
                "textposition": "auto",
                "marker": {"color": "#3454d1"},
                "hovertemplate": "%{y}: %{x}<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 110, "r": 16, "t": 8, "b": 32},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "xaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec"},
            "height": max(220, 40 * len(funnel) + 60),
            "bargap": 0.25,
        },
    }


def weekly_chart(weeks: list[Week]) -> dict[str, Any]:
    x = [f"{w.start:%d %b}" for w in weeks]
    return {
        "data": [
            {"type": "bar", "name": "Forward", "x": x, "y": [w.advance for w in weeks], "marker": {"color": "#3454d1"}},
            {
                "type": "bar", "name": "Hand-back", "x": x, "y": [w.hand_back for w in weeks],
                "marker": {"color": "#d9822b"},
            },
        ],
        "layout": {
            "barmode": "stack",
            "margin": {"l": 36, "r": 8, "t": 8, "b": 40},
            "height": 220,
            "legend": {"orientation": "h", "y": -0.25},
            "xaxis": {"title": {"text": ""}, "type": "category"},
            "yaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec", "dtick": None},
        },
    }
