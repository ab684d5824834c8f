"""Accounts: the searchable list, one account's page with its contacts by stage, the form that
creates or edits an account, and its owner changed from its page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.accounts.domain import Capability
from accord.accounts.queries import owner_candidates
from accord.contacts.actions import account_create, account_update
from accord.contacts.models import Account
from accord.contacts.queries import account_contacts, account_list, accounts_with_counts, industries
from accord.core.errors import AccordError
from accord.lifecycle.queries import contacts_by_stage
from accord.playbook.queries import active_playbook
from accord.web.forms import (
    AccountForm,
    SearchForm,
    changed,
    country_choices,
    owner_choices,
    show_refusal,
)
from accord.web.presenters.common import stage_count_rows, stage_labels
from accord.web.views.base import (
    acting,
    capability_required,
    owner_reassigned,
    paginate,
    partial_wanted,
    see_other,
)

LIST = "web/accounts/list.html"
DETAIL = "web/accounts/detail.html"
FORM = "web/accounts/form.html"


@require_GET
def account_list_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    search = form.cleaned_data.get("q") or "" if form.is_valid() else ""
    page_number = form.cleaned_data.get("page") if form.is_valid() else None
    accounts = accounts_with_counts(account_list(search=search))
    context = {
        "page": paginate(request, accounts, page_number),
        "q": search,
        "can_export": acting(request).can(Capability.CONTACT_EXPORT),
        "can_write": acting(request).can(Capability.CONTACT_WRITE),
    }
    return render(request, f"{LIST}#results" if partial_wanted(request, "results") else LIST, context)


def _account(pk: int) -> Account:
    return get_object_or_404(Account.objects.select_related("owner"), pk=pk)


def _detail_context(request: HttpRequest, account: Account, **extra: Any) -> dict[str, Any]:
    version = active_playbook()
    contacts = account_contacts(account)
    labels = stage_labels(version.playbook)
    counts = [c for c in stage_count_rows(contacts_by_stage(version.playbook, contacts), labels) if c.count]
    can_write = acting(request).can(Capability.CONTACT_WRITE)
    return {
        "account": account,
        "contacts": contacts[:200],
        "contact_total": contacts.count(),
        "counts": counts,
        "labels": labels,
        "properties": sorted((account.properties or {}).items()),
        "can_write": can_write,
        "owner_choices": owner_choices(owner_candidates(keep=account.owner_id)) if can_write else [],
        **extra,
    }


@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, DETAIL, _detail_context(request, _account(pk)))


# --------------------------------------------------------------------------- create, edit, owner


def _account_initial(account: Account) -> dict[str, str]:
    revenue = account.annual_revenue
    if revenue is not None and revenue == revenue.to_integral_value():
        revenue = revenue.quantize(1)
    return {
        "name": account.name,
        "domain": account.domain,
        "industry": account.industry,
        "employees": "" if account.employees is None else str(account.employees),
        "annual_revenue": "" if revenue is None else str(revenue),
        "country": account.country,
        "owner": str(account.owner_id or ""),
    }


def _form_page(
    request: HttpRequest, form: AccountForm, account: Account | None = None, status: int = 200
) -> HttpResponse:
    """The account form, empty, filled in from the account, or as posted with each refusal next to its field."""
    context = {
        "form": form,
        "account": account,
        "owner_choices": owner_choices(owner_candidates(keep=account.owner_id if account else None)),
        "country_choices": country_choices(form["country"].value() or ""),
        "industries": industries(),
    }
    return render(request, FORM, context, status=status)


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONTACT_WRITE)
def account_create_view(request: HttpRequest) -> HttpResponse:
    user = acting(request)
    if request.method == "GET":
        return _form_page(request, AccountForm(initial={"owner": str(user.pk)}))
    form = AccountForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=422)
    try:
        account = account_create(data=form.to_data(), acting_user=user)
    except AccordError as exc:
        show_refusal(form, exc, AccountForm.ACTION_FIELDS)
        return _form_page(request, form, status=exc.status)
    messages.success(request, f"Created the account {account.name}.")
    return see_other("account", pk=account.pk)


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONTACT_WRITE)
def account_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(pk)
    if request.method == "GET":
        return _form_page(request, AccountForm(initial=_account_initial(account)), account)
    form = AccountForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, account, status=422)
    updated_at = account.updated_at
    try:
        account_update(account=account, data=changed(account, form.to_data()), acting_user=acting(request))
    except AccordError as exc:
        show_refusal(form, exc, AccountForm.ACTION_FIELDS)
        return _form_page(request, form, account, status=exc.status)
    if account.updated_at == updated_at:
        messages.info(request, f"Nothing to save: {account.name} was already as the form said.")
    else:
        messages.success(request, f"Saved {account.name}.")
    return see_other("account", pk=pk)


@require_POST
@capability_required(Capability.CONTACT_WRITE)
def account_owner_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the account to another person (or to nobody) from its page. Its contacts keep theirs."""
    account = _account(pk)
    return owner_reassigned(
        request,
        record=account,
        update=lambda data: account_update(account=account, data=data, acting_user=acting(request)),
        reload=lambda: _account(pk),
        refused=lambda message, status: render(
            request, DETAIL, _detail_context(request, account, owner_error=message), status=status
        ),
        page="account",
    )
