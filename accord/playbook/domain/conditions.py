"""The condition language of the playbook: small, declarative, evaluated by pure code.

A condition is one of
    {"all": [condition, ...]}    every part holds (an empty list holds)
    {"any": [condition, ...]}    at least one part holds (an empty list does not)
    {"not": condition}           the part does not hold
    {"field": "account.employees", "op": "gte", "value": 50}
                                 a comparison of one fact with a literal

Facts are a flat mapping of dotted names to values ("contact.title" -> "VP Sales").
Custom properties are reached as "contact.properties.<key>". Text is compared without
regard to case. A missing fact never matches a positive comparison (eq, lt, in, contains…)
and always matches its negation (ne, not_in, not_contains). Nothing here calls `eval`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class Op(enum.StrEnum):
    EQ = "eq"  # equal to the value
    NE = "ne"  # not equal to the value (a missing fact is not equal)
    LT = "lt"  # less than (numbers)
    LTE = "lte"  # less than or equal (numbers)
    GT = "gt"  # greater than (numbers)
    GTE = "gte"  # greater than or equal (numbers)
    IN = "in"  # equal to one of a list of values
    NOT_IN = "not_in"  # equal to none of a list of values
    CONTAINS = "contains"  # text contains the value, or a list holds it
    NOT_CONTAINS = "not_contains"  # the opposite of contains
    STARTS_WITH = "starts_with"  # text starts with the value
    ENDS_WITH = "ends_with"  # text ends with the value
    IS_SET = "is_set"  # the fact has a non-empty value (takes no value)
    IS_NOT_SET = "is_not_set"  # the fact is missing or empty (takes no value)


SYMBOLS: dict[Op, str] = {
    Op.EQ: "=",
    Op.NE: "≠",
    Op.LT: "<",
    Op.LTE: "≤",
    Op.GT: ">",
    Op.GTE: "≥",
    Op.IN: "is one of",
    Op.NOT_IN: "is none of",
    Op.CONTAINS: "contains",
    Op.NOT_CONTAINS: "does not contain",
    Op.STARTS_WITH: "starts with",
    Op.ENDS_WITH: "ends with",
    Op.IS_SET: "is set",
    Op.IS_NOT_SET: "is not set",
}


class FieldType(enum.StrEnum):
    TEXT = "text"  # a string
    NUMBER = "number"  # an int or a float
    BOOL = "bool"  # true or false
    ANY = "any"  # a custom property: whatever was stored


_OPS_FOR: dict[FieldType, frozenset[Op]] = {
    FieldType.TEXT: frozenset(Op) - {Op.LT, Op.LTE, Op.GT, Op.GTE},
    FieldType.NUMBER: frozenset(
        {Op.EQ, Op.NE, Op.LT, Op.LTE, Op.GT, Op.GTE, Op.IN, Op.NOT_IN, Op.IS_SET, Op.IS_NOT_SET}
    ),
    FieldType.BOOL: frozenset({Op.EQ, Op.NE, Op.IS_SET, Op.IS_NOT_SET}),
    FieldType.ANY: frozenset(Op),
}

_NO_VALUE = frozenset({Op.IS_SET, Op.IS_NOT_SET})
_LIST_VALUE = frozenset({Op.IN, Op.NOT_IN})
_NUMERIC = frozenset({Op.LT, Op.LTE, Op.GT, Op.GTE})
_TEXTUAL = frozenset({Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH})
_COMPARISON_KEYS = frozenset({"field", "op", "value"})


@dataclass(frozen=True)
class Vocabulary:
    """The facts a condition may name: exact names, and prefixes for open-ended properties."""

    fields: Mapping[str, FieldType]
    open_prefixes: tuple[str, ...] = ()

    def type_of(self, name: str) -> FieldType | None:
        if name in self.fields:
            return self.fields[name]
        for prefix in self.open_prefixes:
            if name.startswith(prefix) and len(name) > len(prefix):
                return FieldType.ANY
        return None

    def names(self) -> list[str]:
        return sorted(self.fields) + [f"{p}<key>" for p in self.open_prefixes]


# --------------------------------------------------------------------------- validation


def validate(condition: Any, vocabulary: Vocabulary, path: str) -> list[tuple[str, str]]:
    """Every problem with `condition` as (path, message); an empty list means it is valid."""
    errors: list[tuple[str, str]] = []
    _validate(condition, vocabulary, path, errors)
    return errors


def _validate(node: Any, vocab: Vocabulary, path: str, errors: list[tuple[str, str]]) -> None:
    if not isinstance(node, Mapping):
        errors.append((path, f"a condition must be a mapping, not {_kind(node)}"))
        return
    keys = set(node)
    for combinator in ("all", "any"):
        if combinator in keys:
            extra = sorted(keys - {combinator})
            if extra:
                errors.append((path, f"unknown field {extra[0]!r} beside {combinator!r}"))
            parts = node[combinator]
            if not isinstance(parts, list):
                errors.append((f"{path}.{combinator}", f"must be a list of conditions, not {_kind(parts)}"))
                return
            for index, part in enumerate(parts):
                _validate(part, vocab, f"{path}.{combinator}[{index}]", errors)
            return
    if "not" in keys:
        extra = sorted(keys - {"not"})
        if extra:
            errors.append((path, f"unknown field {extra[0]!r} beside 'not'"))
        _validate(node["not"], vocab, f"{path}.not", errors)
        return
    unknown = sorted(str(k) for k in keys - _COMPARISON_KEYS)
    if unknown:
        errors.append((path, f"unknown field {unknown[0]!r}; a condition has all, any, not or field/op/value"))
        return
    if "field" not in node:
        errors.append((path, "missing 'field'"))
        return
    name = node["field"]
    if not isinstance(name, str):
        errors.append((f"{path}.field", f"must be text, not {_kind(name)}"))
        return
    ftype = vocab.type_of(name)
    if ftype is None:
        errors.append((f"{path}.field", f"unknown field {name!r}; known fields: {', '.join(vocab.names())}"))
        return
    if "op" not in node:
        errors.append((path, "missing 'op'"))
        return
    try:
        op = Op(node["op"])
    except (ValueError, TypeError):
        errors.append((f"{path}.op", f"unknown operator {node['op']!r}; choose from {', '.join(Op)}"))
        return
    if op not in _OPS_FOR[ftype]:
        errors.append((f"{path}.op", f"operator {op.value!r} does not apply to {ftype.value} field {name!r}"))
        return
    if op in _NO_VALUE:
        if "value" in node:
            errors.append((f"{path}.value", f"operator {op.value!r} takes no value"))
        return
    if "value" not in node:
        errors.append((path, f"missing 'value' for operator {op.value!r}"))
        return
    value = node["value"]
    if op in _LIST_VALUE:
        if not isinstance(value, list) or not value:
            errors.append((f"{path}.value", f"operator {op.value!r} needs a non-empty list"))
            return
        for index, item in enumerate(value):
            problem = _literal_problem(item, ftype, op)
            if problem:
                errors.append((f"{path}.value[{index}]", problem))
        return
    problem = _literal_problem(value, ftype, op)
    if problem:
        errors.append((f"{path}.value", problem))


def _literal_problem(value: Any, ftype: FieldType, op: Op) -> str | None:
    if value is None:
        return "must not be empty; use is_set / is_not_set to test for a missing value"
    if op in _NUMERIC or ftype is FieldType.NUMBER:
        if not _is_number(value):
            return f"must be a number, not {_kind(value)}"
        if not math.isfinite(value):
            return "must be a finite number"
        return None
    if op in _TEXTUAL:
        return None if isinstance(value, str) and value else "must be non-empty text"
    if ftype is FieldType.TEXT:
        return None if isinstance(value, str) else f"must be text, not {_kind(value)}"
    if ftype is FieldType.BOOL:
        return None if isinstance(value, bool) else f"must be true or false, not {_kind(value)}"
    if isinstance(value, (str, bool)) or _is_number(value):
        return None
    return f"must be text, a number or true/false, not {_kind(value)}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --------------------------------------------------------------------------- evaluation


def lookup(facts: Mapping[str, Any], name: str) -> Any:
    """The value of a dotted fact, reaching into a properties mapping when needed."""
    if name in facts:
        return facts[name]
    head, _, key = name.rpartition(".")
    while head:
        container = facts.get(head)
        if isinstance(container, Mapping):
            return container.get(key)
        head, _, rest = head.rpartition(".")
        key = f"{rest}.{key}"
    return None


def evaluate(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether a validated `condition` holds for `facts`."""
    if "all" in condition:
        return all(evaluate(part, facts) for part in condition["all"])
    if "any" in condition:
        return any(evaluate(part, facts) for part in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], facts)
    return compare(lookup(facts, condition["field"]), Op(condition["op"]), condition.get("value"))


