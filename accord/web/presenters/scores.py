"""Scores as a person reads them: the contact page's Score panel, quadrants, score changes, the
overview's contacts heating up and its quadrant counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accord.contacts.models import Contact
from accord.playbook.domain.document import GRADES
from accord.scoring.domain import QUADRANT_LABELS, Model, Quadrant
from accord.scoring.models import Cause, ScoreChange

if TYPE_CHECKING:
    from accord.scoring.queries import ContactScore


@dataclass(frozen=True)
class QuadrantView:
    """How a quadrant reads on screen: its name in the glossary, what it means, and a tone for its cell."""

    key: str
    name: str
    label: str
    tone: str


QUADRANT_NAMES: dict[Quadrant, tuple[str, str]] = {
    Quadrant.READY: ("Ready", "hot"),
    Quadrant.NURTURE: ("Nurture", "nurture"),
    Quadrant.CHECK_FIT: ("Check fit", "review"),
    Quadrant.LOW: ("Low", "ignore"),
}
QUADRANTS: dict[str, QuadrantView] = {
    q.value: QuadrantView(q.value, name, QUADRANT_LABELS[q], tone) for q, (name, tone) in QUADRANT_NAMES.items()
}
CAUSE_LABELS: dict[str, str] = {
    Cause.EVENT: "Activity",
    Cause.PROFILE: "Profile changed",
    Cause.RESCORE: "Rescored",
    Cause.DECAY: "Points faded",
}
PANEL_CONTRIBUTIONS = 8  # the largest contributions the contact page lists
PANEL_CHANGES = 6  # the latest score changes it lists


def quadrant_view(key: str) -> QuadrantView | None:
    return QUADRANTS.get(key)


@dataclass(frozen=True)
class ScoreChangeRow:
    change: ScoreChange
    cause: str  # "Activity", "Profile changed"…
    what: str  # for activity: the interest rules that matched, e.g. "Viewed the pricing page ×3"
    quadrant: QuadrantView | None
    interest_delta: float | None  # None on a contact's first score


def score_change_rows(changes: Iterable[ScoreChange], model: Model) -> list[ScoreChangeRow]:
    labels = {r.key: r.label for r in model.interest_rules}
    rows = []
    for change in changes:
        details = change.details if isinstance(change.details, Mapping) else {}
        rules = details.get("rules")
        rules = rules if isinstance(rules, Mapping) else {}
        what = ", ".join(f"{labels.get(key, key)} ×{count}" for key, count in rules.items())
        previous = change.previous_interest
        rows.append(
            ScoreChangeRow(
                change=change,
                cause=CAUSE_LABELS.get(change.cause, change.cause),
                what=what,
                quadrant=quadrant_view(change.quadrant),
                interest_delta=None if previous is None else round(change.interest_score - previous, 2),
            )
        )
    return rows


def signed(points: float) -> str:
    """Points with their sign, as a person writes them: +20, −15, 0."""
    if points > 0:
        return f"+{points:g}"
    return f"−{-points:g}" if points < 0 else "0"


def decay_text(decay: Mapping[str, Any]) -> str:
    if decay.get("half_life_days") is not None:
        return f"Points lose half their worth every {decay['half_life_days']:g} days."
    return f"Points count for {decay['expire_after_days']} days, then expire."


def sparkline(trend: Mapping[str, Any], *, high_interest: float) -> dict[str, Any]:
    """A Plotly figure: the interest of the last days as a small filled line, with the
    high-interest threshold as a dashed line."""
    values = trend["interest"]
    top = max([*values, high_interest]) * 1.15
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": trend["dates"],
                "y": values,
                "line": {"color": "#3454d1", "width": 2},
                "fill": "tozeroy",
                "fillcolor": "rgba(52, 84, 209, 0.12)",
                "hovertemplate": "%{x|%-d %b}: %{y:.1f} points<extra></extra>",
            }
        ],
        "layout": {
            "height": 64,
            "margin": {"l": 2, "r": 2, "t": 4, "b": 4},
            "showlegend": False,
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True, "range": [0, top]},
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": high_interest,
                    "y1": high_interest,
                    "line": {"color": "#8a94a6", "width": 1, "dash": "dot"},
                }
            ],
        },
    }


def sparkline_text(trend: Mapping[str, Any]) -> str:
    """What the sparkline shows, in words, for screen readers."""
    dates, values = trend["dates"], trend["interest"]
    peak = max(range(len(values)), key=lambda i: (values[i], i))
    return (
        f"Interest over the last {len(values)} days: {values[0]:g} on {_day(dates[0])}, "
        f"highest {values[peak]:g} on {_day(dates[peak])}, {values[-1]:g} today"
    )


def _day(value: str | dt.date) -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%b}"


def quadrant_grid(model: Model, current: str) -> dict[str, Any]:
    """The 2×2 of fit × interest: high interest on top, good fit on the left; the contact's cell marked."""
    good = [g for g in GRADES if g in model.good_fit]
    poor = [g for g in GRADES if g not in model.good_fit]

    def cell(quadrant: Quadrant) -> dict[str, Any]:
        return {"quadrant": QUADRANTS[quadrant.value], "current": quadrant.value == current}

    return {
        "good_fit": ", ".join(good),
        "poor_fit": ", ".join(poor),
        "high_interest": f"{model.high_interest:g}",
        "rows": [
            {"high": True, "cells": [cell(Quadrant.READY), cell(Quadrant.CHECK_FIT)]},
            {"high": False, "cells": [cell(Quadrant.NURTURE), cell(Quadrant.LOW)]},
        ],
    }


