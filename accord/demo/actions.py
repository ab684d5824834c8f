"""Writes of the demo workspace: its people and teams and the playbook's second version in one
transaction; then the campaign calendar, accounts, contacts, their stage history, hand-offs,
deals, events and identities in bulk, and their scores, in a second one. History rows
(StageChange, HandoffChange, DealChange) are built by the product's event builders where it has
them, and each is inserted once, never updated."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction

from accord.accounts.actions import team_add_member, team_create
from accord.accounts.models import Membership, Team, User
from accord.campaigns.models import Campaign
from accord.contacts.models import Account, Contact
from accord.core import bulk, clock
from accord.deals import events as deal_events
from accord.deals.actions import deal_snapshot as deal_shown
from accord.deals.models import Deal, DealChange, DealContact
from accord.demo import queries
from accord.demo.domain import people, sales
from accord.demo.domain import playbook as story
from accord.demo.domain.campaigns import CampaignSeed
from accord.demo.domain.journeys import Era
from accord.demo.domain.plan import Plan, plan
from accord.demo.domain.sales import HandoffSeed, Staff
from accord.demo.domain.workspace import PersonSeed
from accord.demo.sla import demo_calendars, demo_sla
from accord.lifecycle import events as handoff_events
from accord.lifecycle import handoffs as product_handoffs
from accord.lifecycle.models import Handoff, HandoffChange, StageChange, Touch
from accord.playbook.actions import playbook_activate, playbook_draft_create, playbook_sign
from accord.playbook.models import PlaybookVersion, VersionStatus
from accord.playbook.queries import active_playbook
from accord.scoring.rescore import rescore
from accord.tracking.campaigns import forget as forget_campaigns
from accord.tracking.domain import Message
from accord.tracking.models import Event, Identity

T = TypeVar("T")

STAFF_SINCE_DAYS = 210  # the demo team has used Accord for about seven months
BATCH_SIZE = 1000  # rows in one INSERT at most
EVENT_BATCH_SIZE = 2000
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
    campaigns: int = 0
    events: int = 0
    identities: int = 0
    handoffs: int = 0
    deals: int = 0
    milestones: int = 0  # SLA milestones in the workspace
    breached: int = 0  # breached by today's sweep
    playbook_version: PlaybookVersion | None = None  # the version the demo created, if it did
    scored: int = 0  # contacts the scoring engine scored
    seconds: float = 0.0
    by_stage: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return (
            self.contacts
            + self.accounts
            + self.stage_changes
            + self.users
            + self.teams
            + self.memberships
            + self.playbook_rows
            + self.audit_entries
            + self.campaigns
            + self.events
            + self.identities
            + self.handoffs
            + self.deals
        )


Progress = Callable[[str, int, int], None]  # (step, how many more contacts, contacts in all)


def demo_load(*, contacts: int, seed: int, progress: Progress | None = None) -> DemoResult:
    """Create the demo workspace, adding to whatever is there. The same seed gives the same data.

    The people, teams and playbook are committed first: activating version 2 queues the
    product's rescore of every contact for after the commit, and there it finds the contacts the
    workspace had (none in a new one), while the demo's own are scored in the second transaction.
    The counts in the result are read from the database once both are committed.
    `progress` hears how far planning, then writing, has come, in contacts."""
    started = time.perf_counter()
    result = DemoResult()
    now = clock.now()
    before = queries.marks()
    with transaction.atomic():
        users = _users(now, result)
        team_ids = _teams(users, now, result)
        demo_calendars(now=now, since=now - dt.timedelta(days=STAFF_SINCE_DAYS))
        result.playbook_version = _playbook(users, now, result)
    with transaction.atomic():
        taken_emails = {e for e in Contact.objects.values_list("email", flat=True).iterator() if e}
        taken_domains = set(Account.objects.exclude(domain="").values_list("domain", flat=True).iterator())
        # A second load into the same workspace draws other message and anonymous ids.
        last_event = before.events
        the_plan = plan(
            seed=seed,
            contacts=contacts,
            now=now,
            eras=_eras(),
            taken_emails=taken_emails,
            taken_domains=taken_domains,
            salt=f"after-event-{last_event}:" if last_event else "",
            progress=(lambda n: progress("Planning", n, contacts)) if progress else None,
            staff=_staff(users, team_ids, now),
            prior=_prior_handoffs(),
        )
        campaigns = _campaigns(the_plan.campaigns, users[people.MARKETING], now, result)
        messages, latest = _write(
            the_plan, users, team_ids, (lambda n: progress("Writing", n, contacts)) if progress else None
        )
        messages += [(m, None) for m in the_plan.strays]
        total = len(messages)
        _write_events(messages, campaigns, (lambda n: progress("Writing events", n, total)) if progress else None)
        # The hand-offs were written in bulk: each rep's load (what routing reads) is counted from them.
        product_handoffs.recount(plan=active_playbook().playbook.routing, now=now)
        # The scores the engine gives: fit from the profiles, interest from the events just
        # written, under the playbook in force. The journeys above decided the stages; the few
        # contacts whose events now meet the MQL rule become today's MQLs, with their breakdown,
        # each moved by the stage rules at the moment its latest event made it qualify, as the
        # live pipeline would have moved it.
        scored = rescore(
            progress=(lambda done, total: progress("Scoring", done, total)) if progress else None,
            rules_at=_qualified_at(latest, now),
        )
        _owners_of_new_mqls([pk for pk, stage in scored.moved.items() if stage == "mql"])
        result.scored = scored.contacts
        if progress:
            progress("SLA history", 0, contacts)
        sla = demo_sla(now=now)
        result.milestones, result.breached = sla.milestones, sla.breached
    written = queries.written_since(before)
    result.contacts, result.accounts, result.stage_changes = written.contacts, written.accounts, written.stage_changes
    result.events, result.identities, result.audit_entries = written.events, written.identities, written.audit_entries
    result.handoffs, result.deals = written.handoffs, written.deals
    result.by_stage = dict(written.by_stage)
    result.seconds = time.perf_counter() - started
    return result


def _qualified_at(latest: Mapping[int, dt.datetime], now: dt.datetime) -> Callable[[Contact], dt.datetime]:
    """When a contact the rescore hands to the stage rules qualified: at its latest event (a
    minute after its last move at the earliest, `now` at the latest); `now` for a contact the
    load did not write."""

    def at(contact: Contact) -> dt.datetime:
        moment = latest.get(contact.pk, now)
        if contact.stage_changed_at is not None:
            moment = max(moment, contact.stage_changed_at + dt.timedelta(minutes=1))
        return min(moment, now)

    return at


def _owners_of_new_mqls(ids: list[int]) -> None:
    """Today's MQLs by the engine were routed by the product as the stage rules moved them; each
    is owned, as the journeys' contacts are, by the rep its hand-off went to (none: in a queue)."""
    if not ids:
        return
    routed = Handoff.objects.filter(contact_id__in=ids, state=Handoff.State.OPEN).exclude(owner=None)
    for contact_id, owner_id in routed.values_list("contact_id", "owner_id"):
        Contact.objects.filter(pk=contact_id).update(owner_id=owner_id)


