"""Exports: contacts and accounts as CSV, in Accord's own columns or in the columns HubSpot's and
Salesforce's importers read (the tables are in `domain/exports.py`; see docs/exports.md).

`contacts_export` and `accounts_export` check the role, count the rows the filters match and
write the audit row, then hand back an `Export` that reads the rows when it is iterated: in id
order, `chunk_size` at a time from one cursor (server-side on PostgreSQL), with one more query
per chunk for the stage history the columns need. Nothing is loaded whole, so a million rows
take the memory of one chunk.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.contacts.models import Account, Contact
from accord.contacts.queries import account_list, contact_list
from accord.core import audit, clock
from accord.core.bulk import value_chunks
from accord.imports.domain import exports as domain
from accord.imports.domain.columns import Format, RecordObject
from accord.lifecycle.queries import first_entries
from accord.scoring.queries import heating_up

CHUNK_SIZE = 2_000  # rows read, written and looked up in the stage history at a time
HEATING_LIMIT = 1_000  # "heating up": the fastest-rising contacts, as many as the contacts list takes

Progress = Callable[[int, int], None]  # (rows written, rows in all)


@dataclass(frozen=True)
class ContactFilters:
    """The contacts list's filters (its sort and page aside: an export is every row, in id order)."""

    search: str = ""
    stage: str = ""  # a stage key, or "none" for contacts without a stage
    owner_id: int | None = None
    account_id: int | None = None
    unowned: bool = False
    quadrant: str = ""
    heating: bool = False

    def given(self) -> dict[str, Any]:
        """The filters that narrow the export, for its audit row."""
        return {name: value for name, value in asdict(self).items() if value not in ("", None, False)}


@dataclass(frozen=True)
class AccountFilters:
    search: str = ""
    industry: str = ""

    def given(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value}


@dataclass
class Export:
    """One export, allowed and audited. Iterating `csv()` reads the rows; it can be done once."""

    record: RecordObject
    format: Format
    header: tuple[str, ...]
    total: int  # the rows the filters matched when the export started
    _chunks: Callable[[], Iterator[list[list[Any]]]]
    written: int = field(default=0, init=False)

    @property
    def filename(self) -> str:
        kind = "contacts" if self.record is RecordObject.CONTACT else "accounts"
        return f"accord-{kind}-{self.format}-{clock.now():%Y-%m-%d}.csv"

    def csv(self, *, progress: Progress | None = None) -> Iterator[str]:
        """The file as text: the header line, then one piece per chunk of rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.header)
        yield _take(buffer)
        for chunk in self._chunks():
            writer.writerows(chunk)
            self.written += len(chunk)
            if progress is not None:
                progress(self.written, self.total)
            yield _take(buffer)

    def write(self, out: TextIO, *, progress: Progress | None = None) -> int:
        for text in self.csv(progress=progress):
            out.write(text)
        return self.written


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text


# --- contacts --------------------------------------------------------------------------------------


def contact_rows(filters: ContactFilters) -> QuerySet[Contact]:
    """The contacts an export with these filters writes: the contacts list's, without erased
    contacts (a tombstone has nobody's data to export), in id order."""
    contacts = contact_list(
        search=filters.search,
        stage=filters.stage,
        owner_id=filters.owner_id,
        account_id=filters.account_id,
        unowned=filters.unowned,
    )
    if filters.quadrant:
        contacts = contacts.filter(score__quadrant=filters.quadrant)
    if filters.heating:
        contacts = contacts.filter(pk__in=[contact.pk for contact, _ in heating_up(limit=HEATING_LIMIT)])
    return contacts.filter(erased_at__isnull=True).order_by("pk")


def contacts_export(
    *,
    filters: ContactFilters,
    format: Format,
    acting_user: User | None,
    chunk_size: int = CHUNK_SIZE,
) -> Export:
    """Contacts as CSV in `format`. One audit row (`contacts_export`) with the format, the filters
    and the number of rows; None as the acting user is Accord itself (the command line)."""
    require(acting_user, Capability.CONTACT_EXPORT)
    return _export(RecordObject.CONTACT, contact_rows(filters), filters.given(), format, acting_user, chunk_size)


# --- accounts --------------------------------------------------------------------------------------


def account_rows(filters: AccountFilters) -> QuerySet[Account]:
    return account_list(search=filters.search, industry=filters.industry).order_by("pk")


def accounts_export(
    *,
    filters: AccountFilters,
    format: Format,
    acting_user: User | None,
    chunk_size: int = CHUNK_SIZE,
) -> Export:
    """Accounts as CSV in `format`; one audit row (`accounts_export`), as for contacts."""
    require(acting_user, Capability.CONTACT_EXPORT)
    return _export(RecordObject.ACCOUNT, account_rows(filters), filters.given(), format, acting_user, chunk_size)


# --- shared ----------------------------------------------------------------------------------------


def _export(
    record: RecordObject,
    rows: QuerySet[Any],
    filters: dict[str, Any],
    format: Format,
    acting_user: User | None,
    chunk_size: int,
) -> Export:
    """The export of `rows` (contacts or accounts) in `format`, audited once before any row leaves."""
    keys = _property_keys(rows) if format is Format.ACCORD else []
    plan = domain.plan(domain.columns(format, record, keys))
    total = rows.count()
    model = "contact" if record is RecordObject.CONTACT else "account"
    audit.record(
        action=f"{model}s_export",
        actor=acting_user,
        object_type=f"contacts.{model}",
        details={"format": format.value, "filters": filters, "rows": total},
    )

    def chunks() -> Iterator[list[list[Any]]]:
        with _reading():
            for chunk in value_chunks(rows.values_list(*plan.fields), chunk_size):
                if not plan.stages:
                    yield [plan.row(values) for values in chunk]
                    continue
                # One query per chunk: when each of its contacts first entered each stage shown.
                entered = first_entries([values[0] for values in chunk], plan.stages)
                yield [plan.row(values, entered.get(values[0])) for values in chunk]

    return Export(record, format, plan.header, total, chunks)


@contextmanager
def _reading() -> Iterator[None]:
    """The rows are read in one transaction: on PostgreSQL the cursor is then a plain server-side
    one (outside a transaction Django declares it WITH HOLD, which copies every row on the server
    first) and, when the export opens the transaction, every query reads one snapshot."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _property_keys(rows: QuerySet[Any]) -> list[str]:
    """Every custom property key the rows hold, in one query over the table."""
    table = rows.model._meta.db_table
    try:
        ids, params = rows.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # the filters rule every row out (`pk__in=[]`)
        return []
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT key FROM {table} AS t, jsonb_object_keys(t.properties) AS key "
            f"WHERE jsonb_typeof(t.properties) = 'object' AND t.id IN ({ids})"
        )
    elif connection.vendor == "sqlite":
        sql = (
            f"SELECT DISTINCT j.key FROM {table} AS t, json_each(t.properties) AS j "
            f"WHERE json_type(t.properties) = 'object' AND t.id IN ({ids})"
        )
    else:
        found: set[str] = set()
        for properties in rows.order_by().values_list("properties", flat=True).iterator(chunk_size=CHUNK_SIZE):
            found.update(properties or {})
        return sorted(found)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(key for (key,) in cursor.fetchall())
