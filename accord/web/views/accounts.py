"""Accounts: the searchable list and one account's page with its contacts by stage."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accord.contacts.models import Account
from accord.contacts.queries import account_list
from accord.playbook.queries import active_playbook
from accord.web import queries
from accord.web.forms import SearchForm
from accord.web.presenters import stage_labels
from accord.web.views.base import paginate, partial_wanted

LIST = "web/accounts/list.html"


@require_GET
def account_list_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    search = form.cleaned_data.get("q") or "" if form.is_valid() else ""
    page_number = form.cleaned_data.get("page") if form.is_valid() else None
    accounts = queries.accounts_with_counts(account_list(search=search))
    context = {"page": paginate(request, accounts, page_number), "q": search}
    return render(request, f"{LIST}#results" if partial_wanted(request, "results") else LIST, context)


@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("owner"), pk=pk)
    version = active_playbook()
    contacts = queries.account_contacts(account)
    counts = [c for c in queries.stage_counts(version.playbook, contacts) if c.count]
    return render(
        request,
        "web/accounts/detail.html",
        {
            "account": account,
            "contacts": contacts[:200],
            "contact_total": contacts.count(),
            "counts": counts,
            "labels": stage_labels(version.playbook),
            "properties": sorted((account.properties or {}).items()),
        },
    )