def _staff(users: dict[str, User], team_ids: dict[str, int], now: dt.datetime) -> Staff:
    """The teams and reps the plan's routing chooses among, with their ids and away dates."""
    away = {email: (u.away_from, u.away_until) for email, u in users.items()}
    return sales.staff({email: u.pk for email, u in users.items()}, team_ids, today=now.date(), away=away)


def _prior_handoffs() -> list[HandoffSeed]:
    """The workspace's own hand-offs, as routing counts them (their owner, when assigned, when ended)."""
    rows = Handoff.objects.exclude(owner=None).exclude(assigned_at=None)
    return [
        HandoffSeed(at=assigned_at, owner=email, closed_at=closed_at)
        for email, assigned_at, closed_at in rows.values_list("owner__email", "assigned_at", "closed_at")
        if assigned_at is not None
    ]


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
        for user in existing.values():
            if user.pk in created and user.email in people.AWAY:
                user.away_from, user.away_until = sales.away_dates(user.email, now.date())
                user.save(update_fields=["away_from", "away_until"])
    result.users = len(created)
    return existing


def _teams(users: dict[str, User], now: dt.datetime, result: DemoResult) -> dict[str, int]:
    """The demo teams, created and joined (on the clock) when the team started using Accord; their
    ids by name."""
    since = now - dt.timedelta(days=STAFF_SINCE_DAYS)
    ids: dict[str, int] = {}
    for demo in people.TEAMS:
        with clock.frozen(since):
            team = Team.objects.filter(name=demo.name).first()
            if team is None:
                team = team_create(
                    name=demo.name,
                    side=demo.side,
                    time_zone=demo.time_zone,
                    manager=users[demo.manager],
                    acting_user=None,
                )
                result.teams += 1
            before = Membership.objects.filter(team=team).count()
            for email in demo.members:
                team_add_member(team=team, user=users[email], acting_user=None)
            result.memberships += Membership.objects.filter(team=team).count() - before
            ids[demo.name] = team.pk
    return ids


