"""The SQL that narrows the events read (`narrowing`) is a superset of what the rules match: for
random interest rules and random events, every event a rule matches in Python
(`InterestRule.matches`, `playbook.domain.conditions`) is among the events the SQL selects, on the
database the tests run on (SQLite by default, PostgreSQL with DATABASE_URL) — and it does leave
out what no rule can match."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.scoring import domain, narrowing
from accord.scoring.domain import Model
from accord.scoring.tests.test_domain import DEFAULT
from accord.tracking.models import Event

NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
MODEL = Model.of(DEFAULT)
TEXTS = [
    "/pricing",
    "/PRICING/plans",
    "/blog/pricing",
    "/Pricing",
    "/priçing",
    "/prıcing",
    "/PRİCING",
    "/STRASSE",
    "/straße",
    "ﬁle",
    "FILE",
    "",
    "  ",
    "a_b",
    "a%b",
    "a\\b",
    "axb",
    "Demo Requested",
    "DEMO REQUESTED",
    "Demo Requeſted",
    "Ｄemo Requested",
    "démo requested",
    "İstanbul",
    "istanbul",
]
EVENT_COLUMNS = ("type", "name", "path", "url", "referrer", "utm_source", "utm_medium", "utm_campaign")


@st.composite
def event_conditions(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    choice = draw(st.integers(0, 5 if depth < 2 else 3))
    if choice >= 4:
        combinator = draw(st.sampled_from(["all", "any", "not"]))
        if combinator == "not":
            return {"not": draw(event_conditions(depth + 1))}
        return {combinator: draw(st.lists(event_conditions(depth + 1), max_size=3))}
    field = draw(
        st.sampled_from(
            ["event.path", "event.url", "event.name", "event.referrer", "event.utm_source", "event.properties.plan"]
        )
    )
    op = draw(
        st.sampled_from(
            ["eq", "ne", "in", "not_in", "starts_with", "ends_with", "contains", "not_contains", "is_set", "is_not_set"]
        )
    )
    if op in ("is_set", "is_not_set"):
        return {"field": field, "op": op}
    text = st.sampled_from([t for t in TEXTS if t.strip()])
    value: Any = draw(st.lists(text, min_size=1, max_size=3)) if op in ("in", "not_in") else draw(text)
    return {"field": field, "op": op, "value": value}


@st.composite
def interest_rules(draw: st.DrawFn) -> list[domain.InterestRule]:
    rules = []
    for index in range(draw(st.integers(1, 3))):
        event = draw(st.sampled_from(["page", "identify", "Demo Requested", "straße", "İstanbul", "a_b", "a%b"]))
        when = draw(st.one_of(st.none(), event_conditions()))
        rules.append(domain.InterestRule(f"r{index}", f"r{index}", event, when, 1, None))
    return rules


def store(rows: list[tuple[Any, ...]]) -> list[int]:
    """Store events (type, name, path, url, referrer, utm source, medium, campaign, properties); their ids."""
    Event.objects.all().delete()
    events = Event.objects.bulk_create(
        Event(
            message_id=f"m{i}",
            message_key=uuid.uuid4(),
            **dict(zip(EVENT_COLUMNS, row[:-1], strict=True)),
            properties=row[-1],
            timestamp=NOW,
            received_at=NOW,
        )
        for i, row in enumerate(rows)
    )
    return [e.pk for e in events]


def matched(rules: list[domain.InterestRule], rows: list[tuple[Any, ...]], ids: list[int]) -> set[int]:
    """The ids of the events one of `rules` matches, in Python."""
    found = set()
    for pk, row in zip(ids, rows, strict=True):
        facts = domain.event_facts(**dict(zip(EVENT_COLUMNS, row[:-1], strict=True)), properties=row[-1])
        if any(rule.matches(facts) for rule in rules):
            found.add(pk)
    return found


def selected(rules: list[domain.InterestRule]) -> set[int]:
    return set(narrowing.narrow(Event.objects.all(), rules).values_list("pk", flat=True))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rules=interest_rules(),
    rows=st.lists(
        st.tuples(
            st.sampled_from(["page", "track", "identify"]),
            *[st.sampled_from(TEXTS)] * 7,
            st.one_of(st.just({}), st.fixed_dictionaries({"plan": st.sampled_from(TEXTS)})),
        ),
        min_size=1,
        max_size=25,
    ),
)
def test_the_database_selects_every_event_a_rule_matches(db: Any, rules: list[domain.InterestRule], rows: Any) -> None:
    ids = store(rows)
    assert matched(rules, rows, ids) <= selected(rules)


@pytest.mark.django_db
def test_every_text_comparison_selects_every_text_it_holds_for() -> None:
    """Every operator narrowed, every value against every text, exhaustively: the case-folding
    twins ("ﬁle" and "FILE", "/straße" and "/STRASSE", "Demo Requeſted" and "demo requested")
    included, in the path of a page, the name of a track event and a rule's event name."""
    rows = [(kind, text, text, "", "", "", "", "", {}) for kind in ("track", "page") for text in TEXTS]
    ids = store(rows)
    checked = 0
    for value in [t for t in TEXTS if t.strip()]:
        rules = [domain.InterestRule("n", "n", value, None, 1, None)]
        for op in ("eq", "in", "starts_with", "ends_with", "contains", "is_set"):
            for field in ("event.path", "event.name"):
                when = {"field": field, "op": op} | (
                    {} if op == "is_set" else {"value": [value] if op == "in" else value}
                )
                rules.append(domain.InterestRule(f"{op} {field}", "", "page", when, 1, None))
        for rule in rules:
            found = matched([rule], rows, ids)
            assert found <= selected([rule]), (rule.event, rule.when)
            checked += len(found)
    assert checked > 1000


