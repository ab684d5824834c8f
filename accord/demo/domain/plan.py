"""The whole demo workspace as data: companies, people with their scores, owners and histories."""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

from accord.demo.domain import activity, journeys, sales, workspace
from accord.demo.domain import campaigns as calendar
from accord.demo.domain.campaigns import CampaignSeed
from accord.demo.domain.journeys import Ask, Era, MoveSeed, Timeline
from accord.demo.domain.sales import HandoffSeed, Staff
from accord.demo.domain.workspace import CompanySeed, PersonSeed
from accord.scoring.domain import Model as ScoringModel
from accord.tracking.domain import Message

CONTACTS_PER_ACCOUNT = 8
STRAYS_PER_CONTACT = 0.4  # browsers that visit without ever saying who they are
PROGRESS_EVERY = 250


@dataclass
class Plan:
    companies: list[CompanySeed]
    people: list[PersonSeed]  # in the order they arrived
    campaigns: list[CampaignSeed]
    strays: list[Message]  # page views of visitors who never identified

    @property
    def moves(self) -> int:
        return sum(len(p.moves) for p in self.people)

    @property
    def handoffs(self) -> int:
        return sum(len(p.handoffs) for p in self.people)

    @property
    def events(self) -> int:
        return sum(len(p.messages) for p in self.people) + len(self.strays)


def plan(
    *,
    seed: int,
    contacts: int,
    now: dt.datetime,
    eras: Sequence[Era],
    taken_emails: set[str] | frozenset[str] = frozenset(),
    taken_domains: set[str] | frozenset[str] = frozenset(),
    salt: str = "",
    progress: Callable[[int], None] | None = None,
    staff: Staff | None = None,
    prior: Sequence[HandoffSeed] = (),
) -> Plan:
    """Plan `contacts` people at about one company per eight of them, with their activity.

    The same seed gives the same companies, people, journeys and events; times are relative to
    `now`. Each part draws from its own random stream, and each journey and each person's
    activity from one keyed by the person, so nothing one part does shifts the draws of another.
    `salt` changes the activity streams only (message and anonymous ids), for a second load into
    the same workspace. `progress(n)` hears of every n people planned.

    Every move into MQL opens a hand-off that the product's routing sends to one of `staff` (the
    demo's cast, with ids by its order, when None); the journeys pause there, and the plan routes
    all of them in time order, so each decision weighs the hand-offs before it (the workspace's
    `prior` ones too, for a second load).
    """
    window_start = now - dt.timedelta(days=workspace.WINDOW_DAYS)
    timeline = Timeline(eras)
    campaigns = calendar.calendar(now, workspace.WINDOW_DAYS)
    sends = activity.mailings(campaigns, window_start, now)
    company_count = max(1, round(contacts / CONTACTS_PER_ACCOUNT)) if contacts else 0
    companies = workspace.companies(
        random.Random(f"{seed}:companies"), company_count, set(taken_domains), window_start=window_start
    )
    people = (
        workspace.population(random.Random(f"{seed}:people"), contacts, companies, set(taken_emails),
                             window_start=window_start, campaigns=campaigns)
        if companies else []
    )
    people.sort(key=lambda p: (p.created_at, p.index))
    playbook = timeline.latest.playbook  # scores are kept by the version in force today
    scoring = ScoringModel.of(playbook)  # the product's fit rules, as the rescore will apply them
    desk = sales.Desk(staff or sales.demo_staff(now.date()), prior)
    flows: dict[int, Generator[Ask, HandoffSeed, list[MoveSeed]]] = {}
    streams: dict[int, tuple[random.Random, activity.Activity]] = {}
    waiting: list[tuple[dt.datetime, int, Ask]] = []  # hand-offs to route, earliest first
    done = 0

    def step(person: workspace.PersonSeed, handoff: HandoffSeed | None) -> None:
        """Run the person's journey to its next MQL, or to its end (then finish the person)."""
        nonlocal done
        try:
            ask = flows[person.index].send(handoff) if handoff is not None else next(flows[person.index])
        except StopIteration as end:
            _finish(person, end.value, *streams.pop(person.index))
            del flows[person.index]
            done += 1
            if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(people)):
                progress(done % PROGRESS_EVERY or PROGRESS_EVERY)
            return
        heapq.heappush(waiting, (ask.at, person.index, ask))

    by_index = {p.index: p for p in people}
    for person in people:
        company = companies[person.company] if person.company is not None else None
        facts = workspace.profile_facts(person, company)
        found = scoring.fit(facts)
        person.fit_score, person.fit_grade = found.score, found.grade
        facts["score.fit"], facts["score.grade"] = person.fit_score, person.fit_grade or None
        rng = random.Random(f"{seed}:journey:{person.index}")
        act = activity.Activity(
            random.Random(f"{seed}:{salt}activity:{person.index}"), start=window_start, now=now, campaigns=campaigns,
            sends=sends, lead_source=person.lead_source, country=person.country, email=person.email,
            traits=_traits(person, company), consent=person.consent,
        )
        flows[person.index] = journeys.journey(rng, person, company, facts, timeline=timeline, now=now, activity=act)
        streams[person.index] = (rng, act)
        step(person, None)
    while waiting:
        at, index, ask = heapq.heappop(waiting)
        handoff = desk.route(ask.playbook.routing, facts=ask.facts, at=at, quadrant=ask.quadrant, move=ask.move,
                             version=ask.version)  # fmt: skip
        step(by_index[index], handoff)
    for person in people:
        touches = random.Random(f"{seed}:touches:{person.index}")
        for handoff in person.handoffs:
            handoff.touches = sales.touches(touches, handoff, now=now)
    first_seen: dict[int, dt.datetime] = {}
    for person in people:
        if person.company is not None and person.company not in first_seen:
            first_seen[person.company] = person.created_at
    for index, company in enumerate(companies):
        if index in first_seen:
            company.created_at = first_seen[index] - dt.timedelta(hours=1 + (index % 72))
    strays = activity.stray_visits(
        random.Random(f"{seed}:{salt}strays"), round(contacts * STRAYS_PER_CONTACT), start=window_start, now=now,
        campaigns=campaigns,
    )
    return Plan(companies=companies, people=people, campaigns=campaigns, strays=strays)


def _finish(
    person: workspace.PersonSeed, moves: list[MoveSeed], rng: random.Random, act: activity.Activity
) -> None:
    """What the finished journey and its activity leave on the person."""
    person.moves = moves
    person.messages, person.identities, person.attribution = act.messages, act.identities, act.attribution
    person.consent_at = act.consent_at
    if act.attribution.first is not None:
        person.properties["lead_source"] = activity.lead_source(act.attribution.first[1].medium)
    if person.moves:
        person.created_at = person.moves[0].at
    stage = person.moves[-1].to_stage if person.moves else None
    person.interest_score = journeys.final_interest(rng, person, stage)


def _traits(person: PersonSeed, company: CompanySeed | None) -> dict[str, str]:
    """What a form tells about its sender: the identify call's traits."""
    if person.email is None:
        return {}
    traits = {"email": person.email, "firstName": person.first_name, "lastName": person.last_name}
    if person.title:
        traits["title"] = person.title
    if company is not None:
        traits["company"] = company.name
    return traits
