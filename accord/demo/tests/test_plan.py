"""The demo plan without a database: pure functions, several seeds, exact expectations."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from pathlib import Path

import pytest

from accord.demo.domain import playbook as story
from accord.demo.domain.activity import _uuid, lead_source
from accord.demo.domain.journeys import Era, working_time
from accord.demo.domain.plan import Plan, plan
from accord.demo.domain.workspace import ascii_slug
from accord.lifecycle.domain import MoveKind, transition
from accord.playbook.domain.document import Playbook, parse
from accord.tracking.domain import FORM_SUBMITTED, EventType

DEFAULT = (Path(__file__).resolve().parents[2] / "playbook" / "default.yaml").read_text(encoding="utf-8")
NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)  # a Monday


def eras() -> list[Era]:
    return [
        Era(1, parse(DEFAULT), NOW - dt.timedelta(days=story.V1_SINCE_DAYS)),
        Era(2, parse(story.revised_source(DEFAULT)), story.v2_steps(NOW)[-1]),
    ]


def test_version_two_changes_only_the_mql_threshold_and_the_commitment() -> None:
    v1, v2 = parse(DEFAULT).data, parse(story.revised_source(DEFAULT)).data

    assert v2["mql"]["when"]["all"][1] == {"field": "score.interest", "op": "gte", "value": 50}
    assert (v2["quadrants"]["high_interest"], v2["sla"]["marketing"]["mqls"]) == (50, 100)
    assert {k for k in v1 if v1[k] != v2[k]} == {"mql", "quadrants", "sla"}


def test_version_two_is_refused_when_the_default_text_moved_on() -> None:
    with pytest.raises(ValueError, match="mqls: 120"):
        story.revised_source(DEFAULT.replace("mqls: 120", "mqls: 90"))


def test_version_two_steps_happen_in_order_in_new_york_office_hours() -> None:
    steps = story.v2_steps(NOW)

    assert list(steps) == sorted(steps) and len(set(steps)) == 4
    for moment in steps:
        local = moment.astimezone(dt.timezone(dt.timedelta(hours=-5)))  # EST; EDT is an hour later
        assert local.weekday() < 5 and 8 <= local.hour < 18


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2025, 6, 2, 15, 0, tzinfo=dt.UTC), dt.datetime(2025, 6, 2, 15, 0, tzinfo=dt.UTC)),  # Mon 11:00
        (dt.datetime(2025, 6, 2, 23, 20, tzinfo=dt.UTC), dt.datetime(2025, 6, 3, 14, 20, tzinfo=dt.UTC)),  # Mon 19:20
        (dt.datetime(2025, 6, 7, 12, 5, tzinfo=dt.UTC), dt.datetime(2025, 6, 9, 15, 5, tzinfo=dt.UTC)),  # Sat 08:05
        (dt.datetime(2025, 6, 3, 11, 0, tzinfo=dt.UTC), dt.datetime(2025, 6, 3, 14, 0, tzinfo=dt.UTC)),  # Tue 07:00
    ],
)
def test_working_time_moves_to_the_next_office_morning(moment: dt.datetime, expected: dt.datetime) -> None:
    assert working_time(moment, "America/New_York") == expected


@pytest.mark.parametrize(("text", "slug"), [("Müller", "muller"), ("O'Brien", "obrien"), ("Yılmaz", "yilmaz"),
                                            ("de Jong", "dejong"), ("Paweł", "pawel"), ("Min-jun", "minjun")])
def test_ascii_slug(text: str, slug: str) -> None:
    assert ascii_slug(text) == slug


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_plans_for_several_seeds_hold_only_legal_moves(seed: int) -> None:
    the_eras = eras()
    result = plan(seed=seed, contacts=1200, now=NOW, eras=the_eras)
    playbooks = {era.number: era.playbook for era in the_eras}

    emails = [p.email for p in result.people if p.email]
    assert len(emails) == len(set(emails))
    assert len({c.domain for c in result.companies}) == len(result.companies) == 150
    stages: Counter[str] = Counter()
    for person in result.people:
        assert person.moves and person.moves[0].from_stage == "" and person.moves[0].at == person.created_at
        for before, move in zip([None, *person.moves], person.moves, strict=False):
            assert move.at <= NOW
            assert move.version == (2 if move.at >= the_eras[1].since else 1)  # type: ignore[operator]
            if before is not None:
                assert (move.from_stage, before.at < move.at) == (before.to_stage, True)
            row = transition(playbooks[move.version], move.from_stage or None, move.to_stage)
            assert row.kind.value == move.kind
            if row.kind is MoveKind.HAND_BACK:
                assert row.reason_list is not None
                # A rejected hand-off hands back with a reject reason, a lost deal with a loss reason.
                lists = (row.reason_list, *{"mql": ("reject",), "opportunity": ("loss",)}.get(move.from_stage, ()))
                assert any(playbooks[move.version].reason(name, move.reason) for name in lists), move
            if move.to_stage == "mql":
                assert person.fit_grade in {"A", "B"} and person.consent is not False
            stages[move.to_stage] += 1
        if person.company is not None:
            assert person.email is not None and person.email.endswith("@" + result.companies[person.company].domain)
    assert {"visitor", "subscriber", "lead", "mql", "sql", "opportunity", "customer", "recycled",
            "disqualified"} <= set(stages)  # fmt: skip
    _sales_agree_with_the_moves(result, playbooks)


def _sales_agree_with_the_moves(result: Plan, playbooks: dict[int, Playbook]) -> None:
    """One hand-off per move into MQL, ended as the next move says; a deal behind every
    opportunity and customer; lost deals handed back with a loss reason."""
    states: Counter[str] = Counter()
    for person in result.people:
        into_mql = [i for i, m in enumerate(person.moves) if m.to_stage == "mql"]
        assert [h.move for h in person.handoffs] == into_mql
        for handoff in person.handoffs:
            move = person.moves[handoff.move]
            after = person.moves[handoff.move + 1] if handoff.move + 1 < len(person.moves) else None
            assert (handoff.at, handoff.version, handoff.trace["owner"] is None) == (
                move.at, move.version, handoff.owner is None
            )
            states[handoff.state] += 1
            if after is None:
                assert (handoff.state, handoff.closed_at) == ("open", None)
                continue
            assert (handoff.closed_at, handoff.closed_by, handoff.to_stage) == (after.at, after.by_user, after.to_stage)
            playbook = playbooks[after.version]
            if handoff.state == "accepted":
                assert after.to_stage == "sql"
            elif handoff.state == "rejected":
                reason = playbook.reason("reject", after.reason)
                assert reason is not None and playbook.reject_outcome(reason).key == after.to_stage  # type: ignore[union-attr]
            else:
                assert (handoff.state, after.to_stage) == ("recycled", "recycled")
                assert playbook.reason("recycle", after.reason) is not None
                assert handoff.reengage_on == after.reengage_on and after.reengage_on is not None
        opened = [m for m in person.moves if m.to_stage == "opportunity"]
        assert [(d.created_at, d.owner) for d in person.deals] == [(m.at, m.by_user) for m in opened]
        for deal in person.deals:
            assert deal.currency in {"USD", "EUR", "GBP"} and deal.amount > 0 and deal.amount % 100 == 0
            closing = [m for m in person.moves if m.at == deal.closed_at]
            if deal.stage == "won":
                assert [m.to_stage for m in closing] == ["customer"]
            elif deal.stage == "lost":
                assert [(m.to_stage, m.reason) for m in closing] == [("recycled", deal.loss_reason)]
                assert playbooks[closing[0].version].reason("loss", deal.loss_reason) is not None
            else:
                assert deal.closed_at is None and person.moves[-1].to_stage == "opportunity"
        if person.moves[-1].to_stage == "customer":
            assert any(d.stage == "won" for d in person.deals)
    assert set(states) == {"open", "accepted", "rejected", "recycled"}


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    def summary(seed: int) -> list[tuple[object, ...]]:
        result = plan(seed=seed, contacts=400, now=NOW, eras=eras())
        return [(p.email, p.title, p.fit_grade, [(m.to_stage, m.at, m.reason) for m in p.moves]) for p in result.people]

    assert summary(11) == summary(11)
    assert summary(11) != summary(12)


def test_taken_emails_and_domains_are_not_reused() -> None:
    first = plan(seed=5, contacts=200, now=NOW, eras=eras())
    emails = {p.email for p in first.people if p.email}
    domains = {c.domain for c in first.companies}

    again = plan(seed=5, contacts=200, now=NOW, eras=eras(), taken_emails=emails, taken_domains=domains)

    assert not emails & {p.email for p in again.people}
    assert not domains & {c.domain for c in again.companies}


@pytest.mark.parametrize("seed", [4, 5])
def test_each_persons_events_explain_their_moves(seed: int) -> None:
    result = plan(seed=seed, contacts=600, now=NOW, eras=eras())

    ids: set[str] = set()
    for person in result.people:
        messages = person.messages
        ids.update(m.message_id for m in messages)
        forms = [m for m in messages if m.type is EventType.TRACK and m.name == FORM_SUBMITTED]
        for move in person.moves:
            if move.to_stage == "lead" and move.by_rule == "entry:lead":
                before = [m for m in forms if m.received_at < move.at]
                assert before and move.at - before[-1].received_at < dt.timedelta(seconds=10), person.email
                parts = {p["text"]: p["actual"] for p in move.details["criteria"]["parts"]}
                assert parts["contact.forms_submitted ≥ 1"] == len(before)
            if move.to_stage == "subscriber":
                signed_up = [m for m in messages if m.name == "Subscribed" and m.received_at < move.at]
                assert len(signed_up) == 1 and not [m for m in forms if m.received_at < move.at], person.email
            if move.to_stage == "visitor":
                assert messages[0].type is EventType.PAGE and messages[0].received_at < move.at
        if person.email is None:
            assert not forms and all(not m.user_id for m in messages)
        attribution = person.attribution
        assert attribution.forms == len(forms)
        assert attribution.first is not None
        # The first touch is the source the person was drawn with, and the property says so.
        assert lead_source(attribution.first[1].medium) == person.lead_source == person.properties["lead_source"]
        if forms:
            assert (attribution.first_offer_name, attribution.last_offer_name) == (forms[0].offer, forms[-1].offer)
    assert len(ids) == result.events - len(result.strays)  # no message id twice
    assert all(not m.user_id for m in result.strays) and len(result.strays) == len({m.message_id for m in result.strays})


def test_dated_campaigns_bring_people_in_while_they_run() -> None:
    result = plan(seed=6, contacts=800, now=NOW, eras=eras())

    for person in result.people:
        if person.lead_source in {"Webinar", "Events"}:
            first = person.attribution.first[1]
            campaign = next(c for c in result.campaigns if c.utm_campaign == first.campaign)
            assert campaign.running(person.attribution.first[0].date()), person.email


def test_message_ids_are_the_version_4_uuids_of_the_draws() -> None:
    ours, theirs = random.Random(5), random.Random(5)
    for _ in range(2000):
        assert _uuid(ours) == str(uuid.UUID(int=theirs.getrandbits(128), version=4))
