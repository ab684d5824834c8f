import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from accord.accounts import actions, queries
from accord.accounts.api_auth import acting_user, person
from accord.accounts.domain import Capability, Scope
from accord.accounts.models import ApiKey, User
from accord.core.schemas import InputSchema, PathId, errors

router = Router(tags=["users"])
WRITE = errors(400, 404, 409, 413)
READ = errors(404)


class UserOut(Schema):
    id: int
    email: str
    name: str
    role: str
    time_zone: str
    is_active: bool


class ApiKeyIn(InputSchema):
    name: str = Field(max_length=100)
    scopes: list[str] = Field(
        max_length=10,
        description=(
            "Any of read, write, server, admin; or browser alone (a public key for web pages). "
            "track, the former name of server, is still accepted."
        ),
    )
    allowed_origins: list[str] = Field(
        [], max_length=100, description="Browser keys: the origins whose pages may send with the key (empty: any)."
    )
    rate_per_minute: int | None = Field(None, ge=1, le=10_000_000, description="Browser keys: messages a minute.")
    ip_rate_per_minute: int | None = Field(
        None, ge=1, le=10_000_000, description="Browser keys: messages a minute from one client address."
    )


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    allowed_origins: list[str]
    rate_per_minute: int | None
    ip_rate_per_minute: int | None
    created_by: str = Field(alias="created_by.email")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The secret. It is shown only once.")


@router.get("/users/me", response={200: UserOut, **READ}, summary="Who am I")
def me(request: HttpRequest) -> User:
    return acting_user(request, Scope.READ)


@router.get("/users", response={200: list[UserOut], **READ}, summary="All users")
def user_list(request: HttpRequest) -> list[User]:
    acting_user(request, Scope.READ)
    return list(queries.user_list())


@router.get("/api-keys", response={200: list[ApiKeyOut], **READ}, tags=["api keys"], summary="All API keys")
def apikey_list(request: HttpRequest) -> list[ApiKey]:
    user = person(request, "managing API keys")
    actions.require(user, Capability.USER_ADMIN)
    return list(queries.apikey_list())


@router.post("/api-keys", response={201: ApiKeyCreatedOut, **WRITE}, tags=["api keys"], summary="Create an API key")
def apikey_create(request: HttpRequest, payload: ApiKeyIn) -> Status[ApiKey]:
    user = person(request, "creating API keys")
    key, secret = actions.apikey_create(
        name=payload.name, scopes=payload.scopes, allowed_origins=payload.allowed_origins,
        rate_per_minute=payload.rate_per_minute, ip_rate_per_minute=payload.ip_rate_per_minute, acting_user=user,
    )  # fmt: skip
    key.key = secret  # type: ignore[attr-defined]
    return Status(201, key)


@router.delete("/api-keys/{key_id}", response={200: ApiKeyOut, **WRITE}, tags=["api keys"], summary="Revoke an API key")
def apikey_revoke(request: HttpRequest, key_id: PathId) -> ApiKey:
    user = person(request, "revoking API keys")
    return actions.apikey_revoke(key=get_object_or_404(ApiKey, pk=key_id), acting_user=user)
