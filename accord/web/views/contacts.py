"""Contacts: the searchable list, one contact's page with its timeline, stage changes and merges,
the form that creates or edits a contact, and its owner changed from its page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404 as NotFoundHttp
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.accounts.queries import owner_candidates, owners
from accord.campaigns.queries import campaign_names
from accord.contacts.actions import (
    account_create,
    contact_create,
    contact_update,
    suspected_duplicate_dismiss,
)
from accord.contacts.domain import SourceOrigin
from accord.contacts.models import Account, Contact, SuspectedDuplicate
from accord.contacts.queries import account_picks, contact_duplicates, contact_list, suspected_duplicates
from accord.core import clock
from accord.core.errors import AccordError, InvalidInput, NotFound
from accord.lifecycle.actions import contact_change_stage, contact_merge
from accord.lifecycle.domain import MoveKind
from accord.lifecycle.models import Handoff
from accord.lifecycle.queries import MoveOption, move_options
from accord.playbook.domain.conditions import describe
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.scoring import queries as scoring_queries
from accord.scoring.queries import contact_score
from accord.trust.models import Erasure
from accord.web import queries
from accord.web.forms import (
    CONSENT_CHOICES,
    SENIORITY_CHOICES,
    ContactFilterForm,
    ContactForm,
    MergeForm,
    StageChangeForm,
    changed,
    country_choices,
    first_error,
    owner_choices,
    show_refusal,
)
from accord.web.presenters import sla as sla_present
from accord.web.presenters.common import stage_label, stage_labels
from accord.web.presenters.contacts import timeline_page
from accord.web.presenters.scores import PANEL_CHANGES, QUADRANTS, score_panel
from accord.web.views.base import (
    acting,
    capability_required,
    htmx,
    owner_reassigned,
    paginate,
    partial_wanted,
    see_other,
)

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
    contacts = scoring_queries.scored_contacts(
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
        "owners": owners(),
        "account": account,
        "quadrants": list(QUADRANTS.values()),
        "can_export": acting(request).can(Capability.CONTACT_EXPORT),
        "can_write": acting(request).can(Capability.CONTACT_WRITE),
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
        "timeline": timeline_page(queries.contact_timeline(contact, cursor=cursor)),
        "older": bool(cursor),
        "can_move": acting(request).can(Capability.STAGE_CHANGE),
        "forward": [o for o in options if o.kind is MoveKind.ADVANCE],
        "hand_backs": [o for o in options if o.kind is MoveKind.HAND_BACK],
        "values": values,
        "error": error,
        "score": score_panel(contact_score(contact, now=clock.now(), history=PANEL_CHANGES)),
        **_move_fields(version, chosen),
    }


def _contact(pk: int) -> Contact:
    return get_object_or_404(
        Contact.objects.select_related("account", "owner", "playbook_version", "score__score_version"), pk=pk
    )


def _page_context(request: HttpRequest, contact: Contact, **extra: Any) -> dict[str, Any]:
    user = acting(request)
    version = active_playbook()
    suspected = suspected_duplicates(contact)
    flagged = {other.pk for _, other in suspected}
    duplicates = [other for other in contact_duplicates(contact) if other.pk not in flagged]
    campaigns = campaign_names([contact.first_campaign, contact.last_campaign])
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
        "can_write": user.can(Capability.CONTACT_WRITE),
        "owner_choices": owner_choices(owner_candidates(keep=contact.owner_id))
        if user.can(Capability.CONTACT_WRITE)
        else [],
        "properties": sorted((contact.properties or {}).items()),
        "first_campaign": campaigns.get(contact.first_campaign.lower(), contact.first_campaign),
        "source_origin": SourceOrigin.of(first_source=contact.first_source, first_seen_at=contact.first_seen_at),
        "last_campaign": campaigns.get(contact.last_campaign.lower(), contact.last_campaign),
        **_sla(contact),
        **extra,
    }


def _sla(contact: Contact) -> dict[str, Any]:
    """The contact's latest hand-off and its SLA clocks, for the SLA card."""
    latest = (
        Handoff.objects.filter(contact=contact).select_related("owner", "team").order_by("-created_at", "-id").first()
    )
    if latest is None:
        return {"sla_handoff": None, "sla_chips": []}
    return {"sla_handoff": latest, "sla_chips": sla_present.all_chips(latest.pk, now=clock.now())}


@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The contact's page; `?cursor=` shows its timeline from an older item on (without JavaScript)."""
    return render(request, DETAIL, _page_context(request, _contact(pk), cursor=request.GET.get("cursor", "")))


@require_GET
def contact_timeline_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The next items of a contact's timeline, older than `cursor`, for "Show older"."""
    contact = get_object_or_404(Contact.objects.only("pk"), pk=pk)
    page = timeline_page(queries.contact_timeline(contact, cursor=request.GET.get("cursor", "")))
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
    return see_other("contact", pk=pk)


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
    return see_other("contact", pk=pk)


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
    return see_other("contact", pk=pk)


# --------------------------------------------------------------------------- create, edit, owner

FORM = "web/contacts/form.html"


@dataclass(frozen=True)
class AccountPick:
    value: str  # an account's id, "new" (a new account named as typed) or "none"
    name: str
    domain: str
    checked: bool


@dataclass(frozen=True)
class AccountPicks:
    """The account field of the contact form: the words typed and the choices they offer."""

    query: str
    options: list[AccountPick]
    chosen: str  # the value checked; "" when several accounts match and the person must choose


