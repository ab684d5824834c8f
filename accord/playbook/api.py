from django.http import HttpRequest
from ninja import Router, Status

from accord.accounts.api_auth import acting_user, person
from accord.accounts.domain import Scope
from accord.core.errors import InvalidInput
from accord.core.schemas import PathId, errors
from accord.playbook import actions, queries
from accord.playbook.domain.document import dump
from accord.playbook.models import PlaybookVersion
from accord.playbook.schemas import PlaybookSourceIn, ValidationOut, VersionDetailOut, VersionOut

router = Router(tags=["playbook"])
WRITE = errors(400, 404, 409, 413)
READ = errors(404)


def _source(payload: PlaybookSourceIn) -> str:
    return payload.source if payload.source is not None else dump(payload.document or {})


@router.get("/playbook", response={200: VersionDetailOut, **READ}, summary="The active playbook")
def playbook_active(request: HttpRequest) -> PlaybookVersion:
    acting_user(request, Scope.READ)
    return queries.version_get(queries.active_playbook().number)


@router.get(
    "/playbook/versions", response={200: list[VersionOut], **READ}, summary="All playbook versions, newest first"
)
def version_list(request: HttpRequest) -> list[PlaybookVersion]:
    acting_user(request, Scope.READ)
    return list(queries.version_list())


@router.get("/playbook/versions/{number}", response={200: VersionDetailOut, **READ}, summary="One version")
def version_get(request: HttpRequest, number: PathId) -> PlaybookVersion:
    acting_user(request, Scope.READ)
    return queries.version_get(number)


@router.post(
    "/playbook/validate", response={200: ValidationOut, **WRITE}, summary="Validate a playbook without saving it"
)
def validate(request: HttpRequest, payload: PlaybookSourceIn) -> ValidationOut:
    acting_user(request, Scope.READ)
    try:
        actions.playbook_parse(_source(payload))
    except InvalidInput as exc:
        return ValidationOut(valid=False, errors=[{"path": p, "message": m} for p, m in exc.errors])  # type: ignore[misc]
    return ValidationOut(valid=True, errors=[])


@router.post("/playbook/versions", response={201: VersionDetailOut, **WRITE}, summary="Create a draft version")
def draft_create(request: HttpRequest, payload: PlaybookSourceIn) -> Status[PlaybookVersion]:
    user = acting_user(request, Scope.ADMIN)
    version = actions.playbook_draft_create(source=_source(payload), note=payload.note, acting_user=user)
    return Status(201, queries.version_get(version.number))


@router.put("/playbook/versions/{number}", response={200: VersionDetailOut, **WRITE}, summary="Replace a draft's text")
def draft_update(request: HttpRequest, number: PathId, payload: PlaybookSourceIn) -> PlaybookVersion:
    user = acting_user(request, Scope.ADMIN)
    version = queries.version_get(number)
    note = payload.note if "note" in payload.model_fields_set else None  # absent: keep the note
    actions.playbook_draft_update(version=version, source=_source(payload), note=note, acting_user=user)
    return queries.version_get(number)


@router.post(
    "/playbook/versions/{number}/sign", response={200: VersionDetailOut, **WRITE}, summary="Sign a draft for your side"
)
def sign(request: HttpRequest, number: PathId) -> PlaybookVersion:
    user = person(request, "signing the playbook")
    actions.playbook_sign(version=queries.version_get(number), acting_user=user)
    return queries.version_get(number)


@router.post(
    "/playbook/versions/{number}/activate",
    response={200: VersionDetailOut, **WRITE},
    summary="Make a signed version active",
)
def activate(request: HttpRequest, number: PathId) -> PlaybookVersion:
    user = acting_user(request, Scope.ADMIN)
    actions.playbook_activate(version=queries.version_get(number), acting_user=user)
    return queries.version_get(number)