def _playbook(users: dict[str, User], now: dt.datetime, result: DemoResult) -> PlaybookVersion | None:
    """Draft, sign and activate version 2, each step on the clock of its day in the story. Only on
    a workspace still on its first version."""
    versions = list(PlaybookVersion.objects.order_by("number"))
    if len(versions) != 1 or versions[0].status != VersionStatus.ACTIVE:
        return None
    v1 = versions[0]
    admin, marketing, sales = users[people.ADMIN], users[people.MARKETING], users[people.SALES_MANAGER]
    drafted, marketing_signed, sales_signed, activated = story.v2_steps(now)
    if v1.activated_at is None:  # as the migration installed it: in force from before the demo's history
        v1_since = now - dt.timedelta(days=story.V1_SINCE_DAYS)
        PlaybookVersion.objects.filter(pk=v1.pk).update(created_at=v1_since, activated_at=v1_since)
    with clock.frozen(drafted):
        draft = playbook_draft_create(source=story.revised_source(v1.source), note=story.V2_NOTE, acting_user=admin)
    with clock.frozen(marketing_signed):
        playbook_sign(version=draft, acting_user=marketing)
    with clock.frozen(sales_signed):
        playbook_sign(version=draft, acting_user=sales)
    with clock.frozen(activated):
        v2 = playbook_activate(version=draft, acting_user=admin)
    result.playbook_rows = 3  # the version and its two signatures
    v2.refresh_from_db()
    return v2


def _eras() -> list[Era]:
    """Every version that has been in force, with the moment it came into force."""
    versions = PlaybookVersion.objects.filter(status__in=[VersionStatus.ACTIVE, VersionStatus.RETIRED]).order_by(
        "number"
    )
    return [Era(number=v.number, playbook=v.playbook, since=v.activated_at) for v in versions]


def _campaigns(seeds: Sequence[CampaignSeed], owner: User, now: dt.datetime, result: DemoResult) -> dict[str, int]:
    """The calendar's campaigns by lower-case utm_campaign; ones the workspace has already are kept as they are."""
    rows = Campaign.objects.exclude(utm_campaign="").values_list("pk", "utm_campaign")
    existing = {utm.lower(): pk for pk, utm in rows}
    created = 0
    for seed in seeds:
        if seed.utm_campaign.lower() in existing:
            continue
        campaign = Campaign.objects.create(
            name=seed.name,
            utm_campaign=seed.utm_campaign.lower(),
            channel=seed.channel,
            offer=seed.offer,
            persona=seed.persona,
            starts_on=seed.starts_on,
            ends_on=seed.ends_on,
            talking_points=seed.talking_points,
            key_data_point=seed.key_data_point,
            owner=owner,
            created_at=min(now, dt.datetime.combine(seed.starts_on, dt.time(9), tzinfo=dt.UTC) - dt.timedelta(days=14)),
        )
        existing[campaign.utm_campaign] = campaign.pk
        created += 1
    forget_campaigns()  # the tracking API's cache of campaign ids
    result.campaigns = created
    return existing


EVENT_COLUMNS = (
    "message_id",
    "message_key",
    "type",
    "name",
    "user_id",
    "anonymous_id",
    "contact_id",
    "timestamp",
    "original_timestamp",
    "sent_at",
    "received_at",
    "url",
    "path",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "campaign_id",
    "offer",
    "properties",
    "context",
    "sent_with",
)


def _event_row(m: Message, contact_id: int | None, campaigns: dict[str, int]) -> tuple[object, ...]:
    campaign_id = campaigns.get(m.utm_campaign.lower()) if m.utm_campaign else None
    return (
        m.message_id,
        m.message_key,
        m.type.value,
        m.name,
        m.user_id,
        m.anonymous_id,
        contact_id,
        m.timestamp,
        m.original_timestamp,
        m.sent_at,
        m.received_at,
        m.url,
        m.path,
        m.referrer,
        m.utm_source,
        m.utm_medium,
        m.utm_campaign,
        m.utm_term,
        m.utm_content,
        campaign_id,
        m.offer,
        orjson.dumps(m.properties).decode(),
        orjson.dumps(m.context).decode(),
        "",
    )


