"""Bulk writes that stay fast for wide rows: INSERT with one executemany (COPY on PostgreSQL),
UPDATE grouped by the fields that changed, and ids reserved before an insert so that the rows
written can be referred to (stage history, consent evidence) in the same transaction. And reads
of many rows: a query's tuples chunk by chunk from one cursor, times read natively.

Django's bulk_create builds a model and prepares each of a row's fields for every row, and
bulk_update's CASE WHEN over a batch makes the database compare each row with each other; for a
contact's forty-odd fields both cost several times what the database does.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import polars as pl
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, models

_STAGE = "bulk_changes_{table}"  # PostgreSQL: a session's scratch table for updates


def _column(field: models.Field[Any, Any]) -> str:
    return field.column or field.attname


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys for `model`, taken from its sequence; inside a transaction that
    will insert them. On SQLite the transaction holds the write lock (Accord opens them IMMEDIATE),
    so the next ids after the largest are free until it commits."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {quote(table)}")
        largest = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        largest = max(largest, cursor.fetchone()[0])
    return list(range(largest + 1, largest + 1 + count))


_PLAIN_TYPES = (int, str, bool, type(None))


def _plain(field: models.Field[Any, Any]) -> bool:
    """Whether the database takes this field's int, str or bool values as they are (no preparing)."""
    if isinstance(field, models.ForeignKey):
        return _plain(field.target_field)
    return isinstance(field, (models.IntegerField, models.AutoField, models.CharField, models.TextField,
                              models.BooleanField)) and not isinstance(field, models.GeneratedField)  # fmt: skip


def prepared(fields: Sequence[models.Field[Any, Any]], rows: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """Each row's values as its fields prepare them for the database; a field a row does not set
    takes its default, prepared once (a callable default is still called per row). An int, str,
    bool for an integer, text or boolean field, and None for any, go as they are: preparing would not change them;
    an aware datetime for a datetime field goes straight to the backend's adapter."""
    db = connections[connection.alias]  # looked up once, not through the proxy for every value
    fixed = {
        f.attname: f.get_db_prep_save(f.get_default(), db)
        for f in fields
        if not f.primary_key and not (f.has_default() and callable(f.default))
    }
    plain = [_plain(f) for f in fields]
    moment = [isinstance(f, models.DateTimeField) and settings.USE_TZ for f in fields]
    adapt = db.ops.adapt_datetimefield_value
    missing = object()
    for values in rows:
        prepared = []
        for f, as_is, timed in zip(fields, plain, moment, strict=True):
            value = values.get(f.attname, missing)
            if value is not missing:
                if value is None or (as_is and type(value) in _PLAIN_TYPES):
                    prepared.append(value)
                elif timed and type(value) is dt.datetime and value.tzinfo is not None:
                    prepared.append(adapt(value))
                else:
                    prepared.append(f.get_db_prep_save(value, db))
            elif f.attname in fixed:
                prepared.append(fixed[f.attname])
            else:
                prepared.append(f.get_db_prep_save(f.get_default(), db))
        yield tuple(prepared)


def bound_cursor() -> Any:
    """PostgreSQL: a cursor of Django's connection that sends parameters apart from the statement
    (Django's own renders them into its text), so `%b` sends one in binary: an array of thousands
    of values goes as data, not as quoted text."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


_COPY_FROM = 50  # rows from which an insert is a COPY on PostgreSQL


def insert_rows(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT rows given as {attname: value} (COPY on PostgreSQL, one executemany on SQLite). A row
    may carry `id` (from `reserve_ids`)."""
    if not rows:
        return
    with_id = "id" in rows[0]
    fields = [f for f in _written(model) if with_id or not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(f)) for f in fields)
    table = quote(model._meta.db_table)
    params = prepared(fields, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= _COPY_FROM:
            # COPY: the rows as data, not as SQL text the server must parse.
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        elif connection.vendor == "postgresql":  # a few rows: one INSERT costs less than a COPY's round trips
            marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
            values = list(params)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([marks] * len(values))}",
                [value for row in values for value in row],
            )
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(params))


