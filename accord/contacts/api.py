from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Status
from ninja.pagination import paginate

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.contacts import actions, queries
from accord.contacts.models import Account, Contact
from accord.contacts.schemas import (
    AccountFieldsIn,
    AccountOut,
    ContactFieldsIn,
    ContactOut,
)
from accord.core.schemas import Pagination, PathId, QuerySchema, errors

router = Router(tags=["contacts"])
READ = errors(404)
WRITE = errors(400, 404, 409, 413)


class ContactFilters(QuerySchema):
    email: str = Field("", max_length=254, description="The exact email (any case; an IDN domain in either form).")
    search: str = Field("", max_length=200, description="Words in the name, email, title or company.")
    stage: str = Field("", max_length=40, description="A stage key, or none for contacts without one.")
    owner_id: PathId | None = None
    account_id: PathId | None = None


@router.get("/contacts", response={200: list[ContactOut], **errors()}, summary="List contacts")
@paginate(Pagination)
def contact_list(request: HttpRequest, filters: Query[ContactFilters]):  # type: ignore[no-untyped-def]
    acting_user(request, Scope.READ)
    return queries.contact_list(**filters.model_dump()).select_related("playbook_version")


def _contact(contact_id: PathId) -> Contact:
    return get_object_or_404(Contact.objects.select_related("account", "owner", "playbook_version"), pk=contact_id)


@router.get("/contacts/{contact_id}", response={200: ContactOut, **READ}, summary="Get a contact")
def contact_get(request: HttpRequest, contact_id: PathId) -> Contact:
    acting_user(request, Scope.READ)
    return _contact(contact_id)


@router.post("/contacts", response={201: ContactOut, **WRITE}, summary="Create a contact")
def contact_create(request: HttpRequest, payload: ContactFieldsIn) -> Status[Contact]:
    user = acting_user(request, Scope.WRITE)
    contact = actions.contact_create(data=payload.model_dump(exclude_unset=True), acting_user=user)
    return Status(201, _contact(contact.pk))


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **WRITE}, summary="Update a contact")
def contact_update(request: HttpRequest, contact_id: PathId, payload: ContactFieldsIn) -> Contact:
    user = acting_user(request, Scope.WRITE)
    actions.contact_update(contact=_contact(contact_id), data=payload.model_dump(exclude_unset=True), acting_user=user)
    return _contact(contact_id)


@router.get("/contacts/{contact_id}/duplicates", response={200: list[ContactOut], **READ}, summary="Likely duplicates")
def contact_duplicates(request: HttpRequest, contact_id: PathId) -> list[Contact]:
    acting_user(request, Scope.READ)
    return queries.contact_duplicates_all(_contact(contact_id))


class AccountFilters(QuerySchema):
    search: str = Field("", max_length=200, description="Words in the name or domain.")
    industry: str = Field("", max_length=100)


@router.get("/accounts", response={200: list[AccountOut], **errors()}, tags=["accounts"], summary="List accounts")
@paginate(Pagination)
def account_list(request: HttpRequest, filters: Query[AccountFilters]):  # type: ignore[no-untyped-def]
    acting_user(request, Scope.READ)
    return queries.account_list(**filters.model_dump())


@router.get("/accounts/{account_id}", response={200: AccountOut, **READ}, tags=["accounts"], summary="Get an account")
def account_get(request: HttpRequest, account_id: PathId) -> Account:
    acting_user(request, Scope.READ)
    return get_object_or_404(Account.objects.select_related("owner"), pk=account_id)


@router.get(
    "/accounts/{account_id}/duplicates",
    response={200: list[AccountOut], **READ},
    tags=["accounts"],
    summary="Likely duplicate accounts (same domain or name)",
)
def account_duplicates(request: HttpRequest, account_id: PathId) -> list[Account]:
    acting_user(request, Scope.READ)
    return queries.account_duplicates(get_object_or_404(Account, pk=account_id))


@router.post("/accounts", response={201: AccountOut, **WRITE}, tags=["accounts"], summary="Create an account")
def account_create(request: HttpRequest, payload: AccountFieldsIn) -> Status[Account]:
    user = acting_user(request, Scope.WRITE)
    return Status(201, actions.account_create(data=payload.model_dump(exclude_unset=True), acting_user=user))


@router.patch(
    "/accounts/{account_id}", response={200: AccountOut, **WRITE}, tags=["accounts"], summary="Update an account"
)
def account_update(request: HttpRequest, account_id: PathId, payload: AccountFieldsIn) -> Account:
    user = acting_user(request, Scope.WRITE)
    account = get_object_or_404(Account, pk=account_id)
    return actions.account_update(account=account, data=payload.model_dump(exclude_unset=True), acting_user=user)
