from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Status
from ninja.pagination import paginate

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.accounts.models import User
from accord.core import clock
from accord.core.errors import InvalidInput
from accord.core.schemas import InputSchema, Pagination, PathId, QuerySchema, errors
from accord.lifecycle import handoff_actions
from accord.lifecycle.models import Handoff, HandoffChange, Touch
from accord.lifecycle.schemas import (
    HandoffChangeOut,
    HandoffOut,
    HandoffReassignIn,
    HandoffRecycleIn,
    HandoffRejectIn,
    HandoffTouchIn,
    HandoffTouchOut,
)
from accord.sla import queries as sla_queries
from accord.sla.models import SlaEvent
from accord.sla.schemas import MilestoneOut, SlaEventOut

router = Router(tags=["hand-offs"])
READ = errors(404)
WRITE = errors(400, 404, 409, 413)


class HandoffFilters(QuerySchema):
    state: str = Field("open", max_length=10, description="open, accepted, rejected, recycled, closed, or all.")
    owner: str = Field("", max_length=20, description="me, none (the team queues), or a user id.")
    team_id: PathId | None = None
    contact_id: PathId | None = None


@router.get("/handoffs", response={200: list[HandoffOut], **errors()}, summary="List hand-offs")
@paginate(Pagination)
def handoff_list(request: HttpRequest, filters: Query[HandoffFilters]) -> QuerySet[Handoff]:
    """Highest priority first, then oldest: the order a rep works the queue in."""
    user = acting_user(request, Scope.READ)
    found = Handoff.objects.all()
    if filters.state != "all":
        if filters.state not in Handoff.State.values:
            raise InvalidInput(f"state: must be one of {', '.join(Handoff.State.values)} or all", field="state")
        found = found.filter(state=filters.state)
    if filters.owner == "me":
        found = found.filter(owner=user)
    elif filters.owner == "none":
        found = found.filter(owner__isnull=True)
    elif filters.owner:
        if not filters.owner.isdigit():
            raise InvalidInput("owner: must be me, none or a user id", field="owner")
        found = found.filter(owner_id=int(filters.owner))
    if filters.team_id is not None:
        found = found.filter(team_id=filters.team_id)
    if filters.contact_id is not None:
        found = found.filter(contact_id=filters.contact_id)
    return found.order_by("rank", "created_at", "id")


@router.get("/handoffs/{handoff_id}", response={200: HandoffOut, **READ}, summary="Get a hand-off")
def handoff_get(request: HttpRequest, handoff_id: PathId) -> Handoff:
    acting_user(request, Scope.READ)
    return get_object_or_404(Handoff, pk=handoff_id)


@router.get("/handoffs/{handoff_id}/history", response={200: list[HandoffChangeOut], **READ},
            summary="A hand-off's history, oldest first")  # fmt: skip
def handoff_history(request: HttpRequest, handoff_id: PathId) -> list[HandoffChange]:
    acting_user(request, Scope.READ)
    return list(get_object_or_404(Handoff, pk=handoff_id).changes.all())


def _work(request: HttpRequest, handoff_id: int) -> tuple[User, Handoff]:
    return acting_user(request, Scope.WRITE), get_object_or_404(Handoff, pk=handoff_id)


@router.post("/handoffs/{handoff_id}/accept", response={200: HandoffOut, **WRITE}, summary="Accept a hand-off",
             description="The contact moves to the stage after MQL. A hand-off that is no longer open answers 409 "
                         "with its current state.")  # fmt: skip
def handoff_accept(request: HttpRequest, handoff_id: PathId) -> Handoff:
    user, handoff = _work(request, handoff_id)
    return handoff_actions.handoff_accept(handoff=handoff, acting_user=user)


@router.post("/handoffs/{handoff_id}/reject", response={200: HandoffOut, **WRITE}, summary="Reject a hand-off",
             description="With a reason from the playbook's reject list; the contact goes to the recycle or the "
                         "disqualify stage, as the reason says.")  # fmt: skip
