from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.accounts.models import Team
from accord.core.schemas import PathId, errors
from accord.sla import calendars, queries
from accord.sla.models import CalendarVersion
from accord.sla.schemas import CalendarIn, CalendarOut

router = Router(tags=["SLA"])


@router.get(
    "/teams/{team_id}/calendar",
    response={200: CalendarOut, **errors(404)},
    summary="A team's business calendar in force",
)
def calendar_get(request: HttpRequest, team_id: PathId) -> CalendarVersion:
    acting_user(request, Scope.READ)
    team = get_object_or_404(Team, pk=team_id)
    return queries.calendar_versions(team.pk)[0]


@router.get(
    "/teams/{team_id}/calendar/versions",
    response={200: list[CalendarOut], **errors(404)},
    summary="Every version of a team's calendar, newest first",
)
def calendar_versions(request: HttpRequest, team_id: PathId) -> list[CalendarVersion]:
    acting_user(request, Scope.READ)
    return queries.calendar_versions(get_object_or_404(Team, pk=team_id).pk)


@router.put(
    "/teams/{team_id}/calendar",
    response={200: CalendarOut, **errors(400, 404, 413)},
    summary="Write the next version of a team's calendar",
    description="Admins only. Running SLA clocks of the team move onto the new version from now; "
    "what ran before keeps the version it ran under.",
)
def calendar_put(request: HttpRequest, team_id: PathId, payload: CalendarIn) -> CalendarVersion:
    user = acting_user(request, Scope.ADMIN)
    team = get_object_or_404(Team, pk=team_id)
    document = payload.model_dump(exclude={"note"})
    return calendars.calendar_save(team=team, document=document, acting_user=user, note=payload.note)
