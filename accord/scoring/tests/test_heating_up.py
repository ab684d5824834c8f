"""Heating up, end to end: for any contacts and score histories, `heating_rises` (which reads only
the contacts whose stored interest can reach the threshold, a few columns each) gives the same
contacts, rises and order as the rule applied to every contact and every score change in Python."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accord.contacts.models import Contact
from accord.contacts.tests.scores import create_scored
from accord.playbook.queries import active_playbook
from accord.scoring import domain, queries
from accord.scoring.models import ScoreChange

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 4, 15, 0, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=domain.HEATING_DAYS)

# How long ago, in days: now, at the week's first instant and either side of it, or any time.
ago = st.one_of(st.sampled_from([0.0, 0.0, 1.0, 6.99, 7.0, 7.01, 8.0, 40.0]), st.floats(0, 60, allow_nan=False))


def points(threshold: float) -> st.SearchStrategy[float]:
    """Interest as the engine stores it: never below zero, to the hundredth; on and around the
    heating-up threshold, or any other value."""
    near = [0.0, 0.0, round(threshold - 0.01, 2), threshold, round(threshold + 0.01, 2), threshold + 0.5]
    return st.one_of(
        st.sampled_from([*near, 2 * threshold, 200.0, 250.0]),
        st.floats(0, 250, allow_nan=False).map(lambda v: round(v, 2)),
    )


def people(threshold: float) -> st.SearchStrategy[list[Any]]:
    """Contacts, each a score history of (days ago, previous interest, interest) and a stored
    score: the latest change's (as the engine keeps it), none, or another (a refresh the history
    does not show)."""
    value = points(threshold)
    change = st.tuples(ago, st.one_of(st.none(), value), value)
    stored = st.one_of(st.just("latest"), st.just("latest"), st.none(), st.tuples(value, ago))
    return st.lists(st.tuples(st.lists(change, max_size=4), stored), max_size=5)


# The playbook's knobs: the heating-up threshold, the cap, and decay by half-life or expiry (days).
knobs = st.tuples(
    st.sampled_from([20.0, 0.5, 45.0]), st.sampled_from([200.0, 50.0, None]), st.sampled_from([None, 3, 10])
)
workspaces = knobs.flatmap(lambda k: st.tuples(st.just(k), people(k[0])))


def model(heating: float, cap: float | None, expire: int | None) -> domain.Model:
    base = queries.model_of(active_playbook())
    half_life = None if expire else base.half_life_days
    return dataclasses.replace(
        base, heating_points=heating, max_points=cap, half_life_days=half_life, expire_after_days=expire
    )


def state(kept: bool, value: float | None, at: dt.datetime | None) -> dict[str, Any]:
    """The interest state that reads `value` on the day of `at` (none for rows from before it was kept)."""
    if not kept or value is None or at is None:
        return {"interest_mass": 0, "interest_anchor": None} if kept else {}
    return {"interest_mass": round(value * domain.ONE), "interest_anchor": domain.day_number(at)}


def expected(model: domain.Model, contacts: list[Contact], changes: list[ScoreChange]) -> list[tuple[int, float]]:
    """The rule over every row: today's interest, faded, minus the interest a week ago (the last
    score before the week faded to its first day, else what the week's first change started from)."""
    today, since = domain.day_number(NOW), NOW - WEEK

    def faded(value: float | None, at: dt.datetime | None, day: int, mass: int | None, anchor: int | None) -> float:
        if value is None or at is None:
            return 0.0
        if model.half_life_days is not None and mass is not None:
            return model.value(mass, anchor, day)  # the state stored with the score, read as the live score is
        return model.clamp(model.decayed(value, min(domain.day_number(at), day), day))

    rises = []
    for contact in contacts:
        mine = sorted((c for c in changes if c.contact_id == contact.pk), key=lambda c: (c.at, c.pk))
        before = [c for c in mine if c.at < since]
        during = [c for c in mine if c.at >= since]
        if not during:
            continue
        score = contact.current_score
        now_value = faded(
            contact.interest_score, contact.scored_at, today, score and score.interest_mass, score and score.interest_anchor
        )
        if before:
            last = before[-1]
            week_ago = faded(
                last.interest_score, last.at, today - domain.HEATING_DAYS, last.interest_mass, last.interest_anchor
            )
        else:
            week_ago = during[0].previous_interest or 0.0
        if domain.heating_up(model, now=now_value, before=week_ago):
            rises.append((contact.pk, round(now_value - week_ago, 1)))
    return sorted(rises, key=lambda r: (-r[1], r[0]))


@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(workspace=workspaces)
@example(workspace=((20.0, 200.0, None), [([(0.0, None, 20.0)], "latest"), ([(0.0, 0.0, 19.99)], "latest")]))
@example(workspace=((20.0, 200.0, None), [([(9.0, 0.0, 10.0), (9.0, 10.0, 15.0), (0.0, 15.0, 50.0)], "latest")]))
@example(workspace=((20.0, 200.0, 10), [([(7.0, 0.0, 60.0)], "latest"), ([(7.0, 0.0, 60.0)], (60.0, 7.01))]))
# A score stored at the cap: its state still reads more than the cap faded (the cap applies after).
@example(workspace=((20.0, 50.0, None), [([(8.0, 0.0, 10.0), (1.0, 10.0, 200.0)], "latest")]))
def test_heating_rises_equal_the_rule_over_every_row(db: Any, workspace: Any) -> None:
    knobs, people = workspace
    version, scoring = active_playbook(), model(*knobs)
    with transaction.atomic():
        contacts, changes = [], []
        for n, (history, stored) in enumerate(people):
            if stored == "latest":
                latest = max(history, default=None, key=lambda c: -c[0])
                stored = (latest[2], latest[0]) if latest else None
            interest, scored_at = (stored[0], NOW - dt.timedelta(days=stored[1])) if stored else (None, None)
            kept = n % 2 == 0  # every other contact's rows keep the interest state, as rows written today do
            # stored as the engine stores it: the score clamped to the cap, the state not
            scores = (
                {"interest_score": scoring.clamp(interest), "scored_at": scored_at, **state(kept, interest, scored_at)}
                if interest is not None
                else None
            )
            contact = create_scored(email=f"p{n}@acme.test", scores=scores)
            contacts.append(contact)
            for days_ago, previous, value in history:
                changes.append(
                    ScoreChange.objects.create(
                        contact=contact,
                        at=NOW - dt.timedelta(days=days_ago),
                        cause="event",
                        playbook_version=version,
                        fit_score=0,
                        fit_grade="D",
                        interest_score=value,
                        quadrant="low",
                        previous_interest=previous,
                        **state(kept, value, NOW - dt.timedelta(days=days_ago)),
                    )
                )
        with mock.patch.object(queries, "model_of", return_value=scoring):
            found = queries.heating_rises(now=NOW)
            top = [(c.pk, rise) for c, rise in queries.heating_up(limit=2, now=NOW)]
        transaction.set_rollback(True)

    assert found == expected(scoring, contacts, changes)
    assert top == found[:2]
