"""Hand-offs: a rep's queue with one-click actions on each row (accept, reject, recycle, log a
touch, create a deal), and the manager's view of their teams (the team queue, reassigning, each
rep's load and away dates). Rows answer htmx with themselves re-rendered; without scripts the
forms post and come back to the page (POST/redirect/GET)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from accord.accounts.away import user_set_away
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.core import clock
from accord.core.errors import AccordError, InvalidInput
from accord.deals.actions import deal_create
from accord.lifecycle import handoff_queries
from accord.lifecycle.handoff_actions import (
    handoff_accept,
    handoff_log_touch,
    handoff_reassign,
    handoff_recycle,
    handoff_reject,
    may_work,
)
from accord.lifecycle.models import Handoff
from accord.playbook.queries import active_playbook
from accord.sla import queries as sla_queries
from accord.web.forms import (
    AwayForm,
    DealCreateForm,
    HandoffRecycleForm,
    HandoffRejectForm,
    ReassignForm,
    TouchForm,
    form_refusal,
)
from accord.web.presenters import queue as present
from accord.web.presenters import scoreboard as scoreboard_present
from accord.web.presenters.deals import CURRENCY_CHOICES
from accord.web.views.base import acting, htmx, refused, see_other

QUEUE = "web/queue/queue.html"
TEAM = "web/queue/team.html"
NO_TEAM = "Only sales managers, RevOps admins and the manager of a team can see a team's hand-offs."


def _message(exc: AccordError) -> str:
    """The refusal without the field's name in front (it is shown next to the field)."""
    return exc.message.removeprefix(f"{exc.field}: ") if exc.field else exc.message


def _choices() -> dict[str, Any]:
    playbook = active_playbook().playbook
    return {
        "reject_reasons": present.reason_choices(playbook, "reject"),
        "recycle_reasons": present.reason_choices(playbook, "recycle"),
        "channels": present.CHANNEL_CHOICES,
        "outcomes": present.OUTCOME_CHOICES,
        "currencies": CURRENCY_CHOICES,
        "default_currency": "USD",
    }


# Each action form's fields: a refusal naming one of them is shown next to it, any other above the form.
FIELDS = {
    "reject": ("reason", "note"),
    "recycle": ("reason", "reengage_on", "note"),
    "touch": ("channel", "outcome", "note"),
    "deal": ("name", "amount", "currency", "expected_close"),
    "reassign": ("owner", "reason"),
}


