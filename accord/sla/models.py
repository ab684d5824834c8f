"""SLA state: each team's calendar in versions, each hand-off's milestones, and their history.

A calendar version is never changed: editing a team's calendar writes the next version, and each
milestone keeps the version it ran under. A milestone's clock is the business time of that version
from `started_at`, less its pauses; `due_at` is when its target runs out, `remind_at` when its
owner is reminded. The partial indexes on the running ones are what the sweep reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models

from accord.core import clock
from accord.sla import domain


class CalendarVersion(models.Model):
    """One version of a team's business calendar (`domain.parse_calendar`'s document)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="calendar_versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()  # {"time_zone", "hours", "holidays", "closures"}
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["team_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["team", "number"], name="calendar_version_unique")]

    def __str__(self) -> str:
        return f"{self.team_id} v{self.number}"

    @property
    def calendar(self) -> domain.Calendar:
        cached: domain.Calendar | None = getattr(self, "_calendar", None)
        if cached is None:
            cached = domain.parse_calendar(self.document)
            self._calendar = cached
        return cached


class Milestone(models.Model):
    """One commitment on one hand-off: a first touch, K touches, or a disposition, by a deadline."""

    class Kind(models.TextChoices):
        FIRST_TOUCH = "first_touch", "first touch"
        TOUCHES = "touches", "touches"
        DISPOSITION = "disposition", "disposition"

    class State(models.TextChoices):
        RUNNING = "running"
        PAUSED = "paused"
        MET = "met"
        BREACHED = "breached"
        CANCELLED = "cancelled"  # the hand-off closed, or was restarted, before it was done

    handoff = models.ForeignKey("lifecycle.Handoff", on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    calendar = models.ForeignKey(CalendarVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    priority = models.CharField(max_length=10, blank=True)
    started_at = models.DateTimeField()
    target_minutes = models.PositiveIntegerField()  # business minutes
    required = models.PositiveIntegerField(default=1)  # touches it needs
    done = models.PositiveIntegerField(default=0)  # touches it has
    segment_started_at = models.DateTimeField(null=True, blank=True)  # when it last started or resumed
    used_minutes = models.PositiveIntegerField(default=0)  # business minutes used before that
    due_at = models.DateTimeField(null=True, blank=True)  # null: the calendar is never open that long
    remind_minutes = models.PositiveIntegerField(default=0)  # remind this much business time before due
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)  # its due moment, once it has passed undone
    escalated_at = models.DateTimeField(null=True, blank=True)
    elapsed_minutes = models.PositiveIntegerField(null=True, blank=True)  # business minutes, once it stopped

    class Meta:
        ordering = ["handoff_id", "id"]
        indexes = [
            models.Index(fields=["handoff"], name="milestone_handoff"),
            models.Index(fields=["due_at"], name="milestone_running_due", condition=models.Q(state="running")),
            models.Index(
                fields=["remind_at"],
                name="milestone_to_remind",
                condition=models.Q(state="running", reminded_at__isnull=True),
            ),
            models.Index(fields=["started_at"], name="milestone_started"),
            models.Index(
                fields=["completed_at"], name="milestone_completed", condition=models.Q(completed_at__isnull=False)
            ),
            models.Index(
                fields=["breached_at"], name="milestone_breached", condition=models.Q(breached_at__isnull=False)
            ),
            models.Index(
                fields=["due_at"],
                name="milestone_undone_due",
                condition=models.Q(state__in=["running", "breached"], completed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of hand-off {self.handoff_id}: {self.state}"

    @property
    def business_calendar(self) -> domain.Calendar:
        return self.calendar.calendar if self.calendar is not None else domain.Calendar.always()

    def used(self, at: dt.datetime) -> dt.timedelta:
        """Business time used by `at` (all of it once stopped)."""
        if self.elapsed_minutes is not None:
            return dt.timedelta(minutes=self.elapsed_minutes)
        base = dt.timedelta(minutes=self.used_minutes)
        if self.state == self.State.PAUSED or self.segment_started_at is None:
            return base
        return base + domain.elapsed(self.business_calendar, self.segment_started_at, at)

    def remaining(self, at: dt.datetime) -> dt.timedelta:
        """Business time left by `at` (negative once past due)."""
        target = dt.timedelta(minutes=self.target_minutes)
        if self.due_at is not None and at > self.due_at and self.state == self.State.RUNNING:
            return -domain.elapsed(self.business_calendar, self.due_at, at)
        return target - self.used(at)


def _loose(to: str) -> Any:
    """An optional reference of the history, nulled when its row goes: no constraint, no index."""
    return models.ForeignKey(
        to, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False, db_index=False
    )


class SlaEvent(models.Model):
    """What happened to a milestone, in order. Append-only: the scoreboard reads these."""

    class Kind(models.TextChoices):
        STARTED = "started"
        REMINDED = "reminded"
        MET = "met"
        BREACHED = "breached"
        ESCALATED = "escalated"
        PAUSED = "paused"
        RESUMED = "resumed"
        REASSIGNED = "reassigned"  # the clock goes on for its new owner
        RESTARTED = "restarted"  # a new owner, a new clock: the old one is cancelled
        COMPLETED = "completed"  # done after it was breached
        CANCELLED = "cancelled"

    # References without constraints in the database (docs/adr/0022): the history is appended in
    # bulk by the sweep and the clocks, for rows they hold locked; the ORM still cascades and nulls.
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    handoff = models.ForeignKey(
        "lifecycle.Handoff", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=clock.now)
    owner = _loose(settings.AUTH_USER_MODEL)
    team = _loose("accounts.Team")
    by_user = _loose(settings.AUTH_USER_MODEL)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["at"], name="sla_event_at"),
            models.Index(fields=["handoff", "at"], name="sla_event_handoff"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.milestone_id} at {self.at:%Y-%m-%d %H:%M}"
