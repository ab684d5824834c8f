"""Writes of the demo workspace: its people and teams, the playbook's second version, then
accounts, contacts and their stage history in bulk, all in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max

from accord.accounts.actions import team_add_member, team_create
from accord.accounts.domain import Side
from accord.accounts.models import Membership, Team, User
from accord.contacts.models import Account, Contact
from accord.core import clock
from accord.core.models import AuditEntry
from accord.demo.domain import people
from accord.demo.domain import playbook as story
from accord.demo.domain.journeys import Era
from accord.demo.domain.plan import Plan, plan
from accord.lifecycle.models import StageChange
from accord.playbook.actions import playbook_activate, playbook_draft_create, playbook_sign
from accord.playbook.models import PlaybookVersion, Signature, VersionStatus

T = TypeVar("T")

STAFF_SINCE_DAYS = 210  # the demo team has used Accord for about seven months
BATCH_SIZE = 1000
CHUNK = 500  # contacts written (with their history) between two progress updates


@dataclass
class DemoResult:
    contacts: int = 0
    accounts: int = 0
    stage_changes: int = 0
    users: int = 0
    teams: int = 0
    memberships: int = 0
    playbook_rows: int = 0
    audit_entries: int = 0
    playbook_version: PlaybookVersion | None = None  # the version the demo created, if it did
    seconds: float = 0.0
    by_stage: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return (
            self.contacts + self.accounts + self.stage_changes + self.users + self.teams + self.memberships
            + self.playbook_rows + self.audit_entries
        )


Progress = Callable[[str, int, int], None]  # (step, how many more contacts, contacts in all)


def demo_load(*, contacts: int, seed: int, progress: Progress | None = None) -> DemoResult:
    """Create the demo workspace, adding to whatever is there. The same seed gives the same data.

    `progress` hears how far planning, then writing, has come, in contacts."""
    started = time.perf_counter()
    result = DemoResult()
    now = clock.now()
    with transaction.atomic():
        audit_before = AuditEntry.objects.aggregate(n=Max("id"))["n"] or 0
        users = _users(now, result)
        _teams(users, now, result)
        result.playbook_version = _playbook(users, now, result)
        taken_emails = {e for e in Contact.objects.values_list("email", flat=True).iterator() if e}
        taken_domains = set(Account.objects.exclude(domain="").values_list("domain", flat=True).iterator())
        the_plan = plan(
            seed=seed, contacts=contacts, now=now, eras=_eras(), taken_emails=taken_emails, taken_domains=taken_domains,
            progress=(lambda n: progress("Planning", n, contacts)) if progress else None,
        )
        _write(the_plan, users, result, (lambda n: progress("Writing", n, contacts)) if progress else None)
        result.audit_entries = AuditEntry.objects.filter(id__gt=audit_before).count()
    result.seconds = time.perf_counter() - started
    return result


def _users(now: dt.datetime, result: DemoResult) -> dict[str, User]:
    """The demo users by email; existing ones are reused as they are."""
    existing = {u.email: u for u in User.objects.filter(email__in=[d.email for d in people.USERS])}
    created: list[int] = []
    for demo in people.USERS:
        if demo.email not in existing:
            # Straight to the manager: the demo password is too short for the password validators.
            user = User.objects.create_user(demo.email, None, name=demo.name, role=demo.role, time_zone=demo.time_zone)
            existing[demo.email] = user
            created.append(user.pk)
    if created:
        since = now - dt.timedelta(days=STAFF_SINCE_DAYS)
        User.objects.filter(pk__in=created).update(password=make_password(people.DEMO_PASSWORD), created_at=since)
    result.users = len(created)
    return existing


def _teams(users: dict[str, User], now: dt.datetime, result: DemoResult) -> None:
    since = now - dt.timedelta(days=STAFF_SINCE_DAYS)
    for demo in people.TEAMS:
        team = Team.objects.filter(name=demo.name).first()
        if team is None:
            team = team_create(
                name=demo.name, side=demo.side, time_zone=demo.time_zone, manager=users[demo.manager], acting_user=None
            )
            result.teams += 1
        before = Membership.objects.filter(team=team).count()
        for email in demo.members:
            team_add_member(team=team, user=users[email], acting_user=None)
        result.memberships += Membership.objects.filter(team=team).count() - before
        Membership.objects.filter(team=team, user__in=[users[e] for e in demo.members], joined_at__gt=since).update(
            joined_at=since
        )
        AuditEntry.objects.filter(object_type="accounts.team", object_id=str(team.pk), at__gt=since).update(at=since)


def _playbook(users: dict[str, User], now: dt.datetime, result: DemoResult) -> PlaybookVersion | None:
    """Draft, sign and activate version 2, backdated. Only on a workspace still on its first version."""
    versions = list(PlaybookVersion.objects.order_by("number"))
    if len(versions) != 1 or versions[0].status != VersionStatus.ACTIVE:
        return None
    v1 = versions[0]
    admin, marketing, sales = users[people.ADMIN], users[people.MARKETING], users[people.SALES_MANAGER]
    draft = playbook_draft_create(source=story.revised_source(v1.source), note=story.V2_NOTE, acting_user=admin)
    playbook_sign(version=draft, acting_user=marketing)
    playbook_sign(version=draft, acting_user=sales)
    v2 = playbook_activate(version=draft, acting_user=admin)
    result.playbook_rows = 3  # the version and its two signatures

    drafted, marketing_signed, sales_signed, activated = story.v2_steps(now)
    if v1.activated_at is None:  # as the migration installed it: in force from before the demo's history
        v1_since = now - dt.timedelta(days=story.V1_SINCE_DAYS)
        PlaybookVersion.objects.filter(pk=v1.pk).update(created_at=v1_since, activated_at=v1_since)
    PlaybookVersion.objects.filter(pk=v1.pk).update(retired_at=activated)
    PlaybookVersion.objects.filter(pk=v2.pk).update(created_at=drafted, activated_at=activated)
    Signature.objects.filter(version=v2, side=Side.MARKETING).update(signed_at=marketing_signed)
    Signature.objects.filter(version=v2, side=Side.SALES).update(signed_at=sales_signed)
    entries = AuditEntry.objects.filter(object_type="playbook.playbookversion", object_id=str(v2.pk))
    entries.filter(action="playbook_draft_create").update(at=drafted)
    entries.filter(action="playbook_sign", actor=marketing).update(at=marketing_signed)
    entries.filter(action="playbook_sign", actor=sales).update(at=sales_signed)
    entries.filter(action="playbook_activate").update(at=activated)
    v2.refresh_from_db()
    return v2


def _eras() -> list[Era]:
    """Every version that has been in force, with the moment it came into force."""
    versions = PlaybookVersion.objects.filter(
        status__in=[VersionStatus.ACTIVE, VersionStatus.RETIRED]
    ).order_by("number")
    return [Era(number=v.number, playbook=v.playbook, since=v.activated_at) for v in versions]


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _write(
    the_plan: Plan, users: dict[str, User], result: DemoResult, progress: Callable[[int], None] | None
) -> None:
    versions = {v.number: v for v in PlaybookVersion.objects.all()}
    accounts = [
        Account(
            name=c.name, domain=c.domain, industry=c.industry, employees=c.employees,
            annual_revenue=c.annual_revenue, country=c.country, owner=users[c.owner] if c.owner else None,
            properties={"segment": c.segment}, created_at=c.created_at, updated_at=c.created_at,
        )
        for c in the_plan.companies
    ]
    Account.objects.bulk_create(accounts, batch_size=BATCH_SIZE)
    result.accounts = len(accounts)
    for chunk in _chunks(the_plan.people, CHUNK):
        rows = []
        for p in chunk:
            last = p.moves[-1] if p.moves else None
            rows.append(
                Contact(
                    email=p.email, first_name=p.first_name, last_name=p.last_name, title=p.title,
                    seniority=p.seniority, phone=p.phone, country=p.country,
                    account=accounts[p.company] if p.company is not None else None,
                    owner=users[p.owner] if p.owner else None,
                    consent=p.consent, consent_at=p.created_at if p.consent is not None else None,
                    properties=p.properties,
                    stage=last.to_stage if last else "",
                    stage_changed_at=last.at if last else None,
                    reengage_on=last.reengage_on if last else None,
                    playbook_version=versions[last.version] if last else None,
                    fit_score=p.fit_score, fit_grade=p.fit_grade, interest_score=p.interest_score,
                    created_at=p.created_at, updated_at=last.at if last else p.created_at,
                )
            )
        Contact.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        changes = [
            StageChange(
                contact=row, from_stage=m.from_stage, to_stage=m.to_stage, kind=m.kind, at=m.at,
                by_user=users[m.by_user] if m.by_user else None, by_rule=m.by_rule,
                playbook_version=versions[m.version], reason=m.reason, note=m.note, reengage_on=m.reengage_on,
                details=m.details,
            )
            for p, row in zip(chunk, rows, strict=True)
            for m in p.moves
        ]
        StageChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
        result.contacts += len(rows)
        result.stage_changes += len(changes)
        for row in rows:
            result.by_stage[row.stage] = result.by_stage.get(row.stage, 0) + 1
        if progress is not None:
            progress(len(rows))
