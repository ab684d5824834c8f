"""Reads of many rows as Polars frames: on PostgreSQL `COPY (SELECT …) TO STDOUT` as CSV, read
through libpq in blocks of whole rows and parsed as they arrive; elsewhere fetched rows. The
rescore and the backtest read through it.

A frame's schema maps each column of the query, in order, to its Polars type. PostgreSQL writes a
boolean as t / f: a `pl.Boolean` column is read as that text and turned into yes / no.
"""

from __future__ import annotations

import io
import select
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import polars as pl
import psycopg
from django.db import connection
from psycopg import pq

BLOCK_BYTES = 32 << 20  # CSV text parsed at a time while streaming from PostgreSQL
FETCH_ROWS = 50_000  # rows fetched at a time elsewhere

Schema = Mapping[str, Any]


def copy_statement(conn: psycopg.Connection[Any], sql: str, params: Sequence[Any]) -> bytes:
    """`COPY (sql) TO STDOUT` as CSV, with `params` bound (as text) by `conn`."""
    return psycopg.ClientCursor(conn).mogrify(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", list(params)).encode()


def copy_blocks(conn: psycopg.Connection[Any], statement: bytes) -> Iterator[bytes]:
    """The text a `COPY … TO STDOUT` sends, in blocks of about BLOCK_BYTES (cut anywhere).

    PostgreSQL sends one message per row; psycopg's `Copy` spends microseconds of Python on each,
    seconds for millions of rows, so this reads the messages through libpq (`conn.pgconn`, which
    psycopg exposes for this) in a tight loop. The statement runs in the connection's open
    transaction."""
    pg = conn.pgconn
    pg.send_query(statement)
    while pg.is_busy():
        select.select([pg.socket], [], [])
        pg.consume_input()
    started = pg.get_result()
    if started is None or started.status != pq.ExecStatus.COPY_OUT:
        message = started.error_message.decode(errors="replace") if started is not None else "no result"
        while pg.get_result() is not None:
            pass
        raise psycopg.DatabaseError(f"COPY failed: {message}")
    buffer = bytearray()
    read = pg.get_copy_data
    while True:
        size, data = read(1)
        if size > 0:
            buffer += data
            if len(buffer) >= BLOCK_BYTES:
                yield bytes(buffer)
                buffer = bytearray()
        elif size == 0:  # nothing buffered: wait for the socket
            select.select([pg.socket], [], [])
            pg.consume_input()
        else:
            break
    failed = None
    while (result := pg.get_result()) is not None:
        if result.status != pq.ExecStatus.COMMAND_OK:
            failed = result.error_message.decode(errors="replace")
    if failed:
        raise psycopg.DatabaseError(f"COPY failed: {failed}")
    if buffer:
        yield bytes(buffer)


def _cut(text: bytes) -> tuple[bytes, bytes]:
    """Split CSV text after its last complete row: at a newline outside quotes (an even number
    of quote characters before it, since CSV doubles the quotes inside a field)."""
    end = len(text)
    while True:
        newline = text.rfind(b"\n", 0, end)
        if newline < 0:
            return b"", text
        if text.count(b'"', 0, newline) % 2 == 0:
            return text[: newline + 1], text[newline + 1 :]
        end = newline


def copy_rows(conn: psycopg.Connection[Any], statement: bytes) -> Iterator[bytes]:
    """The CSV text of a `COPY … TO STDOUT` in blocks of whole rows, none of them empty."""
    rest = b""
    for data in copy_blocks(conn, statement):
        text, rest = _cut(rest + data)
        if text:
            yield text
    if rest:
        yield rest


def empty_frame(schema: Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=dict(schema))


def csv_frame(text: bytes, schema: Schema) -> pl.DataFrame:
    """CSV text of whole rows (as COPY writes it) as a frame of `schema`."""
    if not text:
        return empty_frame(schema)
    read = {name: pl.String if kind == pl.Boolean else kind for name, kind in schema.items()}
    found = pl.read_csv(io.BytesIO(text), has_header=False, new_columns=list(schema), schema=read)
    return found.with_columns(
        pl.col(name).replace_strict({"t": True, "f": False}, default=None, return_dtype=pl.Boolean)
        for name, kind in schema.items()
        if kind == pl.Boolean
    )


def csv_frames(texts: Iterable[bytes], schema: Schema) -> Iterator[pl.DataFrame]:
    """A frame for each block of whole CSV rows."""
    for text in texts:
        if text:
            yield csv_frame(text, schema)


def copy_frames(
    conn: psycopg.Connection[Any], sql: str, params: Sequence[Any], schema: Schema
) -> Iterator[pl.DataFrame]:
    """The rows of `sql` on a psycopg connection, through COPY, a frame per block as it arrives."""
    return csv_frames(copy_rows(conn, copy_statement(conn, sql, params)), schema)


def fetched_frames(
    sql: str, params: Sequence[Any], schema: Schema, *, rows: int | None = None
) -> Iterator[pl.DataFrame]:
    """The rows of `sql` fetched on Django's connection, `rows` (FETCH_ROWS) at a time, each batch
    a frame of `schema` (the values as the database driver gives them)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while batch := cursor.fetchmany(rows or FETCH_ROWS):
            yield pl.DataFrame(batch, schema=dict(schema), orient="row")


def read_frames(sql: str, params: Sequence[Any], schema: Schema) -> Iterator[pl.DataFrame]:
    """The rows of `sql` on Django's connection, in its open transaction if there is one, as
    frames of `schema`: through COPY on PostgreSQL, fetched elsewhere."""
    if connection.vendor != "postgresql":
        return fetched_frames(sql, params, schema)
    connection.ensure_connection()
    return copy_frames(connection.connection, sql, params, schema)


def concat_frames(frames: Iterable[pl.DataFrame], schema: Schema) -> pl.DataFrame:
    """The frames as one (an empty frame of `schema` when there are none)."""
    found = list(frames)
    return pl.concat(found) if found else empty_frame(schema)


def read_frame(sql: str, params: Sequence[Any], schema: Schema) -> pl.DataFrame:
    """All the rows of `sql` as one frame of `schema` (see `read_frames`)."""
    return concat_frames(read_frames(sql, params, schema), schema)


def rechunk(blocks: Iterable[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """The same rows in frames of `rows` rows (the last one smaller)."""
    carried: pl.DataFrame | None = None
    for block in blocks:
        carried = block if carried is None else pl.concat([carried, block])
        while carried.height >= rows:
            yield carried.slice(0, rows)
            carried = carried.slice(rows)
    if carried is not None and carried.height:
        yield carried
