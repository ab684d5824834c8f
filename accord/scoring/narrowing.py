"""Which events to read: SQL that holds for every event some interest rule could match.

The rescore and the backtest read millions of events; most of them no rule matches. `event_filter`
states the rules in SQL as a *superset* — an event it leaves out is one no rule matches — cheap
for the database to decide, and the rules themselves (`frames.event_hits`, `replay.kind_hits`)
decide afterwards which match exactly.

Text is compared as the condition language compares it, after `str.casefold()`. For ASCII text
that is ASCII lower-casing, which the database's `lower()` does (on PostgreSQL under the "C"
collation, so a byte at a time whatever the locale; SQLite's built-in `lower()` folds ASCII
only); text with any other character is always let through (more bytes than characters, in
UTF-8) and Python decides. So a rule's event name or a `when` comparison becomes
`lower(column) = 'literal folded' OR the column is not ASCII`. A literal that is not ASCII can
only match text that is not ASCII either. Negations, numbers and properties cannot be narrowed
this way: they let every event of the rule's kind through. On PostgreSQL in another encoding
than UTF-8 non-ASCII text cannot be told apart, and nothing is narrowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from accord.playbook.domain.conditions import Op, _fold  # the case folding conditions compare with
from accord.scoring import domain, facts
from accord.tracking.models import Event

Sql = tuple[str, list[Any]]
NEVER = "1 = 0"  # SQL that holds for no row (an `any` of nothing)

_PATTERNS = {Op.STARTS_WITH: "{}%", Op.ENDS_WITH: "%{}", Op.CONTAINS: "%{}%"}
_TEXT_OPS = frozenset({Op.EQ, Op.IN, Op.IS_SET, *_PATTERNS})


def narrow(events: QuerySet[Event], rules: Sequence[domain.InterestRule]) -> QuerySet[Event]:
    """`events` without those none of `rules` can match (`event_filter`)."""
    found = event_filter(rules)
    return events if found is None else events.filter(RawSQL(*found, output_field=BooleanField()))


def event_filter(rules: Sequence[domain.InterestRule]) -> Sql | None:
    """SQL for the default database, over the event table's columns (qualified by its name), that
    holds for every event one of `rules` matches (and perhaps for others); None where the
    database cannot narrow (every event is read)."""
    return _compile(rules, _Columns(connection.vendor)) if can_narrow() else None


def can_narrow() -> bool:
    """Whether the default database tells non-ASCII text apart: SQLite always; PostgreSQL in UTF-8."""
    return connection.vendor != "postgresql" or _server_encoding() == "UTF8"


def _server_encoding() -> str | None:
    """PostgreSQL's encoding, as the server reports it when a connection starts (no query)."""
    connection.ensure_connection()
    return connection.connection.info.parameter_status("server_encoding")


class _Columns:
    """A database's SQL for the event columns: lower-cased in ASCII, and non-ASCII."""

    def __init__(self, vendor: str) -> None:
        self.postgres = vendor == "postgresql"

    def column(self, fact: str) -> str:
        quote = connection.ops.quote_name
        return f"{quote(Event._meta.db_table)}.{quote(facts.db_column(Event, facts.EVENT[fact].path))}"

    def lowered(self, column: str) -> str:
        return f'lower({column} COLLATE "C")' if self.postgres else f"lower({column})"

    def other(self, column: str) -> str:
        """SQL that holds when the column's text has a character that is not ASCII."""
        if self.postgres:
            return f"octet_length({column}) <> char_length({column})"
        return f"length(CAST({column} AS BLOB)) <> length({column})"


def _compile(rules: Sequence[domain.InterestRule], columns: _Columns) -> Sql:
    """SQL that holds for every event one of `rules` matches. Rules that read only a track
    event's name share one `IN`; the same SQL is stated once."""
    kind = columns.column("event.type")
    parts: dict[tuple[str, tuple[Any, ...]], None] = {}
    names: set[str] = set()  # track events read by name alone
    for rule in rules:
        when = _condition(rule.when, columns) if rule.when is not None else None
        if rule.event not in domain.EVENT_TYPES and when is None:
            names.add(_fold(rule.event))
            continue
        if rule.event in domain.EVENT_TYPES:
            sql, params = f"{kind} = %s", [rule.event]
        else:
            named = _text(columns, "event.name", Op.EQ, rule.event)
            sql, params = f"{kind} = %s AND {named[0]}", ["track", *named[1]]
        if when is not None:
            sql, params = f"{sql} AND ({when[0]})", params + when[1]
        parts[sql, tuple(params)] = None
    if names:
        name = columns.column("event.name")
        ascii_names = sorted(n for n in names if n.isascii())
        other = columns.other(name)
        marks = ", ".join(["%s"] * len(ascii_names))
        test = f"{columns.lowered(name)} IN ({marks}) OR {other}" if ascii_names else other
        parts[f"{kind} = %s AND ({test})", ("track", *ascii_names)] = None
    if not parts:
        return NEVER, []
    return _joined(" OR ", [(sql, list(params)) for sql, params in parts])


def _condition(condition: Mapping[str, Any], columns: _Columns) -> Sql | None:
    """SQL that holds whenever `condition` over event facts holds, or None for "always"."""
    if "all" in condition:
        parts = [found for part in condition["all"] if (found := _condition(part, columns)) is not None]
        return _joined(" AND ", parts) if parts else None
    if "any" in condition:
        alternatives = []
        for part in condition["any"]:
            found = _condition(part, columns)
            if found is None:
                return None
            alternatives.append(found)
        return _joined(" OR ", alternatives) if alternatives else (NEVER, [])  # an empty `any` never holds
    if "not" in condition:
        return None
    fact, op, value = condition["field"], Op(condition["op"]), condition.get("value")
    if fact not in facts.EVENT or fact in facts.PROPERTY_FACTS or op not in _TEXT_OPS:
        return None
    if op is Op.IS_SET:
        return f"{columns.column(fact)} <> ''", []  # blank text is not set either: Python decides
    values = list(value) if op is Op.IN and isinstance(value, list) else [value]
    texts = [v for v in values if isinstance(v, str)]
    if not texts or len(texts) < len(values):
        return None
    return _joined(" OR ", [_text(columns, fact, Op.EQ if op is Op.IN else op, v) for v in texts])


def _text(columns: _Columns, fact: str, op: Op, expected: str) -> Sql:
    """SQL that holds for every text `conditions.compare(text, op, expected)` holds for (EQ,
    STARTS_WITH, ENDS_WITH, CONTAINS): ASCII text lower-cased and compared, any other text kept."""
    column = columns.column(fact)
    other = columns.other(column)
    folded = _fold(expected)
    if not folded.isascii():
        return f"({other})", []  # ASCII text folds to ASCII: only other text can match
    if op is Op.EQ:
        return f"({columns.lowered(column)} = %s OR {other})", [folded]
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"({columns.lowered(column)} LIKE %s ESCAPE '\\' OR {other})", [_PATTERNS[op].format(escaped)]


def _joined(operator: str, parts: Sequence[Sql]) -> Sql:
    return operator.join(f"({sql})" for sql, _ in parts), [p for _, params in parts for p in params]
