"""The scoring engine on the wire: a contact's scores, why it has them, its trend and history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class PersonaOut(Schema):
    key: str
    name: str


class QuadrantOut(Schema):
    key: str = Field(description="ready, nurture, check_fit or low")
    label: str = Field(examples=["Good fit, high interest"])


class CurrentScoresOut(Schema):
    """The scores stored on the contact, as the stage rules and entry criteria read them."""

    fit_score: int | None
    fit_grade: str = Field(description="A–D; empty until the contact is scored")
    persona: PersonaOut | None
    interest: float | None = Field(description="The interest score on the day it was stored (`scored_at`).")
    quadrant: QuadrantOut | None
    scored_at: dt.datetime | None
    playbook_version: int | None = Field(description="The playbook version the scores were computed under.")


class FitRuleOut(Schema):
    rule: str
    label: str
    points: int
    matched: bool
    condition: str = Field(description="What the rule reads, in words.")


class FitOut(Schema):
    score: int
    grade: str
    rules: list[FitRuleOut]


class ContributionOut(Schema):
    """What one interest rule earned on one day, and what that is worth today."""

    rule: str
    label: str
    date: dt.date
    events: int = Field(description="How many events the rule matched that day.")
    points: int = Field(description="Earned that day, after the rule's daily cap.")
    now: float = Field(description="Worth today, after decay.")


class DecayOut(Schema):
    half_life_days: float | None = None
    expire_after_days: int | None = None


class InterestOut(Schema):
    score: float
    decay: DecayOut
    max_points: float | None
    contributions: list[ContributionOut] = Field(description="Largest current worth first; at most 50.")
    more: int = Field(description="How many smaller contributions are left out.")


class BreakdownOut(Schema):
    """Why the contact has its scores, worked out now under the active playbook."""

    playbook_version: int
    as_of: dt.datetime
    fit: FitOut
    persona: PersonaOut | None
    interest: InterestOut
    quadrant: QuadrantOut


class TrendOut(Schema):
    dates: list[dt.date] = Field(description="The last 60 days, oldest first.")
    interest: list[float] = Field(description="The interest score on each of those days.")
    heating_up: bool = Field(description="Whether interest rose by the playbook's heating-up points in 7 days.")
    rise: float = Field(description="How much interest rose in the last 7 days.")


class ScoreChangeOut(Schema):
    at: dt.datetime
    cause: str = Field(description="event, profile, rescore or decay")
    playbook_version: int = Field(alias="playbook_version.number")
    fit_score: int
    fit_grade: str
    interest_score: float
    quadrant: str
    previous_fit_score: int | None
    previous_grade: str
    previous_interest: float | None
    details: dict[str, Any]


class ContactScoreOut(Schema):
    contact_id: int
    current: CurrentScoresOut
    breakdown: BreakdownOut
    trend: TrendOut
    history: list[ScoreChangeOut] = Field(description="The latest score changes, newest first.")
