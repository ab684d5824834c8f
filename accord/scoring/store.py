"""Writing many contacts' scores and their history rows in one statement each: on PostgreSQL
`UPDATE … FROM unnest(arrays)` and `INSERT … SELECT FROM unnest(arrays)` (one array parameter
per column, so the statement stays small whatever the row count); elsewhere one prepared
statement run for every row. Django's `bulk_update` builds a CASE per column and row, which cost
more than scoring the events did."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection

from accord.contacts.models import Contact
from accord.scoring.models import ScoreChange

# (column, PostgreSQL type) in the order rows are built.
COLUMNS = (
    ("fit_score", "integer"),
    ("fit_grade", "varchar"),
    ("persona", "varchar"),
    ("interest_score", "double precision"),
    ("quadrant", "varchar"),
    ("interest_mass", "bigint"),
    ("interest_anchor", "integer"),
    ("interest_caps", "jsonb"),
    ("scored_at", "timestamptz"),
    ("score_version_id", "bigint"),
)


def update_scores(contacts: Sequence[Contact]) -> None:
    """Store the score fields of `contacts` (as set on the objects), nothing else."""
    if not contacts:
        return
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (
            c.pk,
            c.fit_score,
            c.fit_grade,
            c.persona,
            c.interest_score,
            c.quadrant,
            c.interest_mass,
            c.interest_anchor,
            json.dumps(c.interest_caps, separators=(",", ":")),
            adapt(c.scored_at),
            c.score_version_id,
        )
        for c in contacts
    ]
    table = connection.ops.quote_name(Contact._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(name for name, _ in COLUMNS)
            assign = ", ".join(f"{name} = v.{name}" for name, _ in COLUMNS)
            arrays = ", ".join(["%s::bigint[]", *(f"%s::{kind}[]" for _, kind in COLUMNS)])
            cursor.execute(
                f"UPDATE {table} AS c SET {assign} FROM unnest({arrays}) AS v(id, {names}) WHERE c.id = v.id",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            assign = ", ".join(f"{name} = %s" for name, _ in COLUMNS)
            cursor.executemany(f"UPDATE {table} SET {assign} WHERE id = %s", [(*r[1:], r[0]) for r in rows])


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
)


def insert_history(changes: Sequence[ScoreChange]) -> None:
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
