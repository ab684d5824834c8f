from __future__ import annotations

import enum

from django.db import models

from accord.core import clock


class Cause(enum.StrEnum):
    EVENT = "event"  # events the interest rules matched
    PROFILE = "profile"  # the contact's or its account's fields changed
    RESCORE = "rescore"  # a full recompute from history (a new playbook version, `accord score rescore`)
    DECAY = "decay"  # the daily refresh as points fade or expire


class ScoreChange(models.Model):
    """One change of one contact's scores. Append-only: the score history reports and trends read."""

    # No foreign-key constraints in the database and no index of their own (docs/adr/0018): the rows
    # are appended in bulk for contacts the engine holds locked, the ORM still cascades and protects,
    # and `(contact, at)` below finds a contact's rows.
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="score_changes", db_constraint=False, db_index=False
    )
    at = models.DateTimeField(default=clock.now)
    cause = models.CharField(max_length=10)  # Cause
    playbook_version = models.ForeignKey(
        "playbook.PlaybookVersion", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    fit_score = models.IntegerField()
    fit_grade = models.CharField(max_length=1)
    interest_score = models.FloatField()
    quadrant = models.CharField(max_length=10)
    previous_fit_score = models.IntegerField(null=True, blank=True)
    previous_grade = models.CharField(max_length=1, blank=True)
    previous_interest = models.FloatField(null=True, blank=True)
    # The interest state after the change, so that its interest on any later day reads exactly as the
    # live score does (`Model.value`); empty on rows written before it was kept.
    interest_mass = models.BigIntegerField(null=True, blank=True)
    interest_anchor = models.IntegerField(null=True, blank=True)  # a day number
    # What caused it: for events, the interest rules that matched and how often.
    details = models.JSONField(default=dict, blank=True)
    # When a merge moved this row from another contact, that contact's id.
    merged_from = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["contact", "at"], name="scorechange_contact_at")]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.fit_grade} {self.interest_score:g} at {self.at:%Y-%m-%d %H:%M}"