def _plain_time(value: dt.datetime | None) -> str | None:
    """A time as Django stores it where the database has no time zone type: naive UTC text."""
    return None if value is None else value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


_TIMES = tuple(EVENT_COLUMNS.index(name) for name in ("timestamp", "original_timestamp", "sent_at", "received_at"))
_KEY = EVENT_COLUMNS.index("message_key")


def _plain_row(m: Message, contact_id: int | None, campaigns: dict[str, int]) -> tuple[object, ...]:
    """`_event_row` as a database without native UUID and time zone types stores it (SQLite)."""
    row = list(_event_row(m, contact_id, campaigns))
    row[_KEY] = m.message_key.hex
    for index in _TIMES:
        row[index] = _plain_time(row[index])  # type: ignore[arg-type]
    return tuple(row)


def _write_events(
    messages: Sequence[tuple[Message, int | None]],
    campaigns: dict[str, int],
    progress: Callable[[int], None] | None,
) -> int:
    """Events in the order they were received, so their ids follow arrival as ingest's do.

    Straight to the table: COPY on PostgreSQL, one prepared INSERT on the others (SQLite), as
    the model's fields would store them; the ORM's bulk_create would take several times longer.
    """
    ordered = sorted(messages, key=lambda pair: (pair[0].received_at, pair[0].timestamp))
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in EVENT_COLUMNS)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), EVENT_BATCH_SIZE):
            batch = ordered[start : start + EVENT_BATCH_SIZE]
            if postgres:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for m, contact_id in batch:
                        copy.write_row(_event_row(m, contact_id, campaigns))
            else:
                marks = ", ".join(["%s"] * len(EVENT_COLUMNS))
                rows: list[Any] = [_plain_row(m, contact_id, campaigns) for m, contact_id in batch]
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            if progress is not None:
                progress(len(batch))
    return len(ordered)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(
    the_plan: Plan, users: dict[str, User], team_ids: dict[str, int], progress: Callable[[int], None] | None
) -> tuple[list[tuple[Message, int | None]], dict[int, dt.datetime]]:
    """Accounts, contacts, stage changes, hand-offs, deals and identities. Returns each contact's
    messages with its id, and each contact's latest message time by id."""
    messages: list[tuple[Message, int | None]] = []
    latest: dict[int, dt.datetime] = {}
    versions = {v.number: v.pk for v in PlaybookVersion.objects.all()}
    user_ids = {email: u.pk for email, u in users.items()}
    customer_since: dict[int, dt.datetime] = {}  # company index -> its first won deal
    for p in the_plan.people:
        for deal in p.deals:
            if deal.stage == "won" and p.company is not None and deal.closed_at is not None:
                customer_since[p.company] = min(customer_since.get(p.company, deal.closed_at), deal.closed_at)
    accounts = _insert(
        Account,
        [
            {
                "name": c.name,
                "domain": c.domain,
                "industry": c.industry,
                "employees": c.employees,
                "annual_revenue": c.annual_revenue,
                "country": c.country,
                "owner_id": user_ids[c.owner] if c.owner else None,
                "properties": {"segment": c.segment},
                "created_at": c.created_at,
                "updated_at": c.created_at,
                "customer_since": customer_since.get(index),
            }
            for index, c in enumerate(the_plan.companies)
        ],
    )
    for chunk in _chunks(the_plan.people, CHUNK):
        rows = []
        for p in chunk:
            last = p.moves[-1] if p.moves else None
            rows.append(
                {
                    "email": p.email,
                    "first_name": p.first_name,
                    "last_name": p.last_name,
                    "title": p.title,
                    "seniority": p.seniority,
                    "phone": p.phone,
                    "country": p.country,
                    "account_id": accounts[p.company] if p.company is not None else None,
                    "owner_id": user_ids[p.owner] if p.owner else None,
                    "consent": p.consent,
                    "consent_at": (p.consent_at or p.created_at) if p.consent is not None else None,
                    "properties": p.properties,
                    "stage": last.to_stage if last else "",
                    "stage_changed_at": last.at if last else None,
                    "reengage_on": last.reengage_on if last else None,
                    "playbook_version_id": versions[last.version] if last else None,
                    **_attribution(p),
                    "open_deals": sum(1 for d in p.deals if d.stage == "open"),
                    "won_deals": sum(1 for d in p.deals if d.stage == "won"),
                    "created_at": p.created_at,
                    "updated_at": last.at if last else p.created_at,
                }
            )
        ids = _insert(Contact, rows)
        change_ids = _insert(
            StageChange,
            [
                {
                    "contact_id": pk,
                    "from_stage": m.from_stage,
                    "to_stage": m.to_stage,
                    "kind": m.kind,
                    "at": m.at,
                    "by_user_id": user_ids[m.by_user] if m.by_user else None,
                    "by_rule": m.by_rule,
                    "playbook_version_id": versions[m.version],
                    "reason": m.reason,
                    "note": m.note,
                    "reengage_on": m.reengage_on,
                    "details": m.details,
                }
                for p, pk in zip(chunk, ids, strict=True)
                for m in p.moves
            ],
        )
        moves: list[list[int]] = []
        taken = 0
        for p in chunk:
            moves.append(change_ids[taken : taken + len(p.moves)])
            taken += len(p.moves)
        _write_handoffs(chunk, ids, moves, users, versions)
        _write_deals(chunk, ids, accounts, users)
        _insert(
            Identity,
            [
                {"kind": i.kind, "value": i.value, "contact_id": pk, "first_seen_at": i.first_seen_at}
                for p, pk in zip(chunk, ids, strict=True)
                for i in p.identities
            ],
        )
        for p, pk in zip(chunk, ids, strict=True):
            messages += [(m, pk) for m in p.messages]
            if p.messages:
                latest[pk] = max(m.timestamp for m in p.messages)
        if progress is not None:
            progress(len(rows))
    return messages, latest


