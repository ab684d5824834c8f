"""Writes about the playbook: drafts, signatures, activation."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max

from accord.accounts.actions import require
from accord.accounts.domain import Capability, Side, refusal, signs_for
from accord.accounts.models import Team, User
from accord.core import audit, clock
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.core.tasks import after_commit
from accord.playbook.domain.document import Playbook, PlaybookInvalid, parse
from accord.playbook.models import PlaybookVersion, Signature, VersionStatus
from accord.playbook.usage import stages_in_use


def playbook_parse(source: str) -> Playbook:
    """Parse and validate YAML, turning problems into InvalidInput with every path listed."""
    try:
        return parse(source)
    except PlaybookInvalid as exc:
        first = f"{exc.errors[0][0]}: {exc.errors[0][1]}"
        more = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
        raise InvalidInput(f"the playbook is not valid: {first}{more}", errors=exc.errors) from None


def routing_unknowns(playbook: Playbook, *, before: Playbook | None = None) -> list[tuple[str, str]]:
    """The teams and people the routing section names that this workspace does not have, each with
    its path (a document alone cannot know them), leaving out those the version in force (`before`)
    names already: a version may not bring in a team or a person Accord does not have, but a
    workspace that has not set its teams up yet can still change its scoring rules. A hand-off
    routed to a team that does not exist waits, unassigned, for a manager."""
    plan = playbook.routing
    old = before.routing if before is not None else None
    problems: list[tuple[str, str]] = []
    known_teams = set(Team.objects.values_list("name", flat=True)) | (old.teams() if old else set())
    for index, rule in enumerate((*plan.rules, plan.default)):
        path = "routing.default.team" if rule is plan.default else f"routing.rules[{index}].team"
        if rule.team and rule.team not in known_teams:
            problems.append((path, f"no team is named {rule.team!r}"))
    named = plan.people()
    known = set(User.objects.filter(email__in=list(named), is_active=True).values_list("email", flat=True))
    known |= set(old.people()) if old else set()
    problems += [(path, f"no active user has the email {email}") for email, path in named.items() if email not in known]
    return problems


def playbook_draft_create(*, source: str, note: str = "", acting_user: User | None) -> PlaybookVersion:
    require(acting_user, Capability.PLAYBOOK_DRAFT)
    playbook = playbook_parse(source)
    for attempt in range(3):
        try:
            with transaction.atomic():
                number = (PlaybookVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
                version = PlaybookVersion.objects.create(
                    number=number,
                    status=VersionStatus.DRAFT,
                    digest=playbook.digest,
                    source=source,
                    note=note.strip()[:500],
                    created_by=acting_user,
                )
                audit.record(action="playbook_draft_create", obj=version, actor=acting_user, details={"number": number})
                return version
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def playbook_draft_update(
    *, version: PlaybookVersion, source: str, note: str | None = None, acting_user: User | None
) -> PlaybookVersion:
    """Replace a draft's text. Signatures already given are withdrawn: they signed other words."""
    require(acting_user, Capability.PLAYBOOK_DRAFT)
    playbook = playbook_parse(source)
    with transaction.atomic():
        version = PlaybookVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise Conflict(f"version {version.number} is {version.status}; only a draft can be edited")
        withdrawn = list(version.signatures.values_list("side", flat=True))
        version.signatures.all().delete()
        version.digest, version.source = playbook.digest, source
        fields = ["digest", "source"]
        if note is not None:
            version.note = note.strip()[:500]
            fields.append("note")
        version.save(update_fields=fields)
        audit.record(
            action="playbook_draft_update", obj=version, actor=acting_user, details={"signatures_withdrawn": withdrawn}
        )
    return version


def playbook_sign(*, version: PlaybookVersion, acting_user: User) -> Signature:
    """Sign a draft for the side the user leads. Once both sides have signed, it is signed."""
    require(acting_user, Capability.PLAYBOOK_SIGN)
    side = signs_for(acting_user.role)
    if side is None:
        raise PermissionDenied(refusal(Capability.PLAYBOOK_SIGN))
    with transaction.atomic():
        version = PlaybookVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise Conflict(f"version {version.number} is {version.status}; only a draft can be signed")
        existing = version.signatures.filter(side=side).select_related("user").first()
        if existing is not None:
            raise Conflict(f"{existing.user.display_name} already signed version {version.number} for {side}")
        signature = Signature.objects.create(version=version, side=side, user=acting_user)
        sides = set(version.signatures.values_list("side", flat=True))
        if sides >= {Side.MARKETING.value, Side.SALES.value}:
            version.status = VersionStatus.SIGNED
            version.save(update_fields=["status"])
        audit.record(action="playbook_sign", obj=version, actor=acting_user, details={"side": side})
    return signature


def playbook_activate(*, version: PlaybookVersion, acting_user: User | None) -> PlaybookVersion:
    """Make a signed (or once-active) version the one in force, retiring the current one."""
    require(acting_user, Capability.PLAYBOOK_ACTIVATE)
    with transaction.atomic():
        current = PlaybookVersion.objects.select_for_update().filter(status=VersionStatus.ACTIVE).first()
        version = PlaybookVersion.objects.select_for_update().get(pk=version.pk)
        if version.status == VersionStatus.ACTIVE:
            raise Conflict(f"version {version.number} is already active")
        if version.status == VersionStatus.DRAFT:
            missing = {Side.MARKETING, Side.SALES} - set(version.signatures.values_list("side", flat=True))
            raise Conflict(
                f"version {version.number} is a draft; it needs the signature of {' and '.join(sorted(missing))} first"
            )
        keys = {stage.key for stage in version.playbook.stages}
        orphaned = {key: n for key, n in stages_in_use().items() if key not in keys}
        if orphaned:
            listing = ", ".join(f"{key} ({n} contacts)" for key, n in sorted(orphaned.items()))
            raise Conflict(f"version {version.number} drops stages that contacts are in: {listing}")
        unknown = routing_unknowns(version.playbook, before=current.playbook if current is not None else None)
        if unknown:
            first = f"{unknown[0][0]}: {unknown[0][1]}"
            more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
            raise InvalidInput(
                f"version {version.number} routes to people or teams Accord does not have: {first}{more}",
                errors=unknown,
            )
        now = clock.now()
        if current is not None:
            current.status, current.retired_at = VersionStatus.RETIRED, now
            current.save(update_fields=["status", "retired_at"])
        version.status, version.activated_at, version.activated_by = VersionStatus.ACTIVE, now, acting_user
        version.retired_at = None
        version.save(update_fields=["status", "activated_at", "activated_by", "retired_at"])
        audit.record(
            action="playbook_activate",
            obj=version,
            actor=acting_user,
            details={"retired": current.number if current else None},
        )
        # Every contact is scored again under the new version (in the background with a worker).
        after_commit("accord.scoring.tasks.rescore_all")
    return version