def _written(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields an INSERT names: every concrete one but those the database generates."""
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def insert_returning(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, batch_size: int = 1000
) -> list[int]:
    """INSERT rows and answer their ids in the same order: one multi-row `INSERT … RETURNING` per
    batch, the same statement text for every full batch. The ids are taken in ascending order, the
    order the database hands them out as it inserts the rows."""
    if not rows:
        return []
    meta = model._meta
    fields = [f for f in _written(model) if not f.primary_key]
    quote = connection.ops.quote_name
    per = max(1, min(batch_size, (connection.features.max_query_params or 65_535) // len(fields)))
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(_column(f)) for f in fields)}) VALUES "
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {quote(meta.pk.column if meta.pk is not None and meta.pk.column else 'id')}"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            batch = rows[start : start + per]
            params = [value for row in prepared(fields, batch) for value in row]
            cursor.execute(head + ", ".join([marks] * len(batch)) + tail, params)
            ids += sorted(row[0] for row in cursor.fetchall())
    return ids


def update_rows(model: type[models.Model], updates: Iterable[tuple[Any, set[str]]]) -> None:
    """UPDATE each object's changed fields, grouped by which fields changed: one executemany per
    group, or on PostgreSQL one COPY into a scratch table and one UPDATE … FROM it. An object is a
    model instance or anything with `pk` and the fields' attribute names (a SimpleNamespace)."""
    groups: dict[tuple[str, ...], list[Any]] = {}
    for obj, changed in updates:
        groups.setdefault(tuple(sorted(changed)), []).append(obj)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    stage = quote(_STAGE.format(table=model._meta.db_table))
    with connection.cursor() as cursor:
        for names, objects in groups.items():
            fields = [field for name in names if isinstance(field := model._meta.get_field(name), models.Field)]
            columns = [quote(_column(f)) for f in fields]
            params = [
                (obj.pk, *(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)) for obj in objects
            ]
            if connection.vendor == "postgresql":
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT * FROM {table} WITH NO DATA")
                cursor.execute(f"TRUNCATE {stage}")
                with (
                    connection.wrap_database_errors,
                    cursor.cursor.copy(f"COPY {stage} (id, {', '.join(columns)}) FROM STDIN") as copy,
                ):
                    for row in params:
                        copy.write_row(row)
                assignments = ", ".join(f"{column} = s.{column}" for column in columns)
                cursor.execute(f"UPDATE {table} AS c SET {assignments} FROM {stage} AS s WHERE c.id = s.id")
            else:
                assignments = ", ".join(f"{column} = %s" for column in columns)
                cursor.executemany(
                    f"UPDATE {table} SET {assignments} WHERE id = %s", [(*row[1:], row[0]) for row in params]
                )


def read_natively(cursor: Any) -> None:
    """Have a PostgreSQL cursor (Django's wrapper) read `timestamptz` and `jsonb` with psycopg's own
    loaders. Times come back as the same aware datetimes (the session is in UTC) at a tenth of the
    cost of the Python loader Django registers, the largest cost of reading a million wide rows; JSON
    comes back parsed, as a JSONField gives it. For reads that take the cursor's values as they are."""
    if connection.vendor != "postgresql" or not settings.USE_TZ:
        return
    from psycopg.types.datetime import TimestamptzLoader
    from psycopg.types.json import JsonbLoader

    adapters = cursor.cursor.adapters
    adapters.register_loader("timestamptz", TimestamptzLoader)
    adapters.register_loader("jsonb", JsonbLoader)


def value_chunks(rows: models.QuerySet[Any], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """The tuples of a `values_list` query, `size` at a time, from one cursor: on PostgreSQL a
    server-side one (inside a transaction, so not WITH HOLD), reading times natively. Its fields
    must need no converter beyond what psycopg's loaders do (text, numbers, yes/no, times, JSON)."""
    if connection.vendor != "postgresql":
        found = rows.iterator(chunk_size=size)
        while chunk := list(islice(found, size)):
            yield chunk
        return
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # the filters rule every row out
        return
    with connection.chunked_cursor() as cursor:
        read_natively(cursor)
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(size):
            yield chunk


# Frames of at most this many rows are written with one statement over array parameters; larger
# ones are copied into a scratch table first (COPY reads Polars' CSV faster than arrays adapt).
_ARRAYS_UP_TO = 5_000


def write_frame(
    model: type[models.Model],
    frame: pl.DataFrame,
    *,
    columns: Sequence[str],
    insert: bool = True,
    guard: tuple[str, str] | None = None,
) -> list[int]:
    """Write the rows of `frame` into `model`'s table, matched by primary key (the frame's column
    named as the key's column): update the row that has the key, or, with `insert`, add one where
    none has. `columns` are the columns written, named as the table's. With `guard=(column, read)`
    a row is written only while its stored `column` still holds the frame's `read` value (a row not
    there yet counts as NULL), so that what someone wrote after it was read is never overwritten.
    The keys written, in key order. Rows are written in key order, so two writers lock in one order.

    On PostgreSQL one statement over array parameters (`UPDATE … FROM unnest`, `INSERT … SELECT`),
    or for large frames a COPY into a scratch table and the same two statements from it; elsewhere
    (SQLite, whose transaction holds the write lock from its start) the guard is read first and the
    rows written with one executemany."""
    if not frame.height:
        return []
    meta = model._meta
    assert meta.pk is not None
    key = _column(meta.pk)
    frame = frame.sort(key)
    target = _Target(meta.db_table, {_column(f): f for f in meta.concrete_fields}, key, columns, insert, guard)
    return (_write_postgres if connection.vendor == "postgresql" else _write_rows)(target, frame)


@dataclass(frozen=True)
class _Target:
    """Where and how `write_frame` writes."""

    table: str
    fields: Mapping[str, models.Field[Any, Any]]  # by column
    key: str
    columns: Sequence[str]
    insert: bool
    guard: tuple[str, str] | None


def _write_postgres(into: _Target, frame: pl.DataFrame) -> list[int]:
    table, fields, key, columns = into.table, into.fields, into.key, into.columns
    insert, guard = into.insert, into.guard
    quote = connection.ops.quote_name
    names = [key, *columns, *([guard[1]] if guard else [])]
    kinds = [fields[key].db_type(connection), *(fields[c].db_type(connection) for c in columns)]
    if guard:
        kinds.append(fields[guard[0]].db_type(connection))
    target = quote(table)
    assign = ", ".join(f"{quote(c)} = v.{quote(c)}" for c in columns)
    where = f"t.{quote(key)} = v.{quote(key)}"
    if guard:
        where += f" AND t.{quote(guard[0])} IS NOT DISTINCT FROM v.{quote(guard[1])}"
    listed = ", ".join(quote(c) for c in (key, *columns))
    with connection.cursor() as cursor:
        # A nested loop over the rows in key order (no hash or merge join) updates them in that order.
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        if frame.height <= _ARRAYS_UP_TO:
            aliases = ", ".join(quote(n) for n in names)
            arrays = ", ".join(f"%s::{kind}[]" for kind in kinds)
            source = f"SELECT * FROM unnest({arrays}) AS a({aliases})"
            params = [frame[n].to_list() for n in names]
        else:
            stage = quote(f"bulk_write_{table}")
            declared = ", ".join(f"{quote(n)} {k}" for n, k in zip(names, kinds, strict=True))
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{stage}")
            cursor.execute(f"CREATE TEMPORARY TABLE {stage} ({declared}) ON COMMIT DROP")
            buffer = io.BytesIO()
            frame.select(names).write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
            copying = cursor.cursor.copy(f"COPY {stage} FROM STDIN WITH (FORMAT csv)")
            with connection.wrap_database_errors, copying as copy:
                copy.write(buffer.getvalue())
            source, params = f"SELECT * FROM {stage} ORDER BY {quote(key)}", []
        statement = f"WITH v AS MATERIALIZED ({source}), "
        statement += f"up AS (UPDATE {target} AS t SET {assign} FROM v WHERE {where} RETURNING t.{quote(key)})"
        if insert:
            fresh = f"NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.{quote(key)} = v.{quote(key)})"
            if guard:
                fresh += f" AND v.{quote(guard[1])} IS NULL"
            statement += (
                f", ins AS (INSERT INTO {target} ({listed}) SELECT {listed} FROM v WHERE {fresh}"
                f" ORDER BY {quote(key)} ON CONFLICT ({quote(key)}) DO NOTHING RETURNING {quote(key)})"
                f" SELECT {quote(key)} FROM up UNION ALL SELECT {quote(key)} FROM ins"
            )
        else:
            statement += f" SELECT {quote(key)} FROM up"
        cursor.execute(statement, params)
        written = sorted(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_hashjoin")
        cursor.execute("RESET enable_mergejoin")
    return written


def _write_rows(target: _Target, frame: pl.DataFrame) -> list[int]:
    table, key, columns, insert, guard = target.table, target.key, target.columns, target.insert, target.guard
    quote = connection.ops.quote_name
    keys = frame[key].to_list()
    if guard:
        stored = _stored(table, key, guard[0], keys)
        keep = [stored.get(k) == stamp_text(r) for k, r in zip(keys, frame[guard[1]].to_list(), strict=True)]
        if not insert:
            keep = [k and pk in stored for k, pk in zip(keep, keys, strict=True)]
        frame = frame.filter(pl.Series(keep, dtype=pl.Boolean))
    rows = [
        [_sqlite_value(value) for value in row]
        for row in frame.select([*columns, key] if not insert else [key, *columns]).iter_rows()
    ]
    with connection.cursor() as cursor:
        if insert:
            listed = ", ".join(quote(c) for c in (key, *columns))
            marks = ", ".join(["%s"] * (len(columns) + 1))
            assign = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns)
            upsert = f"ON CONFLICT({quote(key)}) DO UPDATE SET {assign}"
            cursor.executemany(f"INSERT INTO {quote(table)} ({listed}) VALUES ({marks}) {upsert}", rows)
        else:
            assign = ", ".join(f"{quote(c)} = %s" for c in columns)
            cursor.executemany(f"UPDATE {quote(table)} SET {assign} WHERE {quote(key)} = %s", rows)
    return frame[key].to_list()


def _stored(table: str, key: str, column: str, keys: list[Any]) -> dict[Any, Any]:
    """Each key's stored `column`, in the form the database keeps it."""
    quote = connection.ops.quote_name
    found: dict[Any, Any] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {quote(key)}, {quote(column)} FROM {quote(table)} WHERE {quote(key)} IN ({marks})", chunk
            )
            found.update((pk, stamp_text(value)) for pk, value in cursor.fetchall())
    return found


def stamp_text(value: Any) -> Any:
    """A datetime as the database stores it (other values as they are), to find a row by it again."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
