"""Writing many contacts' scores and their history rows in one statement each, through the one
bulk writer (`core.bulk.write_frame`) and, for history, `INSERT … SELECT FROM unnest(arrays)` on
PostgreSQL (one array parameter per column, so the statement stays small whatever the row count);
elsewhere one prepared statement run for every row. Django's `bulk_update` builds a CASE per
column and row, which cost more than scoring the events did."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection

from accord.contacts.models import Score
from accord.core.bulk import write_frame
from accord.scoring.models import ScoreChange

# The columns of a contact's current scores (`contacts.Score`) the engine writes.
SCORES = (
    "fit_score",
    "fit_grade",
    "persona",
    "interest_score",
    "quadrant",
    "interest_mass",
    "interest_anchor",
    "interest_caps",
    "scored_at",
    "score_version_id",
)
_SCHEMA: dict[str, Any] = {
    "contact_id": pl.Int64,
    "fit_score": pl.Int64,
    "fit_grade": pl.String,
    "persona": pl.String,
    "interest_score": pl.Float64,
    "quadrant": pl.String,
    "interest_mass": pl.Int64,
    "interest_anchor": pl.Int64,
    "interest_caps": pl.String,
    "scored_at": pl.Datetime("us", "UTC"),
    "score_version_id": pl.Int64,
}


def update_scores(scores: Sequence[Score]) -> None:
    """Store `scores` (as set on the objects; rows not there yet are added), nothing else."""
    if not scores:
        return
    frame = pl.DataFrame(
        [
            (
                s.contact_id,
                s.fit_score,
                s.fit_grade,
                s.persona,
                s.interest_score,
                s.quadrant,
                s.interest_mass,
                s.interest_anchor,
                json.dumps(s.interest_caps, separators=(",", ":")),
                s.scored_at,
                s.score_version_id,
            )
            for s in scores
        ],
        schema=_SCHEMA,
        orient="row",
    )
    write_frame(Score, frame, columns=SCORES)


# (column, PostgreSQL type) of ScoreChange rows.
HISTORY = (
    ("contact_id", "bigint"),
    ("at", "timestamptz"),
    ("cause", "varchar"),
    ("playbook_version_id", "bigint"),
    ("fit_score", "integer"),
    ("fit_grade", "varchar"),
    ("interest_score", "double precision"),
    ("quadrant", "varchar"),
    ("previous_fit_score", "integer"),
    ("previous_grade", "varchar"),
    ("previous_interest", "double precision"),
    ("details", "jsonb"),
    ("interest_mass", "bigint"),
    ("interest_anchor", "integer"),
)


@dataclass(frozen=True, slots=True)
class History:
    """One score change to append: the columns of its `ScoreChange` row (building the model
    instances cost the event pipeline more than writing the rows did)."""

    contact_id: int
    at: dt.datetime
    cause: str
    playbook_version_id: int
    fit_score: int
    fit_grade: str
    interest_score: float
    quadrant: str
    previous_fit_score: int | None
    previous_grade: str
    previous_interest: float | None
    details: dict[str, Any]
    interest_mass: int | None
    interest_anchor: int | None


def insert_history(changes: Sequence[History | ScoreChange]) -> None:
    """Append score changes (their ids are not read back)."""
    if not changes:
        return
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (
            c.contact_id,
            adapt(c.at),
            c.cause,
            c.playbook_version_id,
            c.fit_score,
            c.fit_grade,
            c.interest_score,
            c.quadrant,
            c.previous_fit_score,
            c.previous_grade,
            c.previous_interest,
            json.dumps(c.details, separators=(",", ":")),
            c.interest_mass,
            c.interest_anchor,
        )
        for c in changes
    ]
    table = connection.ops.quote_name(ScoreChange._meta.db_table)
    names = ", ".join(name for name, _ in HISTORY)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{kind}[]" for _, kind in HISTORY)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            marks = ", ".join(["%s"] * len(HISTORY))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