def _account_picks(query: str, chosen: str = "") -> AccountPicks:
    """What the typed words offer. Unless the person chose, one account of exactly that name is
    taken; a name no account has makes a new account; nothing typed, no account."""
    query = query.strip()
    keep = int(chosen) if chosen.isascii() and chosen.isdigit() and len(chosen) <= 18 else None
    accounts = account_picks(query, keep=keep)
    exact = [a for a in accounts if a.name.casefold() == query.casefold()]
    if keep is not None or chosen == "none" or (chosen == "new" and query):
        pick = chosen
    elif not query:
        pick = "none"
    elif len(exact) == 1:
        pick = str(exact[0].pk)
    else:
        pick = "" if accounts else "new"
    options = [AccountPick(str(a.pk), a.name, a.domain, str(a.pk) == pick) for a in accounts]
    if query and (not exact or pick == "new"):
        options.append(AccountPick("new", query, "", pick == "new"))
    options.append(AccountPick("none", "", "", pick == "none"))
    return AccountPicks(query=query, options=options, chosen=pick)


def _contact_saved(form: ContactForm, user: User, contact: Contact | None) -> Contact:
    """Create or update the contact through the contacts' actions. A company the account field
    names that does not exist yet is created by account_create in the same transaction, so when
    either refuses nothing is written; the problems of both are reported together."""
    data = form.to_data()
    picks = _account_picks(form.cleaned_data["account"], form.cleaned_data["account_pick"])
    problems: list[tuple[str, str]] = []
    with transaction.atomic():
        if picks.chosen == "new":
            try:
                data["account_id"] = account_create(data={"name": picks.query}, acting_user=user).pk
            except InvalidInput as exc:
                problems += [("account_id", message) for _, message in exc.errors]
        elif picks.chosen == "":
            problems.append(("account_id", f"several accounts match {picks.query!r}: choose one, or a new account"))
        else:
            data["account_id"] = None if picks.chosen == "none" else int(picks.chosen)
        try:
            if contact is None:
                saved = contact_create(data=data, acting_user=user)
            else:
                saved = contact_update(contact=contact, data=changed(contact, data), acting_user=user)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, errors=[*problems, *exc.errors]) from None
        if problems:
            raise InvalidInput(problems[0][1], field=problems[0][0], errors=problems)
    return saved


def _contact_initial(contact: Contact) -> dict[str, str]:
    return {
        "email": contact.email or "",
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "seniority": contact.seniority,
        "phone": contact.phone,
        "country": contact.country,
        "account": contact.account.name if contact.account else "",
        "account_pick": str(contact.account_id) if contact.account_id else "none",
        "owner": str(contact.owner_id or ""),
        "consent": {None: "", True: "yes", False: "no"}[contact.consent],
    }


def _form_page(
    request: HttpRequest, form: ContactForm, contact: Contact | None = None, status: int = 200
) -> HttpResponse:
    """The contact form, empty, filled in from the contact, or as posted with each refusal next to its field."""
    context = {
        "form": form,
        "contact": contact,
        "picks": _account_picks(form["account"].value() or "", form["account_pick"].value() or ""),
        "owner_choices": owner_choices(owner_candidates(keep=contact.owner_id if contact else None)),
        "country_choices": country_choices(form["country"].value() or ""),
        "seniority_choices": SENIORITY_CHOICES,
        "consent_choices": CONSENT_CHOICES,
    }
    return render(request, FORM, context, status=status)


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONTACT_WRITE)
def contact_create_view(request: HttpRequest) -> HttpResponse:
    """A new contact; `?account=<id>` starts it at that account (the list filtered by account links so)."""
    user = acting(request)
    if request.method == "GET":
        chosen = request.GET.get("account", "")
        account = Account.objects.filter(pk=chosen).first() if chosen.isdigit() and len(chosen) <= 18 else None
        initial = {"owner": str(user.pk)}
        if account is not None:
            initial.update(account=account.name, account_pick=str(account.pk))
        return _form_page(request, ContactForm(initial=initial))
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=422)
    try:
        contact = _contact_saved(form, user, None)
    except AccordError as exc:
        show_refusal(form, exc, ContactForm.ACTION_FIELDS)
        return _form_page(request, form, status=exc.status)
    messages.success(request, f"Created {contact}.")
    return see_other("contact", pk=contact.pk)


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONTACT_WRITE)
def contact_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(pk)
    if request.method == "GET":
        return _form_page(request, ContactForm(initial=_contact_initial(contact)), contact)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, contact, status=422)
    updated_at = contact.updated_at
    try:
        _contact_saved(form, acting(request), contact)
    except AccordError as exc:
        show_refusal(form, exc, ContactForm.ACTION_FIELDS)
        return _form_page(request, form, contact, status=exc.status)
    if contact.updated_at == updated_at:
        messages.info(request, f"Nothing to save: {contact} was already as the form said.")
    else:
        messages.success(request, f"Saved {contact}.")
    return see_other("contact", pk=pk)


@require_POST
@capability_required(Capability.CONTACT_WRITE)
def contact_owner_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the contact to another person (or to nobody) from its page."""
    contact = _contact(pk)
    return owner_reassigned(
        request,
        record=contact,
        update=lambda data: contact_update(contact=contact, data=data, acting_user=acting(request)),
        reload=lambda: _contact(pk),
        refused=lambda message, status: render(
            request, DETAIL, _page_context(request, contact, owner_error=message), status=status
        ),
        page="contact",
    )


@require_GET
@capability_required(Capability.CONTACT_WRITE)
def contact_account_picks(request: HttpRequest) -> HttpResponse:
    """The accounts the contact form's account field offers for the words typed so far."""
    picks = _account_picks(request.GET.get("account", "")[:200])
    return render(request, f"{FORM}#account_picks", {"picks": picks})
