"""A person's data, downloaded or erased from their page; the audit log, for admins."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

import orjson
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.core.errors import AccordError
from accord.trust.actions import contact_erase
from accord.trust.queries import AuditFilters, audit_actions, audit_entries, audit_object_types, contact_export
from accord.web.views.base import acting, capability_required, paginate, see_other
from accord.web.views.contacts import DETAIL, _contact, _page_context


@require_GET
@capability_required(Capability.PERSONAL_DATA)
def contact_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    data = orjson.dumps(
        contact_export(contact=contact, acting_user=acting(request)), default=str, option=orjson.OPT_INDENT_2
    )
    response = HttpResponse(data, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="accord-contact-{contact.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@capability_required(Capability.PERSONAL_DATA)
def contact_erase_view(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(pk)
    try:
        contact_erase(contact=contact, reason=request.POST.get("reason", ""), acting_user=acting(request))
    except AccordError as exc:
        return render(request, DETAIL, _page_context(request, contact, erase_error=exc), status=exc.status)
    messages.success(
        request, f"Erased contact {contact.pk}: its personal data is gone, and its addresses are suppressed."
    )
    return see_other("contact", pk=pk)


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(queryset=User.objects.all(), required=False)
    api_key = forms.CharField(required=False, max_length=16)
    action = forms.CharField(required=False, max_length=64)
    object_type = forms.CharField(required=False, max_length=64)
    object_id = forms.CharField(required=False, max_length=64)
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)
    page = forms.IntegerField(required=False, min_value=1)


def _filters(form: AuditFilterForm) -> AuditFilters:
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    day = dt.timedelta(days=1)

    def start(value: dt.date | None) -> dt.datetime | None:
        return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC) if value else None

    until = start(data.get("until"))
    return AuditFilters(
        actor_id=data["actor"].pk if data.get("actor") else None,
        api_key=data.get("api_key") or "",
        action=data.get("action") or "",
        object_type=data.get("object_type") or "",
        object_id=data.get("object_id") or "",
        since=start(data.get("since")),
        until=until + day if until else None,  # the "until" day is included
    )


@require_GET
@capability_required(Capability.AUDIT_READ)
def audit_page(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    rows = audit_entries(filters=_filters(form), acting_user=acting(request))
    page_number = form.cleaned_data.get("page") if form.is_valid() else None
    context = {
        "form": form,
        "page": paginate(request, rows, page_number),
        "users": User.objects.order_by("email"),
        "actions": audit_actions(),
        "object_types": audit_object_types(),
        "query": request.GET.urlencode(),
    }
    return render(request, "web/admin/audit.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@capability_required(Capability.AUDIT_READ)
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered audit log as CSV, streamed row by row."""
    rows = audit_entries(filters=_filters(AuditFilterForm(request.GET)), acting_user=acting(request))
    writer = csv.writer(_Echo())

    def lines() -> Any:
        yield writer.writerow(
            ["at", "actor", "api_key", "action", "object_type", "object_id", "before", "after", "details"]
        )
        for entry in rows.iterator(chunk_size=2000):
            yield writer.writerow([
                entry.at.isoformat(), entry.actor.email if entry.actor else "", entry.via_api_key, entry.action,
                entry.object_type, entry.object_id, _json(entry.before), _json(entry.after), _json(entry.details),
            ])  # fmt: skip

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="accord-audit.csv"'
    return response


def _json(value: Any) -> str:
    return "" if value in (None, {}) else orjson.dumps(value, default=str).decode()
