"""Six months of funnel history per person, every move checked against the stage machine.

A journey is built move by move; each candidate move goes through
`accord.lifecycle.domain.check_move` with the playbook version in force at that moment, so a
generated history can only contain moves the product itself would allow: legal transitions,
the right side acting, entry criteria that hold, hand-back reasons from the right list, notes
where a reason needs one and re-engage dates in the future of the move.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zoneinfo
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.accounts.domain import acts_for
from accord.demo.domain import people, sales, words
from accord.demo.domain.activity import Activity
from accord.demo.domain.sales import DealSeed, HandoffSeed
from accord.demo.domain.workspace import CompanySeed, PersonSeed, pick
from accord.lifecycle.domain import Actor, IllegalMove, check_move
from accord.playbook.domain.document import Playbook, StageKind
from accord.scoring.domain import Model as ScoringModel

MQL_INTEREST = (50.5, 125.0)  # interest when the MQL rule fires: above the threshold of v1 (40) and v2 (50)
TERRITORY = frozenset({"US", "CA", "GB", "DE", "FR", "NL", "SE", "AU"})
MAX_CYCLES = 2  # how many times one person may be handed to sales


@dataclass(frozen=True)
class Era:
    """A playbook version and when it came into force (None: before anything we know of)."""

    number: int
    playbook: Playbook
    since: dt.datetime | None


class Timeline:
    """Which playbook version was in force at a moment."""

    def __init__(self, eras: Sequence[Era]) -> None:
        if not eras:
            raise ValueError("a timeline needs at least one playbook version")
        self.eras = sorted(eras, key=lambda e: (e.since is not None, e.since or dt.datetime.min, e.number))
        self.models: dict[int, ScoringModel] = {}

    def scoring(self, era: Era) -> ScoringModel:
        """The scoring model of a version (for the quadrant a hand-off records)."""
        found = self.models.get(era.number)
        if found is None:
            found = self.models[era.number] = ScoringModel.of(era.playbook)
        return found

    def at(self, moment: dt.datetime) -> Era:
        current = self.eras[0]
        for era in self.eras:
            if era.since is None or era.since <= moment:
                current = era
        return current

    @property
    def latest(self) -> Era:
        return self.eras[-1]


@dataclass(frozen=True)
class Source:
    """How people from one lead source behave, relative to the average."""

    mql: float  # multiplies the chance that a good-fit person becomes an MQL
    accept: float  # chance a rep accepts the MQL
    opportunity: float  # chance an SQL becomes an opportunity
    win: float  # chance an opportunity is won
    visitor_first: float  # share first seen as an anonymous visitor


SOURCES: dict[str, Source] = {
    "Organic search": Source(mql=1.0, accept=0.55, opportunity=0.58, win=0.26, visitor_first=0.55),
    "Paid search": Source(mql=0.95, accept=0.50, opportunity=0.55, win=0.23, visitor_first=0.5),
    "Paid social": Source(mql=0.7, accept=0.36, opportunity=0.45, win=0.16, visitor_first=0.45),
    "Webinar": Source(mql=1.3, accept=0.62, opportunity=0.62, win=0.29, visitor_first=0.1),
    "Referral": Source(mql=1.5, accept=0.78, opportunity=0.74, win=0.40, visitor_first=0.05),
    "Events": Source(mql=1.15, accept=0.55, opportunity=0.58, win=0.30, visitor_first=0.05),
    "Content syndication": Source(mql=0.8, accept=0.34, opportunity=0.42, win=0.18, visitor_first=0.0),
    "Email": Source(mql=0.9, accept=0.52, opportunity=0.55, win=0.25, visitor_first=0.2),
    "Partner": Source(mql=1.25, accept=0.66, opportunity=0.66, win=0.34, visitor_first=0.05),
    "Organic social": Source(mql=0.8, accept=0.45, opportunity=0.5, win=0.2, visitor_first=0.5),
    "Direct": Source(mql=1.2, accept=0.6, opportunity=0.6, win=0.3, visitor_first=0.4),
}

REJECT = {"not_decision_maker": 34, "no_budget": 24, "wrong_contact_data": 16, "already_in_pipeline": 14, "other": 8}
RECYCLE_MQL = {"not_ready": 36, "no_response": 34, "timing": 20, "other": 6}
RECYCLE_SQL = {"no_response": 50, "not_ready": 28, "timing": 17, "other": 5}
LOSS = {"price": 28, "competitor_won": 30, "no_decision": 27, "missing_feature": 12, "other": 3}
# Notes on lost deals and on SQLs disqualified for "other" (a reason that needs a note).
LOST_NOTES = ("Lost to a competitor on a three-year contract.", "Project cancelled after a reorganisation.",
              "Budget moved to another initiative; no path back this year.")


@dataclass(frozen=True)
class MoveSeed:
    from_stage: str  # "" when the person had no stage yet
    to_stage: str
    kind: str
    at: dt.datetime
    by_user: str | None  # a demo user's email
    by_rule: str
    version: int
    reason: str
    note: str
    reengage_on: dt.date | None
    details: dict[str, Any]


def working_time(moment: dt.datetime, time_zone: str) -> dt.datetime:
    """`moment`, or the next weekday morning in `time_zone` when it falls outside 9:00–18:00.

    No random draws: the minutes past 9:00 come from the original time, so the spread stays.
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    local = moment.astimezone(zone)
    if local.weekday() < 5 and 9 <= local.hour < 18:
        return moment
    day = local.date() if local.hour < 9 else local.date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    minutes = local.minute + 60 * (local.hour % 3)
    start = dt.datetime.combine(day, dt.time(9), tzinfo=zone) + dt.timedelta(minutes=minutes, seconds=local.second)
    return start.astimezone(dt.UTC)


