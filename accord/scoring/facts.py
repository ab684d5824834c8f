"""The facts the vectorised readers load, in one registry: for each fact a condition may name
(`playbook.domain.vocabulary`), where it is stored (an ORM path from the contact or the event),
its type in a Polars frame, whether text is categorical (few distinct values: a comparison runs
once per value, `frames.distinct_values`) or varied (about one value per contact: plain text),
and how a derived fact is computed. The scores (`score.*`, `contact.persona`) are not read: the rescore
and the replay compute them (`frames`).

The rescore and the backtest read contacts and events with these columns (`profile_columns`,
`event_columns`, then `derive`), the SQL narrowing names event columns by it (`narrowing`), and
a property test pins `contacts.queries.contact_facts` — the facts of one contact, in Python — to
what these columns give for the same contact, fact by fact.

Derived facts: `contact.email_domain` is the text after the email's last "@" (the whole email
without one; "" without an email), as `Contact.email_domain`; `contact.days_in_stage` is whole
days since `stage_changed_at`, rounded down — `(now - stage_changed_at).days` — from the time in
microseconds, so the division is exact; `contact.nurture_stopped` is whether the contact is on an
open or a won deal (marketing stops nurturing once sales has an opportunity).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
import polars as pl
from django.db.models import Field

from accord.contacts.models import Contact
from accord.playbook.domain.vocabulary import ACCOUNT_FIELDS, CONTACT_FIELDS, EVENT_FIELDS
from accord.scoring import domain

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)
DAY_MICROSECONDS = 86_400_000_000


@dataclass(frozen=True)
class Column:
    """One column to read: its frame name, the ORM path, its type; `sql` replaces the path on
    PostgreSQL (read through COPY); `convert` turns an ORM value into the frame's value elsewhere;
    `stamp` keeps a datetime as the database's own text, to compare it in an UPDATE."""

    name: str
    path: str
    dtype: Any
    sql: str | None = None
    convert: Callable[[Any], Any] | None = None
    stamp: bool = False


def json_text(value: Any) -> str | None:
    """A JSON value as the frame holds it: JSON text."""
    return None if value is None else orjson.dumps(value).decode()


def _decimal(value: Any) -> float | None:
    """A DecimalField value as `contact_facts` reads it: float(Decimal)."""
    return None if value is None else float(value)


@dataclass(frozen=True)
class Fact:
    """Where a stored fact is read from and how it is typed."""

    path: str  # ORM path from Contact (profile facts) or Event (event facts)
    dtype: Any  # its type in a frame
    convert: Callable[[Any], Any] | None = None  # an ORM value to the frame's value

    def column(self, name: str) -> Column:
        return Column(name, self.path, self.dtype, convert=self.convert)


def _category(path: str) -> Fact:
    return Fact(path, pl.Categorical)


def _varied(path: str) -> Fact:
    return Fact(path, pl.String)


# Profile facts stored in a column: contact, account, the contact's custom properties as JSON text.
PROFILE: dict[str, Fact] = {
    "contact.email": _varied("email"),
    "contact.first_name": _varied("first_name"),
    "contact.last_name": _varied("last_name"),
    "contact.title": _category("title"),
    "contact.seniority": _category("seniority"),
    "contact.phone": _varied("phone"),
    "contact.country": _category("country"),
    "contact.stage": _category("stage"),
    "contact.consent": Fact("consent", pl.Boolean),
    "contact.owner": _category("owner__email"),
    "contact.forms_submitted": Fact("forms_submitted", pl.Int64),
    "contact.open_deals": Fact("open_deals", pl.Int64),
    "contact.won_deals": Fact("won_deals", pl.Int64),
    "contact.first_source": _category("first_source"),
    "contact.first_medium": _category("first_medium"),
    "contact.first_campaign": _category("first_campaign"),
    "contact.first_offer": _category("first_offer"),
    "contact.last_source": _category("last_source"),
    "contact.last_medium": _category("last_medium"),
    "contact.last_campaign": _category("last_campaign"),
    "contact.last_offer": _category("last_offer"),
    "contact.properties": Fact("properties", pl.String, convert=json_text),
    "account.name": _varied("account__name"),
    "account.domain": _varied("account__domain"),
    "account.industry": _category("account__industry"),
    "account.employees": Fact("account__employees", pl.Int64),
    "account.annual_revenue": Fact("account__annual_revenue", pl.Float64, convert=_decimal),
    "account.country": _category("account__country"),
    "account.owner": _category("account__owner__email"),
    "account.properties": Fact("account__properties", pl.String, convert=json_text),
}