def _failure(action: str, exc: AccordError, values: Any) -> dict[str, Any]:
    fields = FIELDS.get(action, ())
    on_field = exc.field in fields
    return {
        "action": action,
        action: {"errors": {exc.field: _message(exc)} if on_field and exc.field else {}, "values": values},
        "errors": {exc.field: _message(exc)} if on_field and exc.field else {},
        "row_error": "" if on_field else _message(exc),
        "status": exc.status,
    }


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The signed-in rep's open hand-offs, highest priority then oldest first, and their teams' unassigned ones."""
    return _queue_page(request)


def _queue_page(request: HttpRequest, *, page_error: str = "", status: int = 200) -> HttpResponse:
    user = acting(request)
    now = clock.now()
    found = handoff_queries.rep_queue(user)
    context = {
        "mine": present.queue_rows(found.mine, now=now),
        "unassigned": present.queue_rows(found.unassigned, now=now),
        "mine_total": found.mine_total,
        "unassigned_total": found.unassigned_total,
        "can_work": user.can(Capability.HANDOFF_WORK),
        "can_deal": user.can(Capability.DEAL_WRITE),
        "oversees": user.can(Capability.HANDOFF_MANAGE) or user.managed_teams.exists(),
        "page_error": page_error,
        **_choices(),
    }
    return render(request, QUEUE, context, status=status)


def _row(
    request: HttpRequest,
    handoff: Handoff,
    *,
    failure: dict[str, Any] | None = None,
    done: str = "",
    leaves: bool = False,
    deal: Any = None,
) -> HttpResponse:
    """The hand-off's row of the rep's queue, as it is now, with the action's refusal or outcome;
    when the action took it out of the queue (`leaves`), only what was done."""
    user = acting(request)
    fresh = handoff_queries.handoff_for_work(handoff.pk) or handoff
    context = {
        "row": present.queue_row(fresh, now=clock.now(), timed=True),
        "can_work": user.can(Capability.HANDOFF_WORK),
        "can_deal": user.can(Capability.DEAL_WRITE),
        "done": done,
        "leaves": leaves,
        "deal": deal,
        "failure": failure or {},
        **_choices(),
    }
    return render(request, f"{QUEUE}#row", context, status=(failure or {}).get("status", 200))


def _handoff(pk: int) -> Handoff:
    found = handoff_queries.handoff_for_work(pk)
    if found is None:
        raise Http404("no such hand-off")
    return found


def _act(
    request: HttpRequest, pk: int, action: str, work: Callable[[Handoff, User], tuple[str, bool, Any]]
) -> HttpResponse:
    """Run one row action; `work` answers (what was done, whether the row leaves the queue, the deal made)."""
    handoff = _handoff(pk)
    user = acting(request)
    try:
        done, leaves, deal = work(handoff, user)
    except AccordError as exc:
        failure = _failure(action, exc, request.POST)
        if htmx(request):
            return _row(request, handoff, failure=failure)
        text = _message(exc) if not failure["errors"] else f"{exc.field}: {_message(exc)}"
        return _queue_page(request, page_error=text, status=exc.status)
    if htmx(request):
        return _row(request, handoff, done=done, leaves=leaves, deal=deal)
    messages.success(request, done)
    return see_other("queue")


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise form_refusal(form)
    data: dict[str, Any] = form.cleaned_data
    return data


@require_POST
def handoff_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    def work(handoff: Handoff, user: User) -> tuple[str, bool, Any]:
        handoff_accept(handoff=handoff, acting_user=user)
        return f"Accepted {present.queue_row(handoff, now=clock.now()).contact_name}.", False, None

    return _act(request, pk, "accept", work)


@require_POST
def handoff_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    def work(handoff: Handoff, user: User) -> tuple[str, bool, Any]:
        data = _valid(HandoffRejectForm(request.POST))
        done = handoff_reject(handoff=handoff, acting_user=user, reason=data["reason"], note=data["note"])
        label = active_playbook().playbook.reason("reject", done.reason)
        name = present.queue_row(handoff, now=clock.now()).contact_name
        return f"Rejected {name}: {label.label if label else done.reason}.", True, None

    return _act(request, pk, "reject", work)


@require_POST
def handoff_recycle_view(request: HttpRequest, pk: int) -> HttpResponse:
    def work(handoff: Handoff, user: User) -> tuple[str, bool, Any]:
        data = _valid(HandoffRecycleForm(request.POST))
        done = handoff_recycle(
            handoff=handoff, acting_user=user, reason=data["reason"], note=data["note"], reengage_on=data["reengage_on"]
        )
        name = present.queue_row(handoff, now=clock.now()).contact_name
        when = done.reengage_on
        return f"Recycled {name}: marketing may look again on {when.day} {when:%b %Y}." if when else "", True, None

    return _act(request, pk, "recycle", work)


@require_POST
def handoff_touch_view(request: HttpRequest, pk: int) -> HttpResponse:
    def work(handoff: Handoff, user: User) -> tuple[str, bool, Any]:
        data = _valid(TouchForm(request.POST))
        touch = handoff_log_touch(
            handoff=handoff, acting_user=user, channel=data["channel"], outcome=data["outcome"], note=data["note"]
        )
        channel = dict(present.CHANNEL_CHOICES).get(touch.channel, touch.channel)
        outcome = dict(present.OUTCOME_CHOICES).get(touch.outcome, touch.outcome)
        return f"Logged a touch: {channel.lower()}, {outcome.lower()}.", False, None

    return _act(request, pk, "touch", work)


@require_POST
def handoff_deal_view(request: HttpRequest, pk: int) -> HttpResponse:
    def work(handoff: Handoff, user: User) -> tuple[str, bool, Any]:
        form = DealCreateForm(request.POST)
        _valid(form)
        deal = deal_create(contact=handoff.contact, acting_user=user, **form.to_data())
        return f"Created the deal {deal.name}.", True, deal

    return _act(request, pk, "deal", work)


# --------------------------------------------------------------------------- the manager's view


def _team_page(
    request: HttpRequest, *, away_failure: dict[str, Any] | None = None, page_error: str = "", status: int = 200
) -> HttpResponse:
    user = acting(request)
    now = clock.now()
    view = handoff_queries.team_view(user, plan=active_playbook().playbook.routing, now=now)
    if not view.all_teams and not view.teams:
        return refused(request, NO_TEAM)
    teams = None if view.all_teams else [t.pk for t in view.teams]
    at_risk = sla_queries.at_risk(teams, now=now, within=dt.timedelta(hours=1), limit=20)
    risky = handoff_queries.handoffs_for_work(at_risk)
    responses = sla_queries.first_touch_minutes(teams, since=now - dt.timedelta(days=30))
    context = {
        "view": view,
        "at_risk": present.queue_rows(risky, now=now),
        "response_chart": scoreboard_present.response_boxes(responses),
        "has_responses": bool(responses),
        "rows": present.queue_rows(view.handoffs, now=now),
        "reassignable": {h.pk for h in view.handoffs if may_work(h, user, manage=True)},
        "loads": present.load_rows(view.loads),
        "candidates": present.candidate_choices(view.candidates),
        "can_set_away": user.can(Capability.HANDOFF_MANAGE),
        "away_failure": away_failure or {},
        "page_error": page_error,
        "failure": {},
    }
    return render(request, TEAM, context, status=status)


@require_GET
def team_queue(request: HttpRequest) -> HttpResponse:
    """The manager's view: their teams' queue (unassigned first), every open hand-off, each rep's load."""
    return _team_page(request)