class Journey:
    """One person's moves so far; `move()` appends a move only if the stage machine allows it.

    With an `Activity`, the person's events happen alongside: before each move the activity is
    brought up to that moment, and the move is checked with the facts its events give then
    (forms submitted, first and last touch, offers).
    """

    def __init__(
        self, rng: random.Random, timeline: Timeline, facts: Mapping[str, Any], now: dt.datetime,
        activity: Activity | None = None,
    ) -> None:
        self.rng = rng
        self.timeline = timeline
        self.facts = dict(facts)
        self.now = now
        self.activity = activity
        self.moves: list[MoveSeed] = []

    @property
    def stage(self) -> str | None:
        return self.moves[-1].to_stage if self.moves else None

    @property
    def last_at(self) -> dt.datetime | None:
        return self.moves[-1].at if self.moves else None

    def open(self, at: dt.datetime) -> bool:
        """Whether a move at `at` could still happen: not in the future, after the last move."""
        return at <= self.now and (self.last_at is None or at > self.last_at)

    def deals(self, *, open_deals: int, won_deals: int) -> None:
        """The contact's deal counts, as the opportunity and customer stages' criteria read them."""
        self.facts["contact.open_deals"], self.facts["contact.won_deals"] = open_deals, won_deals
        self.facts["contact.nurture_stopped"] = open_deals > 0 or won_deals > 0

    def move(
        self,
        to_stage: str,
        at: dt.datetime,
        *,
        user: str | None = None,
        rule: str | None = None,
        reason: str | None = None,
        note: str = "",
        reengage_on: dt.date | None = None,
        interest: float | None = None,
        details: Mapping[str, Any] | None = None,
        reason_list: str | None = None,
    ) -> bool:
        if not self.open(at):
            return False
        era = self.timeline.at(at)
        facts = {**self.facts, "contact.stage": self.stage or "", "score.interest": interest}
        if self.activity is not None:
            self.activity.advance(at)
            facts.update(self.activity.attribution.facts())
        if self.last_at is not None:
            facts["contact.days_in_stage"] = (at - self.last_at).days
        actor = Actor(rule=rule) if rule else Actor(sides=acts_for(people.user(user).role) if user else frozenset())
        try:
            checked = check_move(
                era.playbook, from_key=self.stage, to_key=to_stage, actor=actor, facts=facts, reason=reason,
                note=note, reengage_on=reengage_on, today=at.date(), reason_list=reason_list,
            )
        except IllegalMove:
            return False
        record = dict(details or {})
        if checked.criteria is not None:
            record["criteria"] = checked.criteria.as_dict()
        self.moves.append(
            MoveSeed(
                from_stage=self.stage or "", to_stage=to_stage, kind=checked.transition.kind.value, at=at,
                by_user=user, by_rule=rule or "", version=era.number, reason=checked.reason or "",
                note=checked.note, reengage_on=checked.reengage_on, details=record,
            )
        )
        if self.activity is not None:
            self.activity.moved(to_stage, at)
        return True