# Profile facts computed from other columns (see the module's docstring): fact -> the columns read.
DERIVED: dict[str, tuple[str, ...]] = {
    "contact.email_domain": ("contact.email",),
    "contact.days_in_stage": ("_stage_changed",),
    "contact.nurture_stopped": ("contact.open_deals", "contact.won_deals"),
}

# Event facts; the page's URL and referrer and the properties are too varied to be categories.
EVENT: dict[str, Fact] = {
    "event.type": _category("type"),
    "event.name": _category("name"),
    "event.url": _varied("url"),
    "event.path": _category("path"),
    "event.referrer": _varied("referrer"),
    "event.utm_source": _category("utm_source"),
    "event.utm_medium": _category("utm_medium"),
    "event.utm_campaign": _category("utm_campaign"),
    "event.properties": Fact("properties", pl.String, convert=json_text),
}
PROPERTY_FACTS = frozenset({"contact.properties", "account.properties", "event.properties"})

# Every fact a condition may name has its column.
assert set(PROFILE) | set(DERIVED) == {*CONTACT_FIELDS, *ACCOUNT_FIELDS, "contact.properties", "account.properties"}
assert set(EVENT) == {*EVENT_FIELDS, "event.properties"}


def profile_columns(facts: Iterable[str]) -> list[Column]:
    """The columns to read for the profile facts in `facts` (as `frames.columns_of` names them:
    properties by their column), by name; `derive` then adds the derived facts."""
    wanted = set(facts)
    for fact in wanted & set(DERIVED):
        wanted |= set(DERIVED[fact])
    columns = []
    for name in sorted(wanted - set(DERIVED)):
        if name == "_stage_changed":
            columns.append(_micros(name, "stage_changed_at"))
        elif name in PROFILE:
            columns.append(PROFILE[name].column(name))
        else:
            raise ValueError(f"no column holds the profile fact {name!r}")
    return columns


def derive(frame: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """`frame` with the derived facts its columns give (and without the columns only they read)."""
    extra = []
    if "contact.email" in frame.columns:
        # email.rpartition("@")[2] when there is an email (the whole text without an @), else ""
        domain_of = pl.col("contact.email").fill_null("").str.split("@").list.last()
        extra.append(domain_of.cast(pl.Categorical).alias("contact.email_domain"))
    if "_stage_changed" in frame.columns:
        since = (now - EPOCH) // MICROSECOND
        extra.append(((since - pl.col("_stage_changed")) // DAY_MICROSECONDS).alias("contact.days_in_stage"))
    if "contact.open_deals" in frame.columns and "contact.won_deals" in frame.columns:
        opened = (pl.col("contact.open_deals") > 0) | (pl.col("contact.won_deals") > 0)
        extra.append(opened.alias("contact.nurture_stopped"))
    return frame.with_columns(extra).drop("_stage_changed", strict=False) if extra else frame


def event_columns(facts: Iterable[str]) -> list[Column]:
    """The columns to read for the event facts in `facts`, by name."""
    return [EVENT[name].column(name) for name in sorted(facts)]


def db_column(model: Any, name: str) -> str:
    """The database column of a model's field."""
    found = model._meta.get_field(name)
    assert isinstance(found, Field) and found.column, f"{name} is not a column"
    return str(found.column)


def day_column(path: str, model: Any) -> Column:
    """`day`: the UTC day number (`domain.day_number`) of a datetime column."""
    column = f'"{model._meta.db_table}"."{db_column(model, path)}"'
    sql = f"({column} AT TIME ZONE 'UTC')::date - DATE '1970-01-01'"
    return Column("day", path, pl.Int32, sql=sql, convert=domain.day_number)


def _micros(name: str, path: str) -> Column:
    """A datetime column as microseconds since 1970 (UTC)."""
    column = f'"{Contact._meta.db_table}"."{db_column(Contact, path)}"'
    sql = f"(EXTRACT(EPOCH FROM {column}) * 1000000)::bigint"
    return Column(name, path, pl.Int64, sql=sql, convert=lambda v: None if v is None else (v - EPOCH) // MICROSECOND)