def compare(actual: Any, op: Op, expected: Any) -> bool:
    if op is Op.IS_SET:
        return not _is_empty(actual)
    if op is Op.IS_NOT_SET:
        return _is_empty(actual)
    if op is Op.NE:
        return not compare(actual, Op.EQ, expected)
    if op is Op.NOT_IN:
        return not compare(actual, Op.IN, expected)
    if op is Op.NOT_CONTAINS:
        return not compare(actual, Op.CONTAINS, expected)
    if _is_empty(actual):
        return False
    if op is Op.EQ:
        return _equal(actual, expected)
    if op is Op.IN:
        return any(_equal(actual, item) for item in expected)
    if op in _NUMERIC:
        number = _as_number(actual)
        if number is None:
            return False
        if op is Op.LT:
            return number < expected
        if op is Op.LTE:
            return number <= expected
        if op is Op.GT:
            return number > expected
        return number >= expected
    if op is Op.CONTAINS:
        if isinstance(actual, (list, tuple, set, frozenset)):
            return any(_equal(item, expected) for item in actual)
        return _fold(expected) in _fold(actual)
    if op is Op.STARTS_WITH:
        return _fold(actual).startswith(_fold(expected))
    if op is Op.ENDS_WITH:
        return _fold(actual).endswith(_fold(expected))
    raise AssertionError(f"unhandled operator {op}")  # pragma: no cover


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (list, tuple, set, frozenset, Mapping)):
        return len(value) == 0
    return False


