"""The overview: where contacts are in the funnel, how they moved lately, and whose interest is rising."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accord.accounts.domain import Role
from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.core import clock
from accord.lifecycle.queries import contacts_by_stage, recent_changes, weekly_changes
from accord.playbook.queries import active_playbook
from accord.scoring import queries as scoring_queries
from accord.scoring.queries import heating_up, model_of
from accord.web.presenters.common import stage_count_rows, stage_labels
from accord.web.presenters.history import history_rows
from accord.web.presenters.overview import funnel_chart, weekly_chart
from accord.web.presenters.scores import heating_rows, quadrant_counts
from accord.web.views.base import acting


def home(request: HttpRequest) -> HttpResponse:
    """Where a person lands after signing in: a sales rep on their queue, everyone else on the overview."""
    if request.method in ("GET", "HEAD") and home_of(acting(request)) == "queue":
        return redirect("queue")
    return overview(request)


def home_of(user: User) -> str:
    """The page a role starts on: the queue for sales reps (their work), the overview for the others."""
    return "queue" if user.role == Role.SALES_REP else "overview"


def overview(request: HttpRequest) -> HttpResponse:
    version = active_playbook()
    labels = stage_labels(version.playbook)
    counts = stage_count_rows(contacts_by_stage(version.playbook, Contact.objects.all()), labels)
    weeks = weekly_changes(now=clock.now())
    return render(
        request,
        "web/overview.html",
        {
            "version": version,
            "counts": counts,
            "total": sum(c.count for c in counts),
            "funnel_chart": funnel_chart(counts),
            "weeks": weeks,
            "weeks_total": sum(w.total for w in weeks),
            "weekly_chart": weekly_chart(weeks),
            "recent": history_rows(recent_changes(10)),
            "heating": heating_rows(heating_up(limit=10, version=version)),
            "quadrants": quadrant_counts(scoring_queries.quadrant_tally(Contact.objects.all()), model_of(version)),
        },
    )
