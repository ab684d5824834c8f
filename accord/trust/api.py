"""A person's data, exported or erased, and the audit log: for admins (sessions or admin-scope keys)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.contacts.models import Contact
from accord.core.schemas import InputSchema, Moment, Pagination, PathId, QuerySchema, errors
from accord.trust import actions, queries

router = Router(tags=["privacy and audit"])


class ContactEraseIn(InputSchema):
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the person's request and its date.")


class ErasureOut(Schema):
    contact_id: int
    erased_at: dt.datetime
    erased_by: str | None = Field(None, alias="erased_by.email")
    reason: str
    counts: dict[str, int] = Field(description="Rows scrubbed or removed, by kind.")


@router.get(
    "/contacts/{contact_id}/export",
    response={200: dict[str, Any], **errors(404)},
    summary="Everything Accord holds about one person (GDPR access)",
)
def contact_export(request: HttpRequest, contact_id: PathId) -> dict[str, Any]:
    user = acting_user(request, Scope.ADMIN)
    return queries.contact_export(contact=get_object_or_404(Contact, pk=contact_id), acting_user=user)


@router.post(
    "/contacts/{contact_id}/erase",
    response={200: ErasureOut, **errors(400, 404, 409, 413)},
    summary="Erase a person's data on request (GDPR erasure); the contact stays as a tombstone",
)
def contact_erase(request: HttpRequest, contact_id: PathId, payload: ContactEraseIn) -> Any:
    user = acting_user(request, Scope.ADMIN)
    contact = get_object_or_404(Contact, pk=contact_id)
    return actions.contact_erase(contact=contact, reason=payload.reason, acting_user=user)


class AuditQuery(QuerySchema):
    actor_id: PathId | None = Field(None, description="The user who acted (for a key: its owner).")
    api_key: str = Field("", max_length=16, description="A key's prefix: what was done with that key.")
    action: str = Field("", max_length=64, description="e.g. contact_update, signin_locked_out")
    object_type: str = Field("", max_length=64, description="e.g. contacts.contact")
    object_id: str = Field("", max_length=64)
    since: Moment | None = Field(None, description="From this time on (inclusive).")
    until: Moment | None = Field(None, description="Before this time.")


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor: str | None = Field(None, alias="actor.email")
    via_api_key: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("/audit", response={200: list[AuditEntryOut], **errors()}, summary="The audit log, newest first")
@paginate(Pagination)
def audit_log(request: HttpRequest, filters: Query[AuditQuery]):  # type: ignore[no-untyped-def]
    user = acting_user(request, Scope.ADMIN)
    return queries.audit_entries(filters=queries.AuditFilters(**filters.model_dump()), acting_user=user)
