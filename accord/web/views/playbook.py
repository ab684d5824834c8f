"""The playbook: the agreement in force, its versions, drafts, signatures and activation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.accounts.domain import Capability, signs_for
from accord.core.errors import AccordError, InvalidInput, NotFound
from accord.playbook.actions import playbook_activate, playbook_draft_create, playbook_draft_update, playbook_sign
from accord.playbook.domain.document import diff
from accord.playbook.models import PlaybookVersion, VersionStatus
from accord.playbook.queries import active_playbook, version_get, version_list
from accord.web.forms import DraftForm, first_error
from accord.web.presenters import playbook_view
from accord.web.views.base import acting, capability_required


def _version(number: int) -> PlaybookVersion:
    try:
        return version_get(number)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _version_context(request: HttpRequest, version: PlaybookVersion) -> dict[str, Any]:
    user = acting(request)
    active = active_playbook()
    signatures = {s.side: s for s in version.signatures.all()}
    sign_side = signs_for(user.role) if user.is_active else None
    return {
        "version": version,
        "view": playbook_view(version.playbook),
        "signatures": signatures,
        "active": active,
        "is_active": version.pk == active.pk,
        "sign_side": sign_side,
        "can_sign": sign_side is not None and version.status == VersionStatus.DRAFT,
        "already_signed": sign_side is not None and sign_side.value in signatures,
        "can_activate": user.can(Capability.PLAYBOOK_ACTIVATE)
        and version.status in (VersionStatus.SIGNED, VersionStatus.RETIRED),
        "can_edit": user.can(Capability.PLAYBOOK_DRAFT) and version.status == VersionStatus.DRAFT,
        "can_draft": user.can(Capability.PLAYBOOK_DRAFT),
    }


@require_GET
def playbook_active(request: HttpRequest) -> HttpResponse:
    version = version_get(active_playbook().number)
    context = {**_version_context(request, version), "versions": version_list()}
    return render(request, "web/playbook/active.html", context)


@require_GET
def version_list_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/playbook/versions.html",
        {"versions": version_list(), "can_draft": acting(request).can(Capability.PLAYBOOK_DRAFT)},
    )


def _render_version(request: HttpRequest, version: PlaybookVersion, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = _version_context(request, version)
    if not context["is_active"]:
        context["diff"] = diff(context["active"].playbook, version.playbook)
    return render(request, "web/playbook/version.html", {**context, **extra}, status=status)


@require_GET
def version_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _render_version(request, _version(number))


@require_POST
def version_sign(request: HttpRequest, number: int) -> HttpResponse:
    version = _version(number)
    try:
        signature = playbook_sign(version=version, acting_user=acting(request))
    except AccordError as exc:
        return _render_version(request, _version(number), status=exc.status, error=exc)
    messages.success(request, f"You signed version {version.number} for {signature.side}.")
    return redirect("playbook_version", number=number)


@require_POST
def version_activate(request: HttpRequest, number: int) -> HttpResponse:
    version = _version(number)
    try:
        playbook_activate(version=version, acting_user=acting(request))
    except AccordError as exc:
        return _render_version(request, _version(number), status=exc.status, error=exc)
    messages.success(request, f"Version {version.number} is now the playbook in force.")
    return redirect("playbook")


def _draft_errors(exc: AccordError) -> list[tuple[str, str]]:
    if isinstance(exc, InvalidInput) and exc.errors:
        return exc.errors
    return [("", exc.message)]


@require_http_methods(["GET", "POST"])
@capability_required(Capability.PLAYBOOK_DRAFT)
def draft_new(request: HttpRequest) -> HttpResponse:
    active = active_playbook()
    form = DraftForm(request.POST or None, initial={"source": active.source})
    context: dict[str, Any] = {"form": form, "active": active, "editing": None}
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise InvalidInput(first_error(form))
            version = playbook_draft_create(
                source=form.cleaned_data["source"], note=form.cleaned_data["note"], acting_user=acting(request)
            )
        except AccordError as exc:
            context.update(errors=_draft_errors(exc), error=exc)
            return render(request, "web/playbook/edit.html", context, status=exc.status)
        messages.success(
            request, f"Draft version {version.number} saved. It needs both signatures before it can be activated."
        )
        return redirect("playbook_version", number=version.number)
    return render(request, "web/playbook/edit.html", context)


@require_http_methods(["GET", "POST"])
@capability_required(Capability.PLAYBOOK_DRAFT)
def draft_edit(request: HttpRequest, number: int) -> HttpResponse:
    version = _version(number)
    form = DraftForm(request.POST or None, initial={"source": version.source, "note": version.note})
    context: dict[str, Any] = {"form": form, "active": active_playbook(), "editing": version}
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise InvalidInput(first_error(form))
            playbook_draft_update(
                version=version, source=form.cleaned_data["source"], note=form.cleaned_data["note"],
                acting_user=acting(request),
            )
        except AccordError as exc:
            context.update(errors=_draft_errors(exc), error=exc)
            return render(request, "web/playbook/edit.html", context, status=exc.status)
        messages.success(request, f"Draft version {version.number} saved.")
        return redirect("playbook_version", number=number)
    return render(request, "web/playbook/edit.html", context)
