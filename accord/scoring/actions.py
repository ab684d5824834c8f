"""Writes of the scoring engine: score contacts as events arrive or profiles change, and hand those
whose scores now meet the MQL rule to the stage machine with the breakdown of why.

`contacts_score` runs inside the caller's transaction (the ingest transaction for events), locks
the contacts in id order, updates each contact's scores in O(1) per event (see `domain`), writes a
`ScoreChange` for every contact whose scores changed, and lets the stage rules move them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from accord.contacts.models import Contact, Score
from accord.contacts.queries import contact_facts
from accord.core import clock
from accord.lifecycle.actions import contacts_apply_rules
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.scoring import domain
from accord.scoring.models import Cause
from accord.scoring.queries import contacts_breakdown, contacts_hits, model_of
from accord.scoring.store import History, insert_history, update_scores

# Interest moves below this are not worth a history row (they still update the contact). Interest
# is read to the hundredth, so this is one hundredth: half of one, as two hundredths' difference in
# floats may fall either side of 0.01 (0.03 - 0.02 < 0.01).
NOTICEABLE = 0.005


@dataclass(frozen=True, slots=True)
class Seen:
    """One stored event of a known contact, as the interest rules read it."""

    contact_id: int
    day: int
    facts: Mapping[str, Any]


@dataclass
class Scored:
    """What one call changed."""

    changed: set[int] = field(default_factory=set)  # contacts whose scores changed
    recomputed: set[int] = field(default_factory=set)  # contacts that needed their history
    moved: dict[int, str] = field(default_factory=dict)  # contact id -> the stage the rules moved it to


def contacts_score(
    *,
    seen: Sequence[Seen] = (),
    refit: Iterable[int] = (),
    recompute: Iterable[int] = (),
    recheck: Iterable[int] = (),
    now: dt.datetime | None = None,
) -> Scored:
    """Score new events (`seen`), contacts whose profile changed (`refit`) and contacts whose
    history changed under them (`recompute`: earlier events linked, a merge); then apply the stage
    rules to every contact whose scores changed and to `recheck` (their other facts changed)."""
    refit, recompute, recheck = set(refit), set(recompute), set(recheck)
    if not (seen or refit or recompute or recheck):
        return Scored()
    now = now or clock.now()
    today = domain.day_number(now)
    version = active_playbook()
    model = model_of(version)
    hits: dict[int, list[tuple[domain.InterestRule, int]]] = defaultdict(list)
    matched: dict[int, Counter[str]] = defaultdict(Counter)
    for event in seen:
        for rule in model.rules_for(event.facts):
            hits[event.contact_id].append((rule, event.day))
            matched[event.contact_id][rule.key] += 1
    ids = set(hits) | refit | recompute
    result = Scored()
    rescored: set[int] = set()  # contacts whose scores or persona changed: facts the stage rules read
    if ids:
        contacts = list(
            Contact.objects.select_for_update(of=("self",))
            .select_related("account", "owner", "score")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        changes: list[History] = []
        scores: list[Score] = []
        planned: list[tuple[Contact, Score, Cause, tuple[Any, ...], str, domain.Interest]] = []
        again: set[int] = set()  # contacts whose interest is recomputed from their whole history
        for contact in contacts:
            cause = Cause.EVENT if contact.pk in hits else Cause.PROFILE
            score = contact.current_score or Score(contact=contact)  # the contact reads it from now on
            scores.append(score)
            before = (score.fit_score, score.fit_grade, score.interest_score, score.quadrant)
            persona = score.persona
            full = contact.pk in recompute or score.score_version_id != version.pk
            if full or contact.pk in refit or score.fit_score is None:
                _refit(model, contact, score, now)
            state = domain.Interest.of(score.interest_mass, score.interest_anchor, score.interest_caps)
            if not full:
                for rule, day in hits.get(contact.pk, ()):
                    if not domain.add(model, state, rule, day, today):
                        full = True
                        break
            if full or not domain.fresh(model, state, today):
                again.add(contact.pk)
            planned.append((contact, score, cause, before, persona, state))
        histories = contacts_hits(model, again)  # one read of the events of all of them
        for contact, score, cause, before, persona, state in planned:
            if contact.pk in again:
                state = domain.recompute(model, histories.get(contact.pk, []), today)
                result.recomputed.add(contact.pk)
            _store_interest(model, score, state, today, now, version)
            if _changed(before, score):
                result.changed.add(contact.pk)
                details = {"rules": dict(sorted(matched[contact.pk].items()))} if contact.pk in matched else {}
                changes.append(_history(score, before, cause, version, now, details))
                rescored.add(contact.pk)
            elif score.persona != persona:
                rescored.add(contact.pk)
        update_scores(scores)
        insert_history(changes)
        loaded = {c.pk: c for c in contacts if c.pk in rescored or c.pk in recheck}
    else:
        loaded = {}
    result.moved = _apply_rules(loaded, recheck - set(loaded), version)
    return result


def contacts_refresh(*, ids: Iterable[int], history: bool = False, now: dt.datetime | None = None) -> Scored:
    """Score contacts again under the active playbook after their profile changed, in one
    transaction, and let the stage rules look at them; with `history`, recompute their interest
    from their events too (after a merge). For everyone use `accord score rescore`."""
    chosen = list(ids)
    with transaction.atomic():
        return contacts_score(refit=chosen, recompute=chosen if history else (), recheck=chosen, now=now)


def _refit(model: domain.Model, contact: Contact, score: Score, now: dt.datetime) -> None:
    found = model.fit(contact_facts(contact, now=now))
    score.fit_score, score.fit_grade, score.persona = found.score, found.grade, found.persona


def _store_interest(
    model: domain.Model,
    score: Score,
    state: domain.Interest,
    today: int,
    now: dt.datetime,
    version: PlaybookVersion,
) -> None:
    score.interest_mass, score.interest_anchor, score.interest_caps = state.mass, state.anchor, state.as_json()
    score.interest_score = model.value(state.mass, state.anchor, today)
    score.quadrant = model.quadrant(score.fit_grade, score.interest_score)
    score.scored_at, score.score_version = now, version


def _changed(before: tuple[Any, ...], score: Score) -> bool:
    fit, grade, interest, quadrant = before
    if (fit, grade, quadrant) != (score.fit_score, score.fit_grade, score.quadrant):
        return True
    return interest is None or abs((score.interest_score or 0) - interest) >= NOTICEABLE


def _history(
    score: Score,
    before: tuple[Any, ...],
    cause: Cause,
    version: PlaybookVersion,
    now: dt.datetime,
    details: dict[str, Any],
) -> History:
    return History(
        contact_id=score.contact_id,
        at=now,
        cause=cause.value,
        playbook_version_id=version.pk,
        fit_score=score.fit_score or 0,
        fit_grade=score.fit_grade,
        interest_score=score.interest_score or 0.0,
        quadrant=score.quadrant,
        previous_fit_score=before[0],
        previous_grade=before[1] or "",
        previous_interest=before[2],
        details=details,
        interest_mass=score.interest_mass,
        interest_anchor=score.interest_anchor,
    )


def _apply_rules(loaded: dict[int, Contact], others: set[int], version: PlaybookVersion) -> dict[int, str]:
    """Let the stage rules look at contacts already loaded (with their new scores) and others by
    id, all at once (the caller holds their rows locked)."""
    contacts = list(loaded.values())
    if others:
        contacts += list(
            Contact.objects.select_for_update(of=("self",))
            .select_related("account", "owner", "score")
            .filter(pk__in=others)
            .order_by("pk")
        )
    changes = contacts_apply_rules(
        contacts=contacts, version=version, explain=lambda handed: contacts_breakdown(handed, version=version)
    )
    return {pk: change.to_stage for pk, change in changes.items()}