_ENDS = {
    "accepted": HandoffChange.Kind.ACCEPTED,
    "rejected": HandoffChange.Kind.REJECTED,
    "recycled": HandoffChange.Kind.RECYCLED,
}


def _write_handoffs(
    chunk: Sequence[PersonSeed],
    contact_ids: Sequence[int],
    move_ids: Sequence[Sequence[int]],
    users: dict[str, User],
    versions: dict[int, int],
) -> None:
    """The people's hand-offs, their touches and their history: routed (or queued) when the
    contact entered the MQL stage, each touch as the rep logged it, and how it ended."""
    planned = [
        (h, pk, moves[h.move]) for p, pk, moves in zip(chunk, contact_ids, move_ids, strict=True) for h in p.handoffs
    ]
    if not planned:
        return
    ids = _insert(
        Handoff,
        [
            {
                "contact_id": pk,
                "stage_change_id": change_id,
                "owner_id": users[h.owner].pk if h.owner else None,
                "team_id": h.team_id,
                "rule": h.rule,
                "method": h.method,
                "trace": h.trace,
                "priority": h.priority,
                "quadrant": h.quadrant,
                "playbook_version_id": versions[h.version],
                "state": h.state,
                "created_at": h.at,
                "assigned_at": h.at if h.owner else None,
                "first_touch_at": min((t.at for t in h.touches), default=None),
                "touches": len(h.touches),
                "closed_at": h.closed_at,
                "closed_by_id": users[h.closed_by].pk if h.closed_by else None,
                "reason": h.reason,
                "note": h.note,
                "reengage_on": h.reengage_on,
            }
            for h, pk, change_id in planned
        ],
    )
    rows = [
        Handoff(
            pk=pk,
            contact_id=contact_id,
            owner_id=users[h.owner].pk if h.owner else None,
            team_id=h.team_id,
            rule=h.rule,
            method=h.method,
        )
        for (h, contact_id, _), pk in zip(planned, ids, strict=True)
    ]
    touched = [(handoff, h, t) for handoff, (h, _, _) in zip(rows, planned, strict=True) for t in h.touches]
    touch_ids = _insert(
        Touch,
        [
            {
                "contact_id": handoff.contact_id,
                "handoff_id": handoff.pk,
                "user_id": handoff.owner_id,
                "channel": t.channel,
                "outcome": t.outcome,
                "note": t.note,
                "at": t.at,
            }
            for handoff, _, t in touched
        ],
    )
    logged: dict[int, list[HandoffChange]] = {}
    for (handoff, h, t), touch_id in zip(touched, touch_ids, strict=True):
        assert h.owner is not None
        logged.setdefault(handoff.pk, []).append(
            handoff_events.handoff_change(
                handoff,
                HandoffChange.Kind.TOUCHED,
                at=t.at,
                by_user=users[h.owner],
                note=t.note,
                details={"touch": touch_id, "channel": t.channel, "outcome": t.outcome},
            )
        )
    history: list[HandoffChange] = []
    for handoff, (h, _, _) in zip(rows, planned, strict=True):
        history.append(handoff_events.handoff_routed(handoff, at=h.at))
        history += logged.get(handoff.pk, [])
        if h.state in _ENDS and h.closed_at is not None and h.closed_by is not None:
            history.append(
                handoff_events.handoff_closed(
                    handoff,
                    _ENDS[h.state],
                    at=h.closed_at,
                    by_user=users[h.closed_by],
                    stage=h.to_stage,
                    reason=h.reason,
                    note=h.note,
                )
            )
    _insert(HandoffChange, [_fields(change) for change in history])


