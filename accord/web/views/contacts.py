"""Contacts: the searchable list, one contact's page with its timeline, stage changes and merges."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import Http404 as NotFoundHttp
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accord.accounts.domain import Capability
from accord.contacts.actions import contact_merge, suspected_duplicate_dismiss
from accord.contacts.models import Account, Contact, SuspectedDuplicate
from accord.contacts.queries import contact_duplicates, contact_list, suspected_duplicates
from accord.core.errors import AccordError, InvalidInput, NotFound
from accord.lifecycle.actions import contact_change_stage
from accord.lifecycle.domain import MoveKind
from accord.lifecycle.queries import MoveOption, move_options
from accord.playbook.domain.conditions import describe
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.trust.models import Erasure
from accord.web import queries
from accord.web.forms import ContactFilterForm, MergeForm, StageChangeForm, first_error
from accord.web.presenters import QUADRANTS, score_panel, scored_contacts, stage_label, stage_labels
from accord.web.views.base import acting, htmx, paginate, partial_wanted

LIST = "web/contacts/list.html"
DETAIL = "web/contacts/detail.html"


@require_GET
def contact_list_view(request: HttpRequest) -> HttpResponse:
    form = ContactFilterForm(request.GET)
    form.is_valid()
    filters: dict[str, Any] = form.cleaned_data  # the valid ones: a bad value drops only its own filter
    version = active_playbook()
    contacts = contact_list(
        search=filters.get("q") or "",
        stage=filters.get("stage") or "",
        owner_id=filters.get("owner"),
        account_id=filters.get("account"),
        unowned=bool(filters.get("unowned")),
    )
    contacts = scored_contacts(
        contacts,
        quadrant=filters.get("quadrant") or "",
        heating=bool(filters.get("heating")),
        sort=filters.get("sort") or "",
    )
    account = Account.objects.filter(pk=filters["account"]).first() if filters.get("account") else None
    context = {
        "page": paginate(request, contacts, filters.get("page")),
        "filters": filters,
        "stages": version.playbook.stages,
        "labels": stage_labels(version.playbook),
        "owners": queries.owners(),
        "account": account,
        "quadrants": list(QUADRANTS.values()),
    }
    return render(request, f"{LIST}#results" if partial_wanted(request, "results") else LIST, context)


def _options(version: PlaybookVersion, contact: Contact, request: HttpRequest) -> list[MoveOption]:
    user = acting(request)
    return move_options(version.playbook, contact, user) if user.can(Capability.STAGE_CHANGE) else []


def _move_fields(version: PlaybookVersion, option: MoveOption | None) -> dict[str, Any]:
    """What the chosen target stage asks for: a reason (hand-backs), a re-engage date, its entry criteria."""
    if option is None:
        return {"chosen": None}
    condition = version.playbook.entry_condition(option.stage) if option.kind is MoveKind.ADVANCE else None
    return {
        "chosen": option,
        "hand_back": option.kind is MoveKind.HAND_BACK,
        "entry_text": describe(condition) if condition is not None else "",
    }


def _lifecycle(
    request: HttpRequest,
    contact: Contact,
    *,
    error: AccordError | None = None,
    values: Mapping[str, Any] | None = None,
    version: PlaybookVersion | None = None,
    cursor: str = "",
) -> dict[str, Any]:
    """The stage panel, the score panel and the timeline: the part of the page a stage change re-renders."""
    version = version or active_playbook()
    labels = stage_labels(version.playbook)
    options = _options(version, contact, request)
    values = values or {}
    chosen = next((o for o in options if o.stage.key == values.get("stage")), None)
    return {
        "contact": contact,
        "current": stage_label(labels, contact.stage),
        "timeline": queries.contact_timeline(contact, cursor=cursor),
        "older": bool(cursor),
        "can_move": acting(request).can(Capability.STAGE_CHANGE),
        "forward": [o for o in options if o.kind is MoveKind.ADVANCE],
        "hand_backs": [o for o in options if o.kind is MoveKind.HAND_BACK],
        "values": values,
        "error": error,
        "score": score_panel(contact),
        **_move_fields(version, chosen),
    }


def _contact(pk: int) -> Contact:
    return get_object_or_404(Contact.objects.select_related("account", "owner", "playbook_version"), pk=pk)


def _page_context(request: HttpRequest, contact: Contact, **extra: Any) -> dict[str, Any]:
    user = acting(request)
    version = active_playbook()
    suspected = suspected_duplicates(contact)
    flagged = {other.pk for _, other in suspected}
    duplicates = [other for other in contact_duplicates(contact) if other.pk not in flagged]
    campaigns = queries.campaign_names([contact.first_campaign, contact.last_campaign])
    return {
        **_lifecycle(
            request,
            contact,
            error=extra.pop("error", None),
            values=extra.pop("values", None),
            version=version,
            cursor=extra.pop("cursor", ""),
        ),
        "labels": stage_labels(version.playbook),
        "duplicates": duplicates,
        # One list for the card: suspected ones (with the pair, to dismiss) first, then likely ones.
        "duplicate_rows": [*suspected, *((None, other) for other in duplicates)],
        "can_personal_data": user.can(Capability.PERSONAL_DATA),
        "erasure": Erasure.objects.filter(contact=contact).select_related("erased_by").first()
        if contact.erased_at
        else None,
        "can_merge": user.can(Capability.CONTACT_MERGE),
        "properties": sorted((contact.properties or {}).items()),
        "first_campaign": campaigns.get(contact.first_campaign.lower(), contact.first_campaign),
        "last_campaign": campaigns.get(contact.last_campaign.lower(), contact.last_campaign),
        **extra,
    }


@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The contact's page; `?cursor=` shows its timeline from an older item on (without JavaScript)."""
    return render(request, DETAIL, _page_context(request, _contact(pk), cursor=request.GET.get("cursor", "")))


