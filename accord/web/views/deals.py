"""Deals: the list (filtered by stage and owner), one deal's page (its contacts, its history, Win
and Lose), and the pipeline board (open, won and lost, with totals per currency)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accord.accounts.domain import Capability
from accord.core.errors import AccordError
from accord.deals import queries
from accord.deals.actions import deal_lose, deal_win
from accord.deals.models import Deal
from accord.playbook.queries import active_playbook
from accord.web.forms import DealFilterForm, DealLoseForm, form_refusal
from accord.web.presenters import deals as present
from accord.web.presenters.queue import reason_options
from accord.web.views.base import acting, paginate, see_other

LIST = "web/deals/list.html"
DETAIL = "web/deals/detail.html"
BOARD = "web/deals/board.html"


@require_GET
def deal_list_view(request: HttpRequest) -> HttpResponse:
    form = DealFilterForm(request.GET)
    form.is_valid()
    filters: dict[str, Any] = form.cleaned_data  # a bad value drops only its own filter
    page = paginate(request, queries.deal_list(stage=filters.get("stage") or "", owner_id=filters.get("owner")),
                    filters.get("page"))  # fmt: skip
    context = {
        "page": page,
        "rows": present.deal_rows(page.object_list),
        "filters": filters,
        "stages": present.STAGE_CHOICES,
        "owners": queries.deal_owners(),
    }
    return render(request, LIST, context)


def _page(request: HttpRequest, pk: int, *, failure: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    found = queries.deal_page(pk)
    if found is None:
        raise Http404("no such deal")
    playbook = active_playbook().playbook
    reasons = reason_options(playbook, "loss")
    context = {
        "deal": found.deal,
        "row": present.deal_row(found.deal),
        "contacts": found.contacts,
        "history": present.change_rows(found.changes, loss_reasons={r.key: r.label for r in reasons}),
        "loss_reasons": reasons,
        "loss_label": next((r.label for r in reasons if r.key == found.deal.loss_reason), found.deal.loss_reason),
        "can_write": acting(request).can(Capability.DEAL_WRITE),
        "failure": failure or {},
    }
    return render(request, DETAIL, context, status=status)


@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk)


def _deal(pk: int) -> Deal:
    deal = Deal.objects.filter(pk=pk).first()
    if deal is None:
        raise Http404("no such deal")
    return deal


def _refused(request: HttpRequest, pk: int, action: str, exc: AccordError) -> HttpResponse:
    message = exc.message.removeprefix(f"{exc.field}: ") if exc.field else exc.message
    on_field = exc.field in ("reason", "note") and action == "lose"
    failure = {
        "action": action,
        "errors": {exc.field: message} if on_field and exc.field else {},
        "message": "" if on_field else message,
        "values": request.POST,
    }
    return _page(request, pk, failure=failure, status=exc.status)


@require_POST
def deal_win_view(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(pk)
    try:
        deal_win(deal=deal, acting_user=acting(request))
    except AccordError as exc:
        return _refused(request, pk, "win", exc)
    messages.success(request, f"Won {deal.name}.")
    return see_other("deal", pk=pk)


@require_POST
def deal_lose_view(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(pk)
    form = DealLoseForm(request.POST)
    try:
        if not form.is_valid():
            raise form_refusal(form)
        deal_lose(deal=deal, acting_user=acting(request), reason=form.cleaned_data["reason"],
                  note=form.cleaned_data["note"])  # fmt: skip
    except AccordError as exc:
        return _refused(request, pk, "lose", exc)
    messages.success(request, f"Lost {deal.name}.")
    return see_other("deal", pk=pk)


@require_GET
def deal_board(request: HttpRequest) -> HttpResponse:
    return render(request, BOARD, {"columns": present.board_columns(queries.deal_board())})