OTHER = {"/priçing", "/prıcing", "/PRİCING", "/straße", "ﬁle", "Demo Requeſted", "Ｄemo Requested", "démo requested",
         "İstanbul"}  # fmt: skip  # text with other than ASCII: always selected
NON_BLANK = [t for t in TEXTS if t.strip()]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rule", "kept"),
    [
        # pricing_page: a page whose path starts with /pricing, in any case.
        (MODEL.interest_rules[[r.key for r in MODEL.interest_rules].index("pricing_page")],
         {"/pricing", "/PRICING/plans", "/Pricing", *OTHER}),
        # A track event by name, in any case.
        (domain.InterestRule("demo", "demo", "Demo Requested", None, 50, None),
         {"Demo Requested", "DEMO REQUESTED", *OTHER}),
        # LIKE's wildcards and its escape character in a value are literal.
        (domain.InterestRule("u", "u", "page", {"field": "event.path", "op": "contains", "value": "_"}, 1, None),
         {"a_b", *OTHER}),
        (domain.InterestRule("p", "p", "page", {"field": "event.path", "op": "ends_with", "value": "%b"}, 1, None),
         {"a%b", *OTHER}),
        (domain.InterestRule("s", "s", "page", {"field": "event.path", "op": "starts_with", "value": "a\\"}, 1, None),
         {"a\\b", *OTHER}),
        # A literal that is not ASCII: only text that is not ASCII either…
        (domain.InterestRule("ç", "ç", "page", {"field": "event.path", "op": "eq", "value": "/priçing"}, 1, None),
         OTHER),
        # … unless it folds to ASCII: "/straße" is "/strasse" folded.
        (domain.InterestRule("ß", "ß", "page", {"field": "event.path", "op": "eq", "value": "/straße"}, 1, None),
         {"/STRASSE", *OTHER}),
        # An empty `any` never holds.
        (domain.InterestRule("e", "e", "page", {"any": []}, 1, None), set()),
        # A negation cannot be narrowed: every page is read.
        (domain.InterestRule("n", "n", "page", {"not": {"field": "event.path", "op": "eq", "value": "/blog"}}, 1, None),
         set(NON_BLANK)),
    ],
)  # fmt: skip
def test_the_database_leaves_out_events_no_rule_can_match(rule: domain.InterestRule, kept: set[str]) -> None:
    kind = "page" if rule.event == "page" else "track"
    rows = [(kind, text, text, "", "", "", "", "", {}) for text in NON_BLANK]
    rows.append(("identify", "/pricing", "/pricing", "", "", "", "", "", {}))  # never of the rule's kind
    ids = store(rows)
    found = selected([rule])
    assert {row[1] for pk, row in zip(ids, rows, strict=True) if pk in found} == kept


@pytest.mark.django_db
def test_rules_by_name_alone_share_one_test_and_the_same_sql_is_stated_once() -> None:
    rules = [domain.InterestRule(k, k, name, None, 1, None) for k, name in (("a", "Demo Requested"), ("b", "Trial"))]
    rules += [domain.InterestRule("c", "c", "page", None, 1, None)] * 2
    found = narrowing.event_filter(rules)
    assert found is not None
    sql, params = found
    assert sql.count(" IN (") == 1 and sql.count("= %s") == 2  # the kinds: page (once) and track
    assert params == ["page", "track", "demo requested", "trial"]


@pytest.mark.django_db
def test_postgresql_in_another_encoding_than_utf8_reads_every_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where non-ASCII text cannot be told apart (PostgreSQL not in UTF-8), nothing is narrowed;
    SQLite keeps its text in UTF-8 (or UTF-16, where every text counts as non-ASCII: still a superset)."""
    from django.db import connection

    monkeypatch.setattr(narrowing, "_server_encoding", lambda: "SQL_ASCII")
    rules = list(MODEL.interest_rules)
    if connection.vendor == "postgresql":
        assert narrowing.event_filter(rules) is None
        assert narrowing.narrow(Event.objects.all(), rules).query.where.children == []
    else:
        assert narrowing.event_filter(rules) is not None
