"""Query sets read as Polars frames, fast: on PostgreSQL through COPY, streamed and parsed in blocks
as the text arrives, in one REPEATABLE READ snapshot on connections of Accord's own (several at once,
each a range of the table's pages); elsewhere through the ORM. The rescore reads events and contacts
with it, the backtest the contacts' profiles; the columns come from `facts`."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import polars as pl
import psycopg
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from accord.core import reading
from accord.core.bulk import stamp_text
from accord.scoring.facts import Column

STREAM_DEPTH = 4  # blocks read ahead of the parsing, at most
PART_MIN_PAGES = 64  # a range of a table read apart has at least this many pages (8 kB each)


class Reader:
    """Reads query sets as Polars frames. On PostgreSQL through COPY: outside a transaction on a
    connection of its own, in one REPEATABLE READ snapshot, parsed in blocks as the text streams
    in; inside one (a caller's atomic block, a test) on the same connection, so it sees what the
    transaction wrote, and read in full before anything is written. Elsewhere through the ORM (so
    values convert as the ORM converts them), read in full before anything is written."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.conn: psycopg.Connection[Any] | None = None
        self.own = False
        self.snapshot = ""
        self.conns: list[psycopg.Connection[Any]] = []
        self.streams: list[Stream] = []

    def __enter__(self) -> Reader:
        if self.postgres:
            connection.ensure_connection()
            if connection.in_atomic_block:
                self.conn = connection.connection
            else:
                self.own = True
                self.conn = self._connect()
                row = self.conn.execute("SELECT pg_export_snapshot()").fetchone()
                self.snapshot = str(row[0]) if row else ""
        return self

    def _connect(self, snapshot: str = "") -> psycopg.Connection[Any]:
        """A connection of our own, in a REPEATABLE READ READ ONLY transaction: in `snapshot` when
        given (another connection's exported snapshot), so both read the same data."""
        conn = psycopg.connect(**connection.get_connection_params())
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        if snapshot:
            conn.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])  # the transaction's first statement
        else:
            conn.execute("SELECT 1")  # begins the transaction: every read on this connection is in it
        self.conns.append(conn)
        return conn

    def __exit__(self, *exc: object) -> None:
        for stream in self.streams:
            stream.close()
        for conn in self.conns:
            conn.close()

    def count(self, queryset: QuerySet[Any], *, estimate_above: int | None = None) -> int:
        """How many rows `queryset` has. With `estimate_above`, PostgreSQL's own estimate of the
        table's rows when it is above that (counting a large table costs a scan; a progress bar
        needs no exact total), else the exact count."""
        if self.conn is None:
            return queryset.count()
        if estimate_above is not None:
            row = self.conn.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
            ).fetchone()
            if row and row[0] > estimate_above:
                return int(row[0])
        sql, params = queryset.values("pk").query.sql_with_params()
        found = self.conn.execute(f"SELECT count(*) FROM ({sql}) AS counted", params).fetchone()
        return int(found[0]) if found else 0

    def frame(self, queryset: QuerySet[Any], columns: list[Column], *, parts: int = 1) -> pl.DataFrame:
        """All the rows of `queryset` as one frame of `columns` (see `frames`)."""
        return reading.concat_frames(self.frames(queryset, columns, parts=parts), schema(columns))

    def frames(
        self,
        queryset: QuerySet[Any],
        columns: list[Column],
        *,
        rows: int | None = None,
        early: bool = False,
        parts: int = 1,
    ) -> Iterator[pl.DataFrame]:
        """The rows of `queryset` as frames of `columns`: blocks of `rows` rows when given.

        On connections of our own: with `early`, the rows start streaming at once, on another
        connection (in the same snapshot), while the first one is used for other reads; with
        `parts`, the table is read in that many ranges of its pages at once, each on a
        connection of its own, in no particular order."""
        if self.conn is not None and self.own:
            sources = []
            for index, part in enumerate(self._parts(queryset, parts)):
                conn = self.conn if index == 0 and not early else self._connect(self.snapshot)
                sources.append((conn, self._statement(part, columns, conn)))
            stream = Stream(sources)
            self.streams.append(stream)
            blocks = reading.csv_frames(stream, schema(columns))
        else:
            found = (
                self._postgres_frames(queryset, columns)
                if self.conn is not None
                else self._orm_frames(queryset, columns)
            )
            # One connection reads and writes, and it isolates nothing between its own statements:
            # read it all before writing.
            blocks = iter(list(found))
        return reading.rechunk(blocks, rows) if rows is not None else blocks

    def _parts(self, queryset: QuerySet[Any], parts: int) -> list[QuerySet[Any]]:
        """`queryset` split into `parts` ranges of its table's pages (by ctid), the last one open."""
        if parts <= 1 or self.conn is None:
            return [queryset]
        table = queryset.model._meta.db_table
        row = self.conn.execute(
            "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::bigint", [table]
        ).fetchone()
        pages = int(row[0]) if row else 0
        if pages < parts * PART_MIN_PAGES:
            return [queryset]
        bounds = [pages * i // parts for i in range(parts)]
        found = []
        for index, low in enumerate(bounds):
            ctid = f'"{table}".ctid'
            if index + 1 < len(bounds):
                sql, params = f"{ctid} >= %s::tid AND {ctid} < %s::tid", [f"({low},0)", f"({bounds[index + 1]},0)"]
            else:
                sql, params = f"{ctid} >= %s::tid", [f"({low},0)"]
            found.append(queryset.filter(RawSQL(sql, params, output_field=BooleanField())))
        return found

    def _statement(self, queryset: QuerySet[Any], columns: list[Column], conn: psycopg.Connection[Any]) -> bytes:
        annotations = {f"_{c.name}": RawSQL(c.sql, ()) for c in columns if c.sql}
        paths = [f"_{c.name}" if c.sql else c.path for c in columns]
        sql, params = queryset.annotate(**annotations).values_list(*paths).query.sql_with_params()
        return reading.copy_statement(conn, sql, params)

    def _postgres_frames(self, queryset: QuerySet[Any], columns: list[Column]) -> Iterator[pl.DataFrame]:
        assert self.conn is not None
        rows = reading.copy_rows(self.conn, self._statement(queryset, columns, self.conn))
        return reading.csv_frames(rows, schema(columns))

    def _orm_frames(self, queryset: QuerySet[Any], columns: list[Column]) -> Iterator[pl.DataFrame]:
        rows = reading.FETCH_ROWS
        paths = [c.path for c in columns]
        converters = [c.convert if not c.stamp else stamp_text for c in columns]
        schema = {
            c.name: (pl.String if c.stamp else c.dtype if c.dtype != pl.Categorical else pl.String) for c in columns
        }
        batch: list[tuple[Any, ...]] = []
        for row in queryset.values_list(*paths).iterator(chunk_size=min(rows, 2000)):
            batch.append(tuple(v if f is None else f(v) for v, f in zip(row, converters, strict=True)))
            if len(batch) >= rows:
                yield _cast(pl.DataFrame(batch, schema=schema, orient="row"), columns)
                batch = []
        if batch:
            yield _cast(pl.DataFrame(batch, schema=schema, orient="row"), columns)


def schema(columns: list[Column]) -> dict[str, Any]:
    """The frame's schema of `columns` (`core.reading`)."""
    return {c.name: c.dtype for c in columns}


_END = object()


class Stream:
    """The text of one or more COPY statements (each on a connection of its own), read by a
    thread each into one short queue, so that PostgreSQL keeps sending while the rows already here
    are parsed and scored (Polars works outside the GIL). Blocks hold whole rows; at most
    STREAM_DEPTH of them wait in the queue: memory stays bounded. With several statements, their
    blocks interleave."""

    def __init__(self, sources: list[tuple[psycopg.Connection[Any], bytes]]) -> None:
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=STREAM_DEPTH)
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._read, args=source, daemon=True) for source in sources]
        for thread in self.threads:
            thread.start()

    def _read(self, conn: psycopg.Connection[Any], statement: bytes) -> None:
        try:
            for text in reading.copy_rows(conn, statement):
                if not self._put(text):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def _put(self, item: Any) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[bytes]:
        running = len(self.threads)
        while running:
            item = self.queue.get()
            if item is _END:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item

    def close(self) -> None:
        """Stop reading (the connections are closed after: a COPY may be left unfinished)."""
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=5)


def _cast(frame: pl.DataFrame, columns: list[Column]) -> pl.DataFrame:
    return frame.with_columns(pl.col(c.name).cast(pl.Categorical) for c in columns if c.dtype == pl.Categorical)
