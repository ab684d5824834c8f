"""The condition language: table-driven cases and properties that must hold for any condition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.playbook.domain.conditions import Op, describe, evaluate, lookup, trace, validate
from accord.playbook.domain.vocabulary import EVENT, PROFILE, QUALIFICATION

FACTS = {
    "contact.title": "VP of Revenue Operations",
    "contact.seniority": "vp",
    "contact.consent": True,
    "contact.email": "ana@acme.io",
    "account.employees": 250,
    "account.industry": "Software",
    "account.annual_revenue": None,
    "score.interest": 41.5,
    "contact.properties": {"plan": "enterprise", "seats": "40", "tags": ["beta", "vip"]},
}


def c(field: str, op: str, value: object = ...) -> dict:
    cond: dict = {"field": field, "op": op}
    if value is not ...:
        cond["value"] = value
    return cond


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (c("contact.seniority", "eq", "VP"), True),  # text compares without case
        (c("contact.seniority", "ne", "vp"), False),
        (c("account.employees", "gte", 250), True),
        (c("account.employees", "gt", 250), False),
        (c("account.employees", "lt", 251), True),
        (c("account.employees", "lte", 249), False),
        (c("account.employees", "eq", 250), True),
        (c("account.employees", "in", [10, 250]), True),
        (c("account.employees", "not_in", [10, 250]), False),
        (c("account.industry", "in", ["software", "Retail"]), True),
        (c("contact.title", "contains", "revenue"), True),
        (c("contact.title", "not_contains", "revenue"), False),
        (c("contact.title", "starts_with", "vp"), True),
        (c("contact.title", "ends_with", "operations"), True),
        (c("contact.consent", "eq", True), True),
        (c("contact.consent", "eq", False), False),
        (c("contact.email", "is_set"), True),
        (c("contact.email", "is_not_set"), False),
        (c("score.interest", "gte", 41.5), True),
        # a missing fact matches no positive comparison and every negative one
        (c("account.annual_revenue", "gte", 0), False),
        (c("account.annual_revenue", "eq", 0), False),
        (c("account.annual_revenue", "ne", 0), True),
        (c("account.annual_revenue", "is_set"), False),
        (c("account.annual_revenue", "is_not_set"), True),
        (c("account.country", "in", ["US"]), False),
        (c("account.country", "not_in", ["US"]), True),
        (c("account.country", "not_contains", "U"), True),
        # custom properties, with numbers stored as text
        (c("contact.properties.plan", "eq", "Enterprise"), True),
        (c("contact.properties.seats", "gte", 40), True),
        (c("contact.properties.seats", "eq", 40), True),
        (c("contact.properties.tags", "contains", "VIP"), True),
        (c("contact.properties.missing", "is_not_set"), True),
        # combinators
        ({"all": []}, True),
        ({"any": []}, False),
        ({"not": {"all": []}}, False),
        ({"all": [c("contact.seniority", "eq", "vp"), c("account.employees", "gte", 1000)]}, False),
        ({"any": [c("contact.seniority", "eq", "vp"), c("account.employees", "gte", 1000)]}, True),
        ({"not": c("account.employees", "gte", 1000)}, True),
    ],
)
def test_evaluate(condition, expected):
    assert validate(condition, QUALIFICATION, "c") == []
    assert evaluate(condition, FACTS) is expected


def test_text_that_is_not_a_number_never_compares_as_one():
    facts = {"contact.properties": {"seats": "many"}}
    assert evaluate(c("contact.properties.seats", "gte", 1), facts) is False
    assert evaluate(c("contact.properties.seats", "lt", 1), facts) is False


def test_booleans_are_not_numbers():
    assert evaluate(c("contact.properties.flag", "eq", 1), {"contact.properties": {"flag": True}}) is False


@pytest.mark.parametrize(
    ("condition", "errors"),
    [
        ({"scor": 1}, [("p", "unknown field 'scor'; a condition has all, any, not or field/op/value")]),
        (
            {"all": [{"scor": 1}]},
            [("p.all[0]", "unknown field 'scor'; a condition has all, any, not or field/op/value")],
        ),
        ("yes", [("p", "a condition must be a mapping, not text 'yes'")]),
        ({"all": "x"}, [("p.all", "must be a list of conditions, not text 'x'")]),
        ({"all": [], "any": []}, [("p", "unknown field 'any' beside 'all'")]),
        ({"op": "eq", "value": 1}, [("p", "missing 'field'")]),
        (c("contact.seniority", "eq"), [("p", "missing 'value' for operator 'eq'")]),
        (c("contact.email", "is_set", "x"), [("p.value", "operator 'is_set' takes no value")]),
        (
            c("account.employees", "between", 1),
            [
                (
                    "p.op",
                    "unknown operator 'between'; choose from eq, ne, lt, lte, gt, gte, in, not_in, contains, not_contains, starts_with, ends_with, is_set, is_not_set",
                )
            ],
        ),
        (c("account.employees", "gte", "50"), [("p.value", "must be a number, not text '50'")]),
        (
            c("account.employees", "contains", "5"),
            [("p.op", "operator 'contains' does not apply to number field 'account.employees'")],
        ),
        (c("contact.title", "gt", 3), [("p.op", "operator 'gt' does not apply to text field 'contact.title'")]),
        (c("contact.consent", "eq", "yes"), [("p.value", "must be true or false, not text 'yes'")]),
        (c("account.industry", "in", []), [("p.value", "operator 'in' needs a non-empty list")]),
        (c("account.industry", "in", ["a", 3]), [("p.value[1]", "must be text, not a number")]),
        (
            c("contact.title", "eq", None),
            [("p.value", "must not be empty; use is_set / is_not_set to test for a missing value")],
        ),
        (c("account.employees", "gte", float("nan")), [("p.value", "must be a finite number")]),
        (c("contact.properties.x", "eq", [1]), [("p.value", "must be text, a number or true/false, not a list")]),
        ({"field": 3, "op": "eq", "value": 1}, [("p.field", "must be text, not a number")]),
    ],
)
def test_validate_names_the_path_and_the_problem(condition, errors):
    assert validate(condition, QUALIFICATION, "p") == errors


def test_unknown_fact_lists_the_known_ones():
    [(path, message)] = validate(c("contact.titel", "eq", "x"), PROFILE, "fit.rules[0].when")
    assert path == "fit.rules[0].when.field"
    assert message.startswith("unknown field 'contact.titel'; known fields: account.annual_revenue")
    assert "contact.properties.<key>" in message


def test_scores_are_not_facts_of_a_profile():
    assert validate(c("score.fit", "gte", 1), PROFILE, "p")[0][1].startswith("unknown field 'score.fit'")
    assert validate(c("event.path", "starts_with", "/pricing"), EVENT, "p") == []


def test_describe_reads_like_a_sentence():
    condition = {
        "all": [
            c("score.grade", "in", ["A", "B"]),
            {"any": [c("score.interest", "gte", 40), {"not": c("contact.email", "is_set")}]},
        ]
    }
    assert (
        describe(condition) == "score.grade is one of [“A”, “B”] and (score.interest ≥ 40 or not contact.email is set)"
    )


def test_trace_lists_the_unmet_comparisons_with_their_actual_values():
    condition = {
        "all": [c("account.employees", "gte", 1000), c("contact.seniority", "eq", "vp"), c("score.fit", "gte", 10)]
    }
    result = trace(condition, FACTS)
    assert result.ok is False
    assert [(t.text, t.actual) for t in result.unmet()] == [("account.employees ≥ 1000", 250), ("score.fit ≥ 10", None)]
    assert result.as_dict()["parts"][1] == {"text": "contact.seniority = “vp”", "ok": True, "actual": "vp"}


def test_lookup_reaches_into_properties():
    assert lookup(FACTS, "contact.properties.plan") == "enterprise"
    assert lookup(FACTS, "contact.properties.nope") is None
    assert lookup({}, "contact.title") is None


# --------------------------------------------------------------------------- properties

NUMBER_FIELDS = ["account.employees", "score.interest", "contact.properties.n"]
TEXT_FIELDS = ["contact.title", "account.industry", "contact.properties.t"]
texts = st.text(alphabet="abcAB ", min_size=1, max_size=4)
numbers = st.integers(min_value=-5, max_value=5)


def comparisons() -> st.SearchStrategy[dict]:
    numeric = st.builds(
        lambda f, op, v: c(f, op, v),
        st.sampled_from(NUMBER_FIELDS),
        st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]),
        numbers,
    )
    numeric_list = st.builds(
        lambda f, op, v: c(f, op, v),
        st.sampled_from(NUMBER_FIELDS),
        st.sampled_from(["in", "not_in"]),
        st.lists(numbers, min_size=1, max_size=3),
    )
    textual = st.builds(
        lambda f, op, v: c(f, op, v),
        st.sampled_from(TEXT_FIELDS),
        st.sampled_from(["eq", "ne", "contains", "not_contains", "starts_with", "ends_with"]),
        texts,
    )
    presence = st.builds(
        lambda f, op: c(f, op), st.sampled_from(NUMBER_FIELDS + TEXT_FIELDS), st.sampled_from(["is_set", "is_not_set"])
    )
    return st.one_of(numeric, numeric_list, textual, presence)


conditions_strategy = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(inner, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(inner, max_size=3)),
        st.builds(lambda part: {"not": part}, inner),
    ),
    max_leaves=8,
)

facts_strategy = st.fixed_dictionaries(
    {
        "account.employees": st.one_of(st.none(), numbers),
        "score.interest": st.one_of(st.none(), numbers.map(float)),
        "contact.title": st.one_of(st.none(), st.just(""), texts),
        "account.industry": st.one_of(st.none(), texts),
        "contact.properties": st.fixed_dictionaries(
            {}, optional={"n": st.one_of(numbers, numbers.map(str), texts), "t": st.one_of(texts, numbers)}
        ),
    }
)


@settings(max_examples=300, deadline=None)
@given(conditions_strategy, facts_strategy)
def test_generated_conditions_validate_evaluate_and_trace_consistently(condition, facts):
    assert validate(condition, QUALIFICATION, "c") == []
    result = evaluate(condition, facts)
    assert isinstance(result, bool)
    assert trace(condition, facts).ok is result
    assert evaluate({"not": condition}, facts) is (not result)
    assert isinstance(describe(condition), str)


@settings(max_examples=200, deadline=None)
@given(st.lists(conditions_strategy, max_size=3), facts_strategy)
def test_de_morgan(parts, facts):
    negated = [{"not": p} for p in parts]
    assert evaluate({"not": {"all": parts}}, facts) == evaluate({"any": negated}, facts)
    assert evaluate({"not": {"any": parts}}, facts) == evaluate({"all": negated}, facts)


@settings(max_examples=200, deadline=None)
@given(comparisons(), facts_strategy)
def test_each_operator_and_its_negation_disagree(comparison, facts):
    opposite = {
        "eq": "ne",
        "ne": "eq",
        "in": "not_in",
        "not_in": "in",
        "contains": "not_contains",
        "not_contains": "contains",
        "is_set": "is_not_set",
        "is_not_set": "is_set",
    }
    if comparison["op"] in opposite:
        flipped = {**comparison, "op": opposite[comparison["op"]]}
        assert evaluate(comparison, facts) != evaluate(flipped, facts)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.floats(allow_nan=True)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(["all", "any", "not", "field", "op", "value", "x"]), inner, max_size=3),
        ),
        max_leaves=10,
    )
)
def test_validation_never_crashes_and_what_it_accepts_evaluates(junk):
    errors = validate(junk, QUALIFICATION, "c")
    assert all(isinstance(path, str) and isinstance(message, str) for path, message in errors)
    if not errors:
        assert isinstance(evaluate(junk, FACTS), bool)


def test_every_operator_has_a_symbol():
    from accord.playbook.domain.conditions import SYMBOLS

    assert set(SYMBOLS) == set(Op)
