"""The shared reader gives a query's rows as typed frames: through COPY on PostgreSQL (in blocks of
whole rows, however the text is cut), fetched elsewhere, with the same values either way. Run on
SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from django.db import connection

from accord.core import reading

pytestmark = pytest.mark.django_db

SCHEMA = {"n": pl.Int64, "label": pl.String, "kind": pl.Categorical, "yes": pl.Boolean, "share": pl.Float64}
TYPES = list(SCHEMA.values())
AWKWARD = 'a "quoted", text\nover two lines'  # quotes, a comma and a newline inside a field
ROWS = [
    (1, "plain", "red", True, 0.5),
    (2, AWKWARD, "blue", False, -1.25),
    (3, None, None, None, None),
    (4, "", "red", True, 3.0),
]


def _sql(rows: list[tuple[Any, ...]], *, where: str = "") -> tuple[str, list[Any]]:
    """A query answering `rows` in order, the text and numbers as parameters (typed by a CAST)."""
    parts, params = [], []
    for n, label, kind, yes, share in rows:
        truth = "NULL" if yes is None else ("1 = 1" if yes else "1 = 0")
        parts.append(
            f"SELECT CAST(%s AS BIGINT) AS n, CAST(%s AS TEXT) AS label, CAST(%s AS TEXT) AS kind, "
            f"CASE WHEN {truth} THEN 1 = 1 WHEN NOT ({truth}) THEN 1 = 0 END AS yes, "
            f"CAST(%s AS DOUBLE PRECISION) AS share"
        )
        params += [n, label, kind, share]
    sql = f"SELECT * FROM ({' UNION ALL '.join(parts)}) AS found {where} ORDER BY n"
    return sql, params


def _expected(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def test_given_rows_when_read_then_every_value_comes_back_with_its_type() -> None:
    sql, params = _sql(ROWS)

    found = reading.read_frame(sql, params, SCHEMA)

    assert found.dtypes == TYPES
    assert found.rows() == ROWS
    assert found.equals(_expected(ROWS))


def test_given_no_rows_when_read_then_an_empty_frame_of_the_schema() -> None:
    sql, params = _sql(ROWS, where="WHERE n < 0")

    found = reading.read_frame(sql, params, SCHEMA)

    assert found.dtypes == TYPES
    assert found.height == 0
    assert list(reading.read_frames(sql, params, SCHEMA)) == []


def test_given_small_blocks_when_read_then_each_frame_holds_whole_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    many = [(i, f"{AWKWARD} {i}", "red" if i % 2 else "blue", i % 3 == 0, i / 4) for i in range(1, 41)]
    sql, params = _sql(many)
    if connection.vendor == "postgresql":
        monkeypatch.setattr(reading, "BLOCK_BYTES", 50)  # several rows' text, cut inside a field
    else:
        monkeypatch.setattr(reading, "FETCH_ROWS", 7)

    frames = list(reading.read_frames(sql, params, SCHEMA))

    assert len(frames) > 3
    assert all(frame.dtypes == TYPES for frame in frames)
    assert pl.concat(frames).rows() == many
    assert [frame.height for frame in reading.rechunk(frames, 16)] == [16, 16, 8]
    assert pl.concat(list(reading.rechunk(frames, 16))).rows() == many


@pytest.mark.parametrize("cut", [1, 5, 17, 10_000])
def test_given_copy_text_cut_anywhere_when_parsed_then_the_same_rows(cut: int) -> None:
    text = b'1,plain,red,t,0.5\n2,"a ""quoted"", text\nover two lines",blue,f,-1.25\n3,,,,\n4,"",red,t,3\n'
    blocks = [text[i : i + cut] for i in range(0, len(text), cut)]

    rows = []
    rest = b""
    for block in blocks:
        whole, rest = reading._cut(rest + block)
        rows.append(whole)
    rows.append(rest)

    found = pl.concat(list(reading.csv_frames(rows, SCHEMA)))
    assert found.rows() == [(1, "plain", "red", True, 0.5), (2, AWKWARD, "blue", False, -1.25), *ROWS[2:3], ROWS[3]]
