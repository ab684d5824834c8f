"""The stage machine, cell by cell over the default playbook's whole transition table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.accounts.domain import Side
from accord.lifecycle.domain import (
    DEFAULT_REENGAGE_DAYS,
    Actor,
    IllegalMove,
    MoveKind,
    UnknownStage,
    check_move,
    merge_move,
    rule_target,
    table,
    transition,
)
from accord.playbook.domain.document import parse

PLAYBOOK = parse((Path(__file__).resolve().parents[2] / "playbook" / "default.yaml").read_text())
STAGES = ["visitor", "subscriber", "lead", "mql", "sql", "opportunity", "customer", "recycled", "disqualified"]
M, S = frozenset({Side.MARKETING}), frozenset({Side.SALES})
MS = M | S

# A: advance a rule may make · a: advance only a person may make · H: hand-back · x: illegal · =: same stage
# A recycled contact comes back by rule only through the MQL rule (mql.requalify_recycled).
EXPECTED = """
from \\ to    visitor subscriber lead mql sql opportunity customer recycled disqualified
-            A       A          A    A   A   A           A        x        H
visitor      =       A          A    A   A   A           A        H        H
subscriber   H       =          A    A   A   A           A        H        H
lead         H       H          =    A   A   A           A        H        H
mql          H       H          H    =   A   A           A        H        H
sql          H       H          H    H   =   A           A        H        H
opportunity  H       H          H    H   H   =           A        H        H
customer     H       H          H    H   H   H           =        H        H
recycled     a       a          a    A   a   a           a        =        H
disqualified a       a          a    a   a   a           a        H        =
"""


def expected_cells():
    lines = [line.split() for line in EXPECTED.strip().splitlines()[1:]]
    for row in lines:
        source = None if row[0] == "-" else row[0]
        for target, code in zip(STAGES, row[1:], strict=True):
            yield source, target, code


ADVANCE_SIDES = {"visitor": M, "subscriber": M, "lead": M, "mql": M, "sql": S, "opportunity": S, "customer": S}
HAND_BACK_SIDES = {
    None: M,
    "visitor": M,
    "subscriber": M,
    "lead": M,
    "mql": MS,
    "sql": S,
    "opportunity": S,
    "customer": S,
    "recycled": M,
    "disqualified": M,
}


@pytest.mark.parametrize(("source", "target", "code"), list(expected_cells()))
def test_transition_table(source, target, code):
    if code in {"x", "="}:
        with pytest.raises(IllegalMove) as caught:
            transition(PLAYBOOK, source, target)
        assert not isinstance(caught.value, UnknownStage)
        return
    row = transition(PLAYBOOK, source, target)
    if code in {"A", "a"}:
        assert row.kind is MoveKind.ADVANCE
        assert row.by_rule is (code == "A")
        assert row.sides == ADVANCE_SIDES[target]
        assert row.reason_list is None
    else:
        assert row.kind is MoveKind.HAND_BACK
        assert row.by_rule is True
        assert row.sides == HAND_BACK_SIDES[source]
        assert row.reason_list == {"recycled": "recycle", "disqualified": "disqualify"}.get(target, "reject")
    assert row.needs_reengage_date is (target == "recycled")


def test_table_covers_every_pair():
    rows = table(PLAYBOOK)
    assert len(rows) == 10 * 9
    assert rows[(None, "recycled")] == (
        "only a contact in the funnel can be moved to Recycled; this one has no stage yet"
    )
    assert rows[("lead", "lead")] == "the contact is already in stage Lead"


def test_unknown_stage_names_the_known_ones():
    with pytest.raises(UnknownStage) as caught:
        transition(PLAYBOOK, "lead", "won")
    assert caught.value.field == "stage"
    assert caught.value.message.startswith("unknown stage 'won'; the playbook has visitor, subscriber")


def test_recycled_contacts_wait_for_a_person_when_the_playbook_says_so():
    data = {**PLAYBOOK.data, "mql": {**PLAYBOOK.data["mql"], "requalify_recycled": False}}
    from accord.playbook.domain.document import validate

    strict = validate(data)
    assert transition(strict, "recycled", "mql").by_rule is False


TODAY = dt.date(2026, 3, 2)
MARKETER, SELLER, RULE = Actor(sides=M), Actor(sides=S), Actor(rule="mql")
QUALIFIED = {"score.grade": "A", "score.interest": 55, "contact.email": "a@b.co", "contact.consent": True}


def move(**kwargs):
    defaults = {"from_key": "lead", "to_key": "mql", "actor": MARKETER, "facts": QUALIFIED, "today": TODAY}
    return check_move(PLAYBOOK, **{**defaults, **kwargs})


def test_a_forward_move_checks_the_entry_criteria_and_keeps_them():
    checked = move()
    assert checked.transition.kind is MoveKind.ADVANCE
    assert checked.criteria.ok is True
    assert checked.reason is None and checked.reengage_on is None


def test_unmet_entry_criteria_are_listed_with_actual_values():
    with pytest.raises(IllegalMove) as caught:
        move(facts={**QUALIFIED, "score.grade": "C", "score.interest": None})
    assert caught.value.message == (
        "the contact does not meet the entry criteria of MQL: score.grade is one of [“A”, “B”] (is 'C'); "
        "score.interest ≥ 40 (is not set)"
    )
    assert [t.text for t in caught.value.unmet] == ["score.grade is one of [“A”, “B”]", "score.interest ≥ 40"]


def test_the_wrong_side_may_not_move():
    with pytest.raises(IllegalMove, match="moving a contact to MQL here is for marketing"):
        move(actor=SELLER)
    with pytest.raises(IllegalMove, match="moving a contact to SQL here is for sales"):
        move(from_key="mql", to_key="sql", actor=MARKETER)
    with pytest.raises(IllegalMove, match="moving a contact to SQL here is for sales"):
        move(from_key="mql", to_key="sql", actor=Actor())  # a person with no side (a viewer)
    assert move(from_key="mql", to_key="sql", actor=SELLER).transition.kind is MoveKind.ADVANCE


def test_both_sides_may_hand_back_an_mql():
    for actor in (MARKETER, SELLER):
        checked = move(from_key="mql", to_key="lead", actor=actor, reason="no_budget")
        assert checked.transition.kind is MoveKind.HAND_BACK and checked.reason == "no_budget"


@pytest.mark.parametrize(
    ("kwargs", "message", "field"),
    [
        (
            {"from_key": "mql", "to_key": "lead", "actor": SELLER},
            "moving a contact back to Lead needs a reject reason",
            "reason",
        ),
        (
            {"from_key": "mql", "to_key": "lead", "actor": SELLER, "reason": "bored"},
            "unknown reject reason 'bored'; choose from not_decision_maker, no_budget, wrong_contact_data, already_in_pipeline, other",
            "reason",
        ),
        (
            {"from_key": "mql", "to_key": "lead", "actor": SELLER, "reason": "other"},
            "the reason 'Other' needs a note",
            "note",
        ),
        (
            {"from_key": "mql", "to_key": "lead", "actor": SELLER, "reason": "other", "note": "   "},
            "the reason 'Other' needs a note",
            "note",
        ),
        (
            {"from_key": "sql", "to_key": "recycled", "actor": SELLER, "reason": "no_budget"},
            "unknown recycle reason 'no_budget'",
            "reason",
        ),
        ({"reason": "no_budget"}, "a forward move takes no reason", "reason"),
        (
            {"from_key": "sql", "to_key": "recycled", "actor": SELLER, "reason": "timing", "reengage_on": TODAY},
            "the re-engage date must be in the future",
            "reengage_on",
        ),
        (
            {"reengage_on": TODAY + dt.timedelta(days=3)},
            "only a move to Recycled takes a re-engage date",
            "reengage_on",
        ),
        (
            {"from_key": "disqualified", "to_key": "lead", "actor": RULE},
            "a rule cannot move a contact from disqualified to Lead; a person must",
            None,
        ),
    ],
)
def test_refused_moves(kwargs, message, field):
    with pytest.raises(IllegalMove) as caught:
        move(**kwargs)
    assert caught.value.message.startswith(message)
    assert caught.value.field == field


def test_recycling_defaults_the_reengage_date():
    checked = move(from_key="sql", to_key="recycled", actor=SELLER, reason="timing")
    assert checked.reengage_on == TODAY + dt.timedelta(days=DEFAULT_REENGAGE_DAYS)
    chosen = move(from_key="sql", to_key="recycled", actor=SELLER, reason="timing", reengage_on=dt.date(2026, 9, 1))
    assert chosen.reengage_on == dt.date(2026, 9, 1)


def test_a_note_is_kept_trimmed():
    assert (
        move(from_key="mql", to_key="lead", actor=SELLER, reason="other", note="  wrong region ").note == "wrong region"
    )


@pytest.mark.parametrize(
    ("source", "facts", "expected"),
    [
        (None, {"contact.email": "a@b.co"}, None),
        (None, {"contact.email": "a@b.co", "contact.consent": True}, "subscriber"),
        (None, {"contact.email": "a@b.co", "contact.forms_submitted": 1}, "lead"),
        (None, {"contact.email": "a@b.co", "contact.consent": True, "contact.forms_submitted": 1}, "lead"),
        (None, {}, None),
        ("lead", {"contact.email": "a@b.co", "contact.forms_submitted": 3}, None),
        ("lead", QUALIFIED, "mql"),
        (None, QUALIFIED, "mql"),
        ("sql", QUALIFIED, None),  # rules never move anyone backwards
        ("recycled", QUALIFIED, "mql"),
        ("disqualified", QUALIFIED, None),
        ("lead", {**QUALIFIED, "contact.consent": False}, None),
    ],
)
def test_rule_target_is_the_furthest_stage_whose_criteria_hold(source, facts, expected):
    target = rule_target(PLAYBOOK, from_key=source, facts=facts)
    assert (target.key if target else None) == expected


@given(
    st.sampled_from([None, *STAGES]),
    st.sampled_from(STAGES),
    st.sets(st.sampled_from(list(Side))),
    st.sampled_from([None, "no_budget", "timing", "spam", "other"]),
)
def test_check_move_either_returns_a_legal_row_or_refuses(source, target, sides, reason):
    actor = Actor(sides=frozenset(sides))
    try:
        checked = check_move(
            PLAYBOOK, from_key=source, to_key=target, actor=actor, facts=QUALIFIED, reason=reason, today=TODAY
        )
    except IllegalMove:
        return
    row = checked.transition
    assert actor.sides & row.sides
    assert (checked.reason is not None) == (row.kind is MoveKind.HAND_BACK)
    if row.reason_list:
        assert PLAYBOOK.reason(row.reason_list, checked.reason) is not None


# --- the stage a merge leaves on the kept contact ---------------------------------------------------

# (kept, dropped) -> the merge's move on the kept contact, or None: the kept contact keeps its stage.
MERGE_MOVES = [
    ("lead", "sql", ("sql", MoveKind.ADVANCE)),  # the more advanced funnel stage wins
    ("sql", "lead", None),
    ("mql", "mql", None),  # equal: nothing to move
    (None, "lead", ("lead", MoveKind.ADVANCE)),
    ("lead", None, None),
    (None, None, None),
    ("disqualified", "lead", None),  # a merge never takes a contact out of disqualified
    ("disqualified", "customer", None),
    ("recycled", "opportunity", None),  # nor out of recycled: a person hands it back
    ("recycled", "disqualified", None),
    ("disqualified", "recycled", None),
    ("lead", "disqualified", None),  # only a funnel stage wins over a funnel stage
    ("customer", "recycled", None),
    (None, "disqualified", ("disqualified", MoveKind.HAND_BACK)),  # the person's only stage is kept
    (None, "recycled", ("recycled", MoveKind.HAND_BACK)),
    ("gone", "lead", ("lead", MoveKind.ADVANCE)),  # a key the playbook no longer has counts as none
    ("gone", "disqualified", ("disqualified", MoveKind.HAND_BACK)),
    ("lead", "gone", None),  # a merge never moves into a stage the playbook does not have
    (None, "gone", None),
]


@pytest.mark.parametrize(("kept", "dropped", "expected"), MERGE_MOVES)
def test_merge_move(kept, dropped, expected):
    move = merge_move(PLAYBOOK, kept=kept, dropped=dropped)
    assert (None if move is None else (move.to_stage, move.kind)) == expected
    if move is not None:
        assert move.from_stage == kept
