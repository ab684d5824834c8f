"""The whole demo workspace as data: companies, people with their scores, owners and histories."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from accord.demo.domain import journeys, workspace
from accord.demo.domain.journeys import Era, Timeline
from accord.demo.domain.workspace import CompanySeed, PersonSeed

CONTACTS_PER_ACCOUNT = 8
PROGRESS_EVERY = 250


@dataclass
class Plan:
    companies: list[CompanySeed]
    people: list[PersonSeed]  # in the order they arrived

    @property
    def moves(self) -> int:
        return sum(len(p.moves) for p in self.people)


def plan(
    *,
    seed: int,
    contacts: int,
    now: dt.datetime,
    eras: Sequence[Era],
    taken_emails: set[str] | frozenset[str] = frozenset(),
    taken_domains: set[str] | frozenset[str] = frozenset(),
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Plan `contacts` people at about one company per eight of them.

    The same seed gives the same companies, people and journeys; times are relative to `now`.
    Each part draws from its own random stream, and each journey from one keyed by the person,
    so nothing one part does shifts the draws of another. `progress(n)` hears of every n people planned.
    """
    window_start = now - dt.timedelta(days=workspace.WINDOW_DAYS)
    timeline = Timeline(eras)
    company_count = max(1, round(contacts / CONTACTS_PER_ACCOUNT)) if contacts else 0
    companies = workspace.companies(
        random.Random(f"{seed}:companies"), company_count, set(taken_domains), window_start=window_start
    )
    people = (
        workspace.population(random.Random(f"{seed}:people"), contacts, companies, set(taken_emails),
                             window_start=window_start)
        if companies else []
    )
    people.sort(key=lambda p: (p.created_at, p.index))
    playbook = timeline.latest.playbook  # scores are kept by the version in force today
    router = journeys.Router()
    for done, person in enumerate(people, start=1):
        company = companies[person.company] if person.company is not None else None
        facts = workspace.profile_facts(person, company)
        person.fit_score, person.fit_grade = workspace.fit(playbook, facts)
        facts["score.fit"], facts["score.grade"] = person.fit_score, person.fit_grade or None
        rng = random.Random(f"{seed}:journey:{person.index}")
        person.moves = journeys.journey(rng, person, company, facts, timeline=timeline, router=router, now=now)
        if person.moves:
            person.created_at = person.moves[0].at
        stage = person.moves[-1].to_stage if person.moves else None
        person.interest_score = journeys.final_interest(rng, person, stage)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(people)):
            progress(done % PROGRESS_EVERY or PROGRESS_EVERY)
    first_seen: dict[int, dt.datetime] = {}
    for person in people:
        if person.company is not None and person.company not in first_seen:
            first_seen[person.company] = person.created_at
    for index, company in enumerate(companies):
        if index in first_seen:
            company.created_at = first_seen[index] - dt.timedelta(hours=1 + (index % 72))
    return Plan(companies=companies, people=people)
