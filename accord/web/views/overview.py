"""The overview: where contacts are in the funnel, how they moved lately, and whose interest is rising."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accord.contacts.models import Contact
from accord.core import clock
from accord.lifecycle.queries import weekly_changes
from accord.playbook.queries import active_playbook
from accord.web import queries
from accord.web.presenters import heating_rows, history_rows, quadrant_counts


def home(request: HttpRequest) -> HttpResponse:
    version = active_playbook()
    counts = queries.stage_counts(version.playbook, Contact.objects.all())
    weeks = weekly_changes(now=clock.now())
    return render(
        request,
        "web/overview.html",
        {
            "version": version,
            "counts": counts,
            "total": sum(c.count for c in counts),
            "funnel_chart": queries.funnel_chart(counts),
            "weeks": weeks,
            "weeks_total": sum(w.total for w in weeks),
            "weekly_chart": queries.weekly_chart(weeks),
            "recent": history_rows(queries.recent_changes(10)),
            "heating": heating_rows(10, version=version),
            "quadrants": quadrant_counts(Contact.objects.all(), version=version),
        },
    )