def _fold(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).casefold()


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool):
        if isinstance(actual, str):
            return actual.strip().casefold() == ("true" if expected else "false")
        return isinstance(actual, bool) and actual is expected
    if isinstance(actual, bool):
        return isinstance(expected, str) and expected.strip().casefold() == ("true" if actual else "false")
    if _is_number(expected):
        number = _as_number(actual)
        return number is not None and number == expected
    return _fold(actual) == _fold(expected)


# --------------------------------------------------------------------------- explanation


@dataclass(frozen=True)
class Trace:
    """The outcome of one part of a condition, for explaining why a rule did or did not hold."""

    text: str
    ok: bool
    actual: Any = None
    parts: tuple[Trace, ...] = field(default_factory=tuple)

    def unmet(self) -> list[Trace]:
        """The comparisons that made this condition fail (empty when it holds)."""
        if self.ok:
            return []
        if not self.parts:
            return [self]
        return [leaf for part in self.parts for leaf in part.unmet()] or [self]

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "ok": self.ok}
        if not self.parts:
            data["actual"] = self.actual
        else:
            data["parts"] = [part.as_dict() for part in self.parts]
        return data


def trace(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> Trace:
    if "all" in condition:
        parts = tuple(trace(part, facts) for part in condition["all"])
        return Trace("all of", all(p.ok for p in parts), parts=parts)
    if "any" in condition:
        parts = tuple(trace(part, facts) for part in condition["any"])
        return Trace("any of", any(p.ok for p in parts), parts=parts)
    if "not" in condition:
        inner = trace(condition["not"], facts)
        return Trace("not", not inner.ok, parts=(inner,))
    actual = lookup(facts, condition["field"])
    ok = compare(actual, Op(condition["op"]), condition.get("value"))
    return Trace(describe(condition), ok, actual)


def describe(condition: Mapping[str, Any]) -> str:
    """A one-line reading of a condition, e.g. 'account.employees ≥ 50 and (… or …)'."""
    if "all" in condition:
        parts = condition["all"]
        return " and ".join(_grouped(p) for p in parts) if parts else "always"
    if "any" in condition:
        parts = condition["any"]
        return " or ".join(_grouped(p) for p in parts) if parts else "never"
    if "not" in condition:
        return f"not {_grouped(condition['not'])}"
    op = Op(condition["op"])
    text = f"{condition['field']} {SYMBOLS[op]}"
    if op in _NO_VALUE:
        return text
    return f"{text} {_literal(condition['value'])}"


def _grouped(condition: Mapping[str, Any]) -> str:
    text = describe(condition)
    composite = ("all" in condition and len(condition["all"]) > 1) or ("any" in condition and len(condition["any"]) > 1)
    return f"({text})" if composite else text


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)
