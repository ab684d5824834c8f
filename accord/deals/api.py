from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Status
from ninja.pagination import paginate

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.core.errors import InvalidInput
from accord.core.schemas import Pagination, PathId, QuerySchema, errors
from accord.deals import actions
from accord.deals.models import Deal
from accord.deals.schemas import DealIn, DealLoseIn, DealOut

router = Router(tags=["deals"])
READ = errors(404)
WRITE = errors(400, 404, 409, 413)


class DealFilters(QuerySchema):
    stage: str = Field("", max_length=10, description="open, won or lost (default: all).")
    owner_id: PathId | None = None
    contact_id: PathId | None = None
    account_id: PathId | None = None


@router.get("/deals", response={200: list[DealOut], **errors()}, summary="List deals, newest first")
@paginate(Pagination)
def deal_list(request: HttpRequest, filters: Query[DealFilters]) -> QuerySet[Deal]:
    acting_user(request, Scope.READ)
    found = Deal.objects.prefetch_related("links")
    if filters.stage:
        if filters.stage not in Deal.Stage.values:
            raise InvalidInput(f"stage: must be one of {', '.join(Deal.Stage.values)}", field="stage")
        found = found.filter(stage=filters.stage)
    if filters.owner_id is not None:
        found = found.filter(owner_id=filters.owner_id)
    if filters.contact_id is not None:
        found = found.filter(links__contact_id=filters.contact_id).distinct()
    if filters.account_id is not None:
        found = found.filter(account_id=filters.account_id)
    return found


def _deal(deal_id: int) -> Deal:
    return get_object_or_404(Deal.objects.prefetch_related("links"), pk=deal_id)


@router.get("/deals/{deal_id}", response={200: DealOut, **READ}, summary="Get a deal")
def deal_get(request: HttpRequest, deal_id: PathId) -> Deal:
    acting_user(request, Scope.READ)
    return _deal(deal_id)


@router.post("/deals", response={201: DealOut, **WRITE}, summary="Open a deal (create an opportunity)",
             description="The primary contact's first open deal moves them to the opportunity stage and accepts "
                         "their open hand-off.")  # fmt: skip
def deal_create(request: HttpRequest, payload: DealIn) -> Status[Deal]:
    user = acting_user(request, Scope.WRITE)
    contact = Contact.objects.filter(pk=payload.contact_id).first()
    if contact is None:
        raise InvalidInput(f"contact_id: no contact has the id {payload.contact_id}", field="contact_id")
    others = list(Contact.objects.filter(pk__in=payload.contact_ids))
    missing = sorted(set(payload.contact_ids) - {c.pk for c in others})
    if missing:
        raise InvalidInput(f"contact_ids: no contact has the id {missing[0]}", field="contact_ids")
    owner = None
    if payload.owner_id is not None:
        owner = User.objects.filter(pk=payload.owner_id).first()
        if owner is None:
            raise InvalidInput(f"owner_id: no user has the id {payload.owner_id}", field="owner_id")
    deal = actions.deal_create(contact=contact, acting_user=user, name=payload.name, amount=payload.amount,
                               currency=payload.currency, expected_close=payload.expected_close, owner=owner,
                               other_contacts=others)  # fmt: skip
    return Status(201, _deal(deal.pk))


@router.post("/deals/{deal_id}/win", response={200: DealOut, **WRITE}, summary="Win a deal",
             description="Every contact on it becomes a customer, and so does the account. A closed deal answers "
                         "409 with its current state.")  # fmt: skip
def deal_win(request: HttpRequest, deal_id: PathId) -> Deal:
    user = acting_user(request, Scope.WRITE)
    actions.deal_win(deal=_deal(deal_id), acting_user=user)
    return _deal(deal_id)


@router.post("/deals/{deal_id}/lose", response={200: DealOut, **WRITE}, summary="Lose a deal",
             description="With a loss reason from the playbook; the primary contact goes back to marketing "
                         "unless another deal keeps it in sales.")  # fmt: skip
def deal_lose(request: HttpRequest, deal_id: PathId, payload: DealLoseIn) -> Deal:
    user = acting_user(request, Scope.WRITE)
    actions.deal_lose(deal=_deal(deal_id), acting_user=user, reason=payload.reason, note=payload.note)
    return _deal(deal_id)