@require_GET
def contact_timeline_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The next items of a contact's timeline, older than `cursor`, for "Show older"."""
    contact = get_object_or_404(Contact.objects.only("pk"), pk=pk)
    page = queries.contact_timeline(contact, cursor=request.GET.get("cursor", ""))
    return render(request, f"{DETAIL}#timeline_page", {"contact": contact, "timeline": page})


@require_GET
def contact_move_fields(request: HttpRequest, pk: int) -> HttpResponse:
    """The reason, re-engage date and criteria of the stage chosen in the change-stage form."""
    contact = _contact(pk)
    version = active_playbook()
    key = request.GET.get("stage", "")
    option = next((o for o in _options(version, contact, request) if o.stage.key == key), None)
    return render(request, f"{DETAIL}#move_fields", {"contact": contact, "values": {}, **_move_fields(version, option)})


@require_POST
def contact_stage_change(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(pk)
    form = StageChangeForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(first_error(form))
        data = form.cleaned_data
        change = contact_change_stage(
            contact=contact,
            to_stage=data["stage"],
            acting_user=acting(request),
            reason=data["reason"] or None,
            note=data["note"],
            reengage_on=data["reengage_on"],
        )
    except AccordError as exc:
        if htmx(request):
            context = _lifecycle(request, contact, error=exc, values=request.POST)
            return render(request, f"{DETAIL}#lifecycle", context, status=exc.status)
        context = _page_context(request, contact, error=exc, values=request.POST)
        return render(request, DETAIL, context, status=exc.status)
    labels = stage_labels(change.playbook_version.playbook)
    messages.success(request, f"{contact} moved to {stage_label(labels, change.to_stage).name}.")
    if htmx(request):
        return render(request, f"{DETAIL}#lifecycle", _lifecycle(request, _contact(pk)))
    return redirect("contact", pk=pk)


@require_POST
def contact_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    keep = _contact(pk)
    form = MergeForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(first_error(form))
        drop = Contact.objects.filter(pk=form.cleaned_data["drop"]).first()
        if drop is None:
            raise NotFound(f"no contact {form.cleaned_data['drop']}; it may have been merged already")
        dropped = str(drop)
        contact_merge(keep=keep, drop=drop, acting_user=acting(request))
    except AccordError as exc:
        return render(request, DETAIL, _page_context(request, keep, merge_error=exc), status=exc.status)
    messages.success(request, f"Merged {dropped} into {keep}.")
    return redirect("contact", pk=pk)


@require_POST
def contact_duplicate_dismiss(request: HttpRequest, pk: int, pair: int) -> HttpResponse:
    """A person looked at a suspected duplicate: they are two people."""
    contact = _contact(pk)
    found = get_object_or_404(SuspectedDuplicate, pk=pair)
    if contact.pk not in (found.contact_id, found.other_id):
        raise NotFoundHttp()
    try:
        suspected_duplicate_dismiss(duplicate=found, acting_user=acting(request))
    except AccordError as exc:
        return render(request, DETAIL, _page_context(request, contact, merge_error=exc), status=exc.status)
    messages.success(request, "Noted: they are two people. The pair is no longer shown.")
    return redirect("contact", pk=pk)
