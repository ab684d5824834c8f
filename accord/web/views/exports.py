"""Download CSV: the contacts or accounts list, with its current filters, as a file in Accord's,
HubSpot's or Salesforce's columns, streamed (accord.imports.export; docs/exports.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from accord.accounts.domain import Capability
from accord.imports import export
from accord.imports.domain.columns import Format
from accord.web.forms import ContactFilterForm, SearchForm
from accord.web.views.base import acting, capability_required

FORMATS = {f.value for f in Format}


def _format(request: HttpRequest) -> Format | None:
    value = request.GET.get("format") or Format.ACCORD.value
    return Format(value) if value in FORMATS else None


def _download(result: export.Export) -> StreamingHttpResponse:
    response = StreamingHttpResponse(result.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@capability_required(Capability.CONTACT_EXPORT)
def contacts_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    fmt = _format(request)
    if fmt is None:
        return HttpResponseBadRequest("format: choose accord, hubspot or salesforce")
    form = ContactFilterForm(request.GET)
    form.is_valid()
    data: dict[str, Any] = form.cleaned_data  # as the list reads them: a bad value drops only its own filter
    filters = export.ContactFilters(
        search=data.get("q") or "",
        stage=data.get("stage") or "",
        owner_id=data.get("owner"),
        account_id=data.get("account"),
        unowned=bool(data.get("unowned")),
        quadrant=data.get("quadrant") or "",
        heating=bool(data.get("heating")),
    )
    return _download(export.contacts_export(filters=filters, format=fmt, acting_user=acting(request)))


@require_GET
@capability_required(Capability.CONTACT_EXPORT)
def accounts_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    fmt = _format(request)
    if fmt is None:
        return HttpResponseBadRequest("format: choose accord, hubspot or salesforce")
    form = SearchForm(request.GET)
    search = (form.cleaned_data.get("q") or "") if form.is_valid() else ""
    filters = export.AccountFilters(search=search)
    return _download(export.accounts_export(filters=filters, format=fmt, acting_user=acting(request)))