def _write_deals(
    chunk: Sequence[PersonSeed], contact_ids: Sequence[int], accounts: Sequence[int], users: dict[str, User]
) -> None:
    """The people's deals, each with its primary contact and its history: created, then won or lost."""
    planned = [(d, p, pk) for p, pk in zip(chunk, contact_ids, strict=True) for d in p.deals]
    if not planned:
        return
    rows = [
        {
            "name": d.name,
            "amount": d.amount,
            "currency": d.currency,
            "expected_close": d.expected_close,
            "stage": d.stage,
            "loss_reason": d.loss_reason,
            "loss_note": d.loss_note,
            "owner_id": users[d.owner].pk,
            "account_id": accounts[p.company] if p.company is not None else None,
            "primary_contact_id": pk,
            # Where the primary contact came from, as the deal's creation reads it: the first touch.
            "source": _attribution(p).get("first_source", ""),
            "campaign": _attribution(p).get("first_campaign", ""),
            "created_at": d.created_at,
            "created_by_id": users[d.owner].pk,
            "closed_at": d.closed_at,
            "updated_at": d.closed_at or d.created_at,
        }
        for d, p, pk in planned
    ]
    ids = _insert(Deal, rows)
    _insert(
        DealContact,
        [
            {"deal_id": deal_id, "contact_id": pk, "added_at": d.created_at}
            for (d, _, pk), deal_id in zip(planned, ids, strict=True)
        ],
    )
    history: list[DealChange] = []
    for (d, _, _), deal_id in zip(planned, ids, strict=True):
        rep = users[d.owner]
        opened = Deal(
            pk=deal_id,
            name=d.name,
            amount=d.amount,
            currency=d.currency,
            expected_close=d.expected_close,
            owner_id=rep.pk,
            stage=Deal.Stage.OPEN,
        )
        history.append(
            deal_events.deal_change(
                opened, DealChange.Kind.CREATED, at=d.created_at, by_user=rep, after=deal_shown(opened)
            )
        )
        if d.stage == "won" and d.closed_at is not None:
            history.append(
                deal_events.deal_change(
                    opened,
                    DealChange.Kind.WON,
                    at=d.closed_at,
                    by_user=rep,
                    before={"stage": "open"},
                    after={"stage": "won"},
                )
            )
        elif d.stage == "lost" and d.closed_at is not None:
            after = {"stage": "lost", "reason": d.loss_reason, "note": d.loss_note}
            history.append(
                deal_events.deal_change(
                    opened, DealChange.Kind.LOST, at=d.closed_at, by_user=rep, before={"stage": "open"}, after=after
                )
            )
    _insert(DealChange, [_fields(change) for change in history])


def _fields(row: models.Model) -> dict[str, Any]:
    """An unsaved model's values by attname (its id left to the database): a row for `_insert`."""
    return {
        f.attname: getattr(row, f.attname)
        for f in row._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    }


def _insert(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> list[int]:
    return bulk.insert_returning(model, rows, batch_size=BATCH_SIZE)


def _attribution(p: PersonSeed) -> dict[str, object]:
    """The contact's first and last touch, offers and form count, as its events give them."""
    a = p.attribution
    if a is None:
        return {}
    first = a.first[1] if a.first else None
    last = a.last[1] if a.last else None
    return {
        "first_source": first.source if first else "",
        "first_medium": first.medium if first else "",
        "first_campaign": first.campaign if first else "",
        "first_seen_at": a.first[0] if a.first else None,
        "last_source": last.source if last else "",
        "last_medium": last.medium if last else "",
        "last_campaign": last.campaign if last else "",
        "last_seen_at": a.seen,
        "first_offer": a.first_offer_name,
        "last_offer": a.last_offer_name,
        "forms_submitted": a.forms,
    }
