"""The playbook: the agreement in force, its versions, drafts, signatures and activation."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.accounts.domain import Capability, signs_for
from accord.core import clock
from accord.core.errors import AccordError, InvalidInput, NotFound
from accord.playbook.actions import playbook_activate, playbook_draft_create, playbook_draft_update, playbook_sign
from accord.playbook.domain.document import diff
from accord.playbook.models import PlaybookVersion, VersionStatus
from accord.playbook.queries import active_playbook, version_get, version_list
from accord.scoring import backtest
from accord.scoring.domain import day_date
from accord.web.forms import DraftForm, first_error
from accord.web.presenters.playbook import playbook_view
from accord.web.presenters.routing_backtest import present_routing_backtest
from accord.web.views.base import acting, capability_required, htmx, see_other


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
    return see_other("playbook_version", number=number)


@require_POST
def version_activate(request: HttpRequest, number: int) -> HttpResponse:
    version = _version(number)
    try:
        playbook_activate(version=version, acting_user=acting(request))
    except AccordError as exc:
        return _render_version(request, _version(number), status=exc.status, error=exc)
    messages.success(request, f"Version {version.number} is now the playbook in force.")
    return see_other("playbook")


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
        return see_other("playbook_version", number=version.number)
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
                version=version,
                source=form.cleaned_data["source"],
                note=form.cleaned_data["note"],
                acting_user=acting(request),
            )
        except AccordError as exc:
            context.update(errors=_draft_errors(exc), error=exc)
            return render(request, "web/playbook/edit.html", context, status=exc.status)
        messages.success(request, f"Draft version {version.number} saved.")
        return see_other("playbook_version", number=number)
    return render(request, "web/playbook/edit.html", context)


# --------------------------------------------------------------------------- backtest


def _backtest_context(request: HttpRequest, version: PlaybookVersion) -> dict[str, Any]:
    start, end = backtest.default_window(clock.now().astimezone(dt.UTC).date())
    values = {"from": request.GET.get("from") or start.isoformat(), "to": request.GET.get("to") or end.isoformat()}
    return {
        "version": version,
        "active": active_playbook(),
        "values": values,
        "query": urlencode(values),
        "backtestable": version.status in backtest.BACKTESTABLE,
    }


@require_GET
def version_backtest(request: HttpRequest, number: int) -> HttpResponse:
    """The backtest page: the window, then the result, loaded by htmx behind a progress line."""
    version = _version(number)
    context = _backtest_context(request, version)
    try:
        backtest.check_backtestable(version)
        backtest.parse_window(
            request.GET.get("from"), request.GET.get("to"), today=clock.now().astimezone(dt.UTC).date()
        )
    except AccordError as exc:
        return render(request, "web/playbook/backtest.html", {**context, "error": exc}, status=exc.status)
    return render(request, "web/playbook/backtest.html", context)


@require_GET
def version_backtest_result(request: HttpRequest, number: int) -> HttpResponse:
    """The backtest itself: the result part for htmx, else the whole page with the result in it."""
    version = _version(number)
    context = _backtest_context(request, version)
    swapped = htmx(request) is not None
    template = "web/playbook/backtest.html#result" if swapped else "web/playbook/backtest.html"
    context["swapped"] = swapped
    try:
        result = backtest.backtest_version(version=version, start=request.GET.get("from"), end=request.GET.get("to"))
    except AccordError as exc:
        return render(request, template, {**context, "error": exc, "failed": True}, status=exc.status)
    return render(request, template, {**context, **backtest_view(result)})


def backtest_view(result: backtest.Backtest) -> dict[str, Any]:
    """What the backtest page shows: figures side by side, groups with their outcomes, samples, the chart."""
    c = result.comparison
    m = result.milestones
    outcomes = [
        (key, result.stage_name(stage))
        for key, stage in (("accepted", m.accepted), ("opportunity", m.opportunity), ("customer", m.customer))
        if stage
    ]
    return {
        "result": result,
        "comparison": c,
        "start": c.window.dates[0],
        "end": c.window.dates[1],
        "outcomes": outcomes,
        "versions": [
            {
                "name": f"Draft ({result.draft})",
                "precision": _percent(c.draft.precision),
                "recall": _percent(c.draft.recall),
                "key": "draft",
                "figures": c.draft,
                "rule": result.draft_rule,
            },
            {
                "name": f"Active (v{result.active})",
                "precision": _percent(c.active.precision),
                "recall": _percent(c.active.recall),
                "key": "active",
                "figures": c.active,
                "rule": result.active_rule,
            },
        ],
        "groups": [
            {
                "key": g.key,
                "label": g.label,
                "tally": g.outcomes,
                "cells": [getattr(g.outcomes, key) for key, _ in outcomes],
                "samples": [
                    {
                        "sample": s,
                        "person": result.people.get(s.contact_id),
                        "draft": day_date(s.draft_day) if s.draft_day is not None else None,
                        "active": day_date(s.active_day) if s.active_day is not None else None,
                        "reached": [name for key, name in outcomes if getattr(s, key)],
                    }
                    for s in g.samples
                ],
            }
            for g in c.groups
        ],
        "weeks": list(zip(c.weekly.weeks, c.weekly.draft, c.weekly.active, c.weekly.recorded, strict=True)),
        "chart": _weekly_chart(result),
    }


def _weekly_chart(result: backtest.Backtest) -> dict[str, Any]:
    """A Plotly figure: MQLs per week as bars for each version, the recorded MQLs as a dotted line."""
    weekly = result.comparison.weekly
    weeks = [w.isoformat() for w in weekly.weeks]
    highest = max([*weekly.draft, *weekly.active, *weekly.recorded, 1])
    return {
        "data": [
            _series("bar", f"Draft {result.draft}", weeks, weekly.draft, "#3454d1"),
            _series("bar", f"Active v{result.active}", weeks, weekly.active, "#d9822b"),
            _series("scatter", "Recorded MQLs", weeks, weekly.recorded, "#5b6476"),
        ],
        "layout": {
            "barmode": "group",
            "bargap": 0.25,
            "margin": {"l": 44, "r": 12, "t": 8, "b": 40},
            "height": 300,
            "legend": {"orientation": "h", "y": -0.2},
            "xaxis": {"type": "date", "tickformat": "%d %b", "gridcolor": "#e4e7ec"},
            "yaxis": {
                "rangemode": "tozero",
                "gridcolor": "#e4e7ec",
                "title": {"text": "MQLs"},
                "tick0": 0,
                "dtick": max(1, math.ceil(highest / 6)),  # whole contacts only
            },
            "hovermode": "x unified",
        },
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _series(kind: str, name: str, weeks: list[str], values: tuple[int, ...], color: str) -> dict[str, Any]:
    series: dict[str, Any] = {
        "type": kind,
        "name": name,
        "x": weeks,
        "y": list(values),
        "hovertemplate": f"{name}: %{{y}}<extra></extra>",
    }
    if kind == "bar":
        series["marker"] = {"color": color}
    else:
        series.update(mode="lines+markers", line={"color": color, "dash": "dot", "width": 2})
    return series


# --------------------------------------------------------------------------- routing backtest


@require_GET
def version_routing_backtest(request: HttpRequest, number: int) -> HttpResponse:
    """The period's MQLs routed again under this version's routing and the active one's."""
    from accord.scoring import routing_backtest

    version = _version(number)
    context = _backtest_context(request, version)
    try:
        backtest.check_backtestable(version)
        window = backtest.parse_window(request.GET.get("from"), request.GET.get("to"),
                                       today=clock.now().astimezone(dt.UTC).date())  # fmt: skip
    except AccordError as exc:
        return render(request, "web/playbook/routing_backtest.html", {**context, "error": exc}, status=exc.status)
    first = routing_backtest.EPOCH_DAY + dt.timedelta(days=window.start)
    last = routing_backtest.EPOCH_DAY + dt.timedelta(days=window.end)
    comparison, named = routing_backtest.routing_backtest(version.playbook, start=first, end=last)
    shown = {**context, **present_routing_backtest(comparison, named["reps"]), "start": first, "end": last}
    return render(request, "web/playbook/routing_backtest.html", shown)