def handoff_reject(request: HttpRequest, handoff_id: PathId, payload: HandoffRejectIn) -> Handoff:
    user, handoff = _work(request, handoff_id)
    return handoff_actions.handoff_reject(handoff=handoff, acting_user=user, reason=payload.reason, note=payload.note)


@router.post("/handoffs/{handoff_id}/recycle", response={200: HandoffOut, **WRITE}, summary="Recycle a hand-off")
def handoff_recycle(request: HttpRequest, handoff_id: PathId, payload: HandoffRecycleIn) -> Handoff:
    user, handoff = _work(request, handoff_id)
    return handoff_actions.handoff_recycle(handoff=handoff, acting_user=user, reason=payload.reason,
                                           note=payload.note, reengage_on=payload.reengage_on)  # fmt: skip


@router.post("/handoffs/{handoff_id}/touches", response={201: HandoffTouchOut, **WRITE}, summary="Log a touch")
def handoff_touch(request: HttpRequest, handoff_id: PathId, payload: HandoffTouchIn) -> Status[Touch]:
    user, handoff = _work(request, handoff_id)
    touch = handoff_actions.handoff_log_touch(handoff=handoff, acting_user=user, channel=payload.channel,
                                              outcome=payload.outcome, note=payload.note, at=payload.at)  # fmt: skip
    return Status(201, touch)


@router.post("/handoffs/{handoff_id}/reassign", response={200: HandoffOut, **WRITE}, summary="Reassign a hand-off")
def handoff_reassign(request: HttpRequest, handoff_id: PathId, payload: HandoffReassignIn) -> Handoff:
    user, handoff = _work(request, handoff_id)
    to_user = User.objects.filter(pk=payload.owner_id).first()
    if to_user is None:
        raise InvalidInput(f"owner_id: no user has the id {payload.owner_id}", field="owner_id")
    return handoff_actions.handoff_reassign(handoff=handoff, acting_user=user, to_user=to_user, reason=payload.reason)


class ClockPauseIn(InputSchema):
    reason: str = Field(description="Why the clock stops (kept in the SLA history).", max_length=2000)


@router.get("/handoffs/{handoff_id}/sla", response={200: list[MilestoneOut], **READ},
            summary="A hand-off's SLA milestones as they stand now")  # fmt: skip
def handoff_sla(request: HttpRequest, handoff_id: PathId) -> list[Any]:
    acting_user(request, Scope.READ)
    handoff = get_object_or_404(Handoff, pk=handoff_id)
    return sla_queries.clocks_of([handoff.pk], now=clock.now()).get(handoff.pk, [])


@router.get("/handoffs/{handoff_id}/sla/history", response={200: list[SlaEventOut], **READ},
            summary="A hand-off's SLA history, oldest first")  # fmt: skip
def handoff_sla_history(request: HttpRequest, handoff_id: PathId) -> list[SlaEvent]:
    acting_user(request, Scope.READ)
    handoff = get_object_or_404(Handoff, pk=handoff_id)
    return list(SlaEvent.objects.filter(handoff=handoff).select_related("owner").order_by("at", "id"))


@router.post("/handoffs/{handoff_id}/sla/pause", response={200: list[MilestoneOut], **WRITE},
             summary="Pause a hand-off's SLA clocks")  # fmt: skip
def handoff_sla_pause(request: HttpRequest, handoff_id: PathId, payload: ClockPauseIn) -> list[Any]:
    user, handoff = _work(request, handoff_id)
    handoff_actions.handoff_pause_clock(handoff=handoff, acting_user=user, reason=payload.reason)
    return sla_queries.clocks_of([handoff.pk], now=clock.now()).get(handoff.pk, [])


@router.post("/handoffs/{handoff_id}/sla/resume", response={200: list[MilestoneOut], **WRITE},
             summary="Resume a hand-off's paused SLA clocks")  # fmt: skip
def handoff_sla_resume(request: HttpRequest, handoff_id: PathId) -> list[Any]:
    user, handoff = _work(request, handoff_id)
    handoff_actions.handoff_resume_clock(handoff=handoff, acting_user=user)
    return sla_queries.clocks_of([handoff.pk], now=clock.now()).get(handoff.pk, [])