def score_panel(score: ContactScore) -> dict[str, Any]:
    """The contact page's Score panel, from `contact_score`: the stored scores, why (worked out now
    under the active playbook), the 60-day trend and the latest score changes. Runs no query."""
    model = score.model
    breakdown, trend = score.breakdown, score.trend
    fit = breakdown["fit"]
    interest = breakdown["interest"]
    scored = score.scored
    persona = score.persona.name if score.persona else ""
    contributions = interest["contributions"]
    shown = contributions[:PANEL_CONTRIBUTIONS]
    quadrant_key = score.quadrant if scored and score.quadrant else breakdown["quadrant"]
    return {
        "scored": scored,
        "scored_at": score.scored_at,
        "score_version": score.score_version,
        "version": breakdown["playbook_version"],
        "fit_score": score.fit_score if scored else fit["score"],
        "grade": score.fit_grade if scored else fit["grade"],
        "persona": persona if scored else (breakdown["persona"] or {}).get("name", ""),
        "fit_rules": [{**rule, "points_text": signed(rule["points"])} for rule in fit["rules"]],
        "fit_now": fit["score"],
        "fit_differs": scored and fit["score"] != score.fit_score,
        "grades": ", ".join(f"{g} from {t:g}" for g, t in zip(GRADES, model.thresholds, strict=False)),
        "interest": score.interest_score if score.interest_score is not None else interest["score"],
        "interest_now": interest["score"],
        "max_points": interest["max_points"],
        "decay": decay_text(interest["decay"]),
        "contributions": [{**c, "date": dt.date.fromisoformat(c["date"])} for c in shown],
        "this_year": score.now.year,
        "more": len(contributions) - len(shown) + interest["more"],
        "heating_up": trend["heating_up"],
        "rise": trend["rise"],
        "trend_days": len(trend["interest"]),
        "has_trend": any(v > 0 for v in trend["interest"]),
        "trend_chart": sparkline(trend, high_interest=model.high_interest),
        "trend_text": sparkline_text(trend) if trend["interest"] else "",
        "quadrant": quadrant_view(quadrant_key),
        "grid": quadrant_grid(model, quadrant_key),
        "changes": score_change_rows(score.history, model),
    }


@dataclass(frozen=True)
class HeatingRow:
    contact: Contact
    rise: float


def heating_rows(rising: Iterable[tuple[Contact, float]]) -> list[HeatingRow]:
    """Contacts whose interest rose the most this week (`scoring.queries.heating_up`: each with
    its account), for the overview."""
    return [HeatingRow(contact, rise) for contact, rise in rising]


def quadrant_counts(found: Mapping[str, int], model: Model) -> dict[str, Any]:
    """How many contacts are in each quadrant (`found`: contacts by quadrant key, as
    `scoring.queries.quadrant_tally` counts them), as a 2×2 like the contact page's, and how many are
    not scored."""
    grid = quadrant_grid(model, "")
    for row in grid["rows"]:
        for cell in row["cells"]:
            cell["count"] = found.get(cell["quadrant"].key, 0)
    grid["unscored"] = sum(n for key, n in found.items() if key not in QUADRANTS)
    return grid