@require_POST
def handoff_reassign_view(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = _handoff(pk)
    user = acting(request)
    form = ReassignForm(request.POST)
    try:
        data = _valid(form)
        to_user = User.objects.filter(pk=data["owner"]).first() if data["owner"] else None
        if data["owner"] and to_user is None:
            raise InvalidInput(f"owner: no user {data['owner']}", field="owner")
        done = handoff_reassign(handoff=handoff, acting_user=user, to_user=to_user, reason=data["reason"])
    except AccordError as exc:
        failure = _failure("reassign", exc, request.POST)
        if htmx(request):
            return _team_row(request, handoff, failure=failure)
        if exc.status == 403:
            return refused(request, _message(exc))
        return _team_page(request, page_error=_message(exc), status=exc.status)
    text = f"Reassigned to {done.owner.display_name if done.owner else 'nobody'}."
    if htmx(request):
        return _team_row(request, handoff, done=text)
    messages.success(request, text)
    return see_other("team_queue")


def _team_row(
    request: HttpRequest, handoff: Handoff, *, failure: dict[str, Any] | None = None, done: str = ""
) -> HttpResponse:
    user = acting(request)
    fresh = handoff_queries.handoff_for_work(handoff.pk) or handoff
    context = {
        "row": present.queue_row(fresh, now=clock.now(), timed=True),
        "reassignable": {fresh.pk} if may_work(fresh, user, manage=True) else set(),
        "candidates": present.candidate_choices(handoff_queries.reassign_candidates()),
        "failure": failure or {},
        "done": done,
    }
    return render(request, f"{TEAM}#team_row", context, status=(failure or {}).get("status", 200))


@require_POST
def rep_away_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Set when a rep is away (both dates empty: not away)."""
    rep = get_object_or_404(User, pk=pk)
    form = AwayForm(request.POST)
    try:
        data = _valid(form)
        user_set_away(user=rep, away_from=data["away_from"], away_until=data["away_until"], acting_user=acting(request))
    except AccordError as exc:
        failure = {
            "user": rep.pk,
            "errors": {exc.field: _message(exc)} if exc.field in ("away_from", "away_until") else {},
            "message": _message(exc),
            "values": request.POST,
        }
        return _team_page(request, away_failure=failure, status=exc.status)
    rep.refresh_from_db()
    text = present.away_text(rep.away_from, rep.away_until)
    messages.success(request, f"{rep.display_name}: {text.lower() if text else 'not away'}.")
    return see_other("team_queue")
