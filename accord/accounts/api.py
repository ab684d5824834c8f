import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from accord.accounts import actions
from accord.accounts.api_auth import acting_user, person
from accord.accounts.domain import Capability, Scope
from accord.accounts.models import ApiKey, User
from accord.core.schemas import ErrorOut, InputSchema

router = Router(tags=["users"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class UserOut(Schema):
    id: int
    email: str
    name: str
    role: str
    time_zone: str
    is_active: bool


class ApiKeyIn(InputSchema):
    name: str = Field(max_length=100)
    scopes: list[str] = Field(description="Any of read, write, track, admin.")


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_by: str = Field(alias="created_by.email")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The secret. It is shown only once.")


@router.get("/users/me", response=UserOut, summary="Who am I")
def me(request: HttpRequest) -> User:
    return acting_user(request, Scope.READ)


@router.get("/users", response=list[UserOut], summary="All users")
def user_list(request: HttpRequest) -> list[User]:
    acting_user(request, Scope.READ)
    return list(User.objects.all())


@router.get("/api-keys", response={200: list[ApiKeyOut], **ERRORS}, tags=["api keys"], summary="All API keys")
def apikey_list(request: HttpRequest) -> list[ApiKey]:
    user = person(request, "managing API keys")
    actions.require(user, Capability.USER_ADMIN)
    return list(ApiKey.objects.select_related("created_by"))


@router.post("/api-keys", response={201: ApiKeyCreatedOut, **ERRORS}, tags=["api keys"], summary="Create an API key")
def apikey_create(request: HttpRequest, payload: ApiKeyIn) -> Status[ApiKey]:
    user = person(request, "creating API keys")
    key, secret = actions.apikey_create(name=payload.name, scopes=payload.scopes, acting_user=user)
    key.key = secret  # type: ignore[attr-defined]
    return Status(201, key)


@router.delete(
    "/api-keys/{key_id}", response={200: ApiKeyOut, **ERRORS}, tags=["api keys"], summary="Revoke an API key"
)
def apikey_revoke(request: HttpRequest, key_id: int) -> ApiKey:
    user = person(request, "revoking API keys")
    return actions.apikey_revoke(key=get_object_or_404(ApiKey, pk=key_id), acting_user=user)