def _hours(rng: random.Random, median: float, spread: float) -> dt.timedelta:
    return dt.timedelta(hours=median * math.exp(rng.gauss(0, spread)))


def _days(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(days=rng.uniform(low, high))


def _note(rng: random.Random, list_name: str, reason: str, playbook: Playbook) -> str:
    """A note that fits the reason: always when the reason needs one, sometimes otherwise."""
    notes = words.NOTES.get(list_name, {})
    pool = notes.get(reason) or notes.get("other") or ("See the call notes.",)
    found = playbook.reason(list_name, reason)
    if found is not None and found.note_required:
        return rng.choice(pool)
    return rng.choice(pool) if rng.random() < 0.3 else ""


@dataclass(frozen=True)
class Ask:
    """A contact has just entered the MQL stage: its hand-off waits for routing at `at`, which
    reads `facts` under `playbook`. The plan routes it and sends the journey its HandoffSeed."""

    at: dt.datetime
    facts: Mapping[str, Any]
    playbook: Playbook
    version: int
    quadrant: str
    move: int  # index of the move into MQL


# A journey pauses at each move into MQL until its hand-off is routed (routing weighs everyone's
# hand-offs so far, so the plan routes all of them in time order); it returns the moves.
Flow = Generator[Ask, HandoffSeed, None]


def journey(
    rng: random.Random,
    seed: PersonSeed,
    company: CompanySeed | None,
    facts: Mapping[str, Any],
    *,
    timeline: Timeline,
    now: dt.datetime,
    activity: Activity | None = None,
) -> Generator[Ask, HandoffSeed, list[MoveSeed]]:
    """The person's history from first touch to today. Sets seed.owner, seed.properties,
    seed.handoffs and seed.deals as it goes.

    With an `activity`, each move comes with the events that explain it, placed just before it:
    the first page view before the visitor stage, the sign-up before subscriber, a form
    submission before lead, and interest (a demo request, an offer, the pricing page) before an MQL.
    """
    act = activity
    j = Journey(rng, timeline, facts, now, act)
    source = SOURCES.get(seed.lead_source, SOURCES["Organic search"])
    start = seed.created_at
    if seed.anonymous:
        if act is not None and j.open(start):
            act.first_visit(start)
        j.move("visitor", start, rule="tracking")
        _finish(act)
        return j.moves
    # Marketing's half: first touch, maybe a newsletter sign-up, then a form for an offer.
    if rng.random() < source.visitor_first:
        if act is not None and j.open(start):
            act.first_visit(start)
        j.move("visitor", start, rule="tracking")
        start = start + _hours(rng, 30, 1.4)
    newsletter = seed.consent is True and (seed.lead_source == "Email" or rng.random() < 0.18)
    if newsletter:
        if act is not None and j.open(start):
            act.subscribe(start)
        j.move("subscriber", start, rule="entry:subscriber")
        if rng.random() < 0.55:
            at = start + _days(rng, 3, 60)
            if act is not None and j.stage == "subscriber" and j.open(at):
                act.form(at)
            j.move("lead", at, rule="entry:lead")
    else:
        if act is not None and j.open(start):
            act.form(start)
        j.move("lead", start, rule="entry:lead")
    if j.stage not in {"lead", "subscriber"} or j.last_at is None:
        _finish(act)
        return j.moves
    grade = seed.fit_grade
    spam_risk = 0.12 if grade == "D" and company is None else 0.03 if grade in {"C", "D"} else 0.005
    if rng.random() < spam_risk:
        reason = pick(rng, {"spam": 40, "student": 35 if company is None else 5, "competitor": 10,
                            "out_of_territory": 30 if seed.country not in TERRITORY else 2})
        at = working_time(j.last_at + _days(rng, 0.2, 9), "America/New_York")
        j.move("disqualified", at, user=people.MARKETING, reason=reason,
               note=_note(rng, "disqualify", reason, timeline.at(at).playbook))
        _finish(act)
        return j.moves
    if grade not in {"A", "B"} or seed.consent is False:
        _finish(act)
        return j.moves
    # The MQL rule fires once interest builds up.
    chance = (0.6 if grade == "A" else 0.36) * source.mql
    draw = rng.random()
    at = j.last_at + _days(rng, 0.5, 5) + dt.timedelta(days=rng.expovariate(1 / 14))
    if timeline.at(at) is not timeline.eras[0]:
        chance *= 0.82  # the stricter threshold of the newer version lets fewer through
    if draw >= min(chance, 0.95):
        _finish(act)
        return j.moves
    yield from _sales(j, rng, seed, company, source, at, cycle=1)
    _finish(act)
    return j.moves


def _finish(activity: Activity | None) -> None:
    if activity is not None:
        activity.finish()


# What tips interest over the MQL line, by the stage the contact is in. Before lead, only a form
# does (the first form is what a lead is); a recycled contact's form would make it a lead again.
TRIGGERS: dict[str, tuple[tuple[str, float], ...]] = {
    "subscriber": (("demo", 45), ("content", 55)),
    "lead": (("demo", 40), ("content", 25), ("pricing", 35)),
    "recycled": (("pricing", 100),),
}


def _mql(j: Journey, rng: random.Random, at: dt.datetime, interest: float) -> bool:
    if j.activity is not None and j.open(at) and j.stage in TRIGGERS:
        j.activity.engage(at, kinds=TRIGGERS[j.stage])
    return j.move("mql", at, rule="mql", interest=interest)


def _sales(
    j: Journey, rng: random.Random, seed: PersonSeed, company: CompanySeed | None, source: Source,
    at: dt.datetime, *, cycle: int,
) -> Flow:
    """From the MQL on: the hand-off, the rep's answer to it, the deal, and sometimes a second round."""
    interest = round(rng.uniform(*MQL_INTEREST), 1)
    if not _mql(j, rng, at, interest):
        return
    era = j.timeline.at(at)
    quadrant = j.timeline.scoring(era).quadrant(seed.fit_grade, interest).value
    facts = {**j.facts, "contact.stage": "mql", "score.interest": interest, "score.quadrant": quadrant,
             "contact.owner": seed.owner}  # fmt: skip
    handoff = yield Ask(at=at, facts=facts, playbook=era.playbook, version=era.number, quadrant=quadrant,
                        move=len(j.moves) - 1)  # fmt: skip
    seed.handoffs.append(handoff)
    rep = handoff.owner
    if rep is None:
        return  # in the team's queue: nobody was available to take it yet
    seed.owner = rep
    zone = people.user(rep).time_zone
    newer = era is not j.timeline.eras[0]
    # Most MQLs are worked within hours; some wait days (the SLA breaches the scoreboard shows).
    slow = rng.random() < 0.15
    wait = _days(rng, 1, 6) if slow else _hours(rng, 5, 1.1)
    respond = working_time(at + wait, zone)
    if j.now - at < dt.timedelta(days=10) and rng.random() < 0.35:
        return  # still open: attempts under way, no answer yet
    accept = source.accept + (0.1 if newer else 0) + (0.05 if seed.fit_grade == "A" else 0)
    if rng.random() < min(accept, 0.95):
        if not j.move("sql", respond, user=rep):
            return
        handoff.close("accepted", respond, by=rep, to_stage="sql")
        _deal(j, rng, seed, company, source, rep, zone)
        return
    playbook = j.timeline.at(respond).playbook
    if rng.random() < 0.6:
        reason = pick(rng, {**REJECT, "not_decision_maker": 60 if seed.seniority == "individual" else 20,
                            "no_budget": 40 if company is not None and company.employees < 50 else 18})
        found = playbook.reason("reject", reason)
        target = playbook.reject_outcome(found) if found is not None else None
        if target is None:
            return
        note = _note(rng, "reject", reason, playbook)
        if not j.move(target.key, respond, user=rep, reason=reason, note=note, reason_list="reject"):
            return
        moved = j.moves[-1]
        handoff.close("rejected", respond, by=rep, to_stage=target.key, reason=reason, note=moved.note,
                      reengage_on=moved.reengage_on)  # fmt: skip
        if target.kind is StageKind.RECYCLE and moved.reengage_on and cycle < MAX_CYCLES and rng.random() < 0.22:
            back = dt.datetime.combine(moved.reengage_on, dt.time(13), tzinfo=dt.UTC) + _days(rng, 0, 14)
            yield from _sales(j, rng, seed, company, source, back, cycle=cycle + 1)
        return
    yield from _recycle(j, rng, seed, company, source, respond, rep, RECYCLE_MQL, cycle=cycle, handoff=handoff)


def _recycle(
    j: Journey, rng: random.Random, seed: PersonSeed, company: CompanySeed | None, source: Source,
    at: dt.datetime, rep: str, reasons: Mapping[str, float], *, cycle: int, handoff: HandoffSeed | None = None,
) -> Flow:
    """The rep hands the contact back to marketing to nurture until a re-engage date."""
    reason = pick(rng, reasons)
    later = (at + _days(rng, 30, 120)).date()
    note = _note(rng, "recycle", reason, j.timeline.at(at).playbook)
    if not j.move("recycled", at, user=rep, reason=reason, note=note, reengage_on=later):
        return
    if handoff is not None:
        handoff.close("recycled", at, by=rep, to_stage="recycled", reason=reason, note=j.moves[-1].note,
                      reengage_on=later)  # fmt: skip
    if cycle < MAX_CYCLES and rng.random() < 0.4:
        back = dt.datetime.combine(later, dt.time(13), tzinfo=dt.UTC) + _days(rng, 0, 14)
        yield from _sales(j, rng, seed, company, source, back, cycle=cycle + 1)


def _deal(
    j: Journey, rng: random.Random, seed: PersonSeed, company: CompanySeed | None, source: Source,
    rep: str, zone: str,
) -> None:
    """After the SQL: a deal (the contact an opportunity), won (a customer) or lost (recycled with
    the loss reason), as the deal actions move the contact; or no deal, and the rep hands it back."""
    assert j.last_at is not None
    sql_at = j.last_at
    if rng.random() < source.opportunity + (0.05 if seed.fit_grade == "A" else 0):
        at = working_time(sql_at + _days(rng, 1, 12), zone)
        name, amount, currency = sales.deal_terms(rng, seed, company)
        size = company.employees if company else 10
        cycle_days = 10 + rng.expovariate(1 / (18 if size < 200 else 28 if size < 1000 else 42))
        closed = working_time(at + dt.timedelta(days=cycle_days), zone)
        expected = (at + dt.timedelta(days=cycle_days * rng.uniform(0.7, 1.2))).date()
        j.deals(open_deals=1, won_deals=0)
        if not j.move("opportunity", at, user=rep):
            j.deals(open_deals=0, won_deals=0)
            return
        deal = DealSeed(name=name, amount=amount, currency=currency, expected_close=max(expected, at.date()),
                        owner=rep, created_at=at)  # fmt: skip
        seed.deals.append(deal)
        if rng.random() < source.win:
            j.deals(open_deals=0, won_deals=1)
            if j.move("customer", closed, user=rep):
                deal.stage, deal.closed_at = "won", closed
            else:
                j.deals(open_deals=1, won_deals=0)  # still open today
            return
        loss = pick(rng, LOSS)
        note = rng.choice(LOST_NOTES) if loss == "other" or rng.random() < 0.25 else ""
        j.deals(open_deals=0, won_deals=0)
        if j.move("recycled", closed, user=rep, reason=loss, note=note, reason_list="loss"):
            deal.stage, deal.closed_at, deal.loss_reason, deal.loss_note = "lost", closed, loss, j.moves[-1].note
        else:
            j.deals(open_deals=1, won_deals=0)
        return
    at = working_time(sql_at + _days(rng, 7, 24), zone)
    if rng.random() < 0.82:
        for _ in _recycle(j, rng, seed, company, source, at, rep, RECYCLE_SQL, cycle=MAX_CYCLES):
            raise AssertionError("a contact recycled from SQL is not handed to sales again here")
    else:
        abroad = seed.country not in TERRITORY
        reason = pick(rng, {"competitor": 25, "other": 20, "out_of_territory": 40 if abroad else 5})
        playbook = j.timeline.at(at).playbook
        note = rng.choice(LOST_NOTES) if reason == "other" else _note(rng, "disqualify", reason, playbook)
        j.move("disqualified", at, user=rep, reason=reason, note=note)


def final_interest(rng: random.Random, seed: PersonSeed, stage: str | None) -> float:
    """Today's interest, consistent with the MQL rule: a good fit still below MQL is below 40."""
    eligible = seed.fit_grade in {"A", "B"} and seed.consent is not False
    if stage in {"mql", "sql", "opportunity"}:
        value = rng.uniform(52, 140)
    elif stage == "customer":
        value = rng.uniform(15, 90)
    elif stage == "disqualified":
        value = rng.uniform(0, 25)
    elif eligible:
        value = rng.uniform(0, 38)
    elif rng.random() < 0.12:
        value = rng.uniform(40, 120)  # poor fit, high interest: the quadrant marketing reviews
    else:
        value = min(rng.expovariate(1 / 14), 39.0)
    return round(value, 1)
