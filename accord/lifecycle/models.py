from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core import clock


class StageChange(models.Model):
    """One move of one contact between stages. Append-only: never updated, never deleted."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=40, blank=True)
    to_stage = models.CharField(max_length=40)
    kind = models.CharField(max_length=10)  # lifecycle.domain.MoveKind
    at = models.DateTimeField(default=clock.now)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_rule = models.CharField(max_length=100, blank=True)
    playbook_version = models.ForeignKey("playbook.PlaybookVersion", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    reengage_on = models.DateField(null=True, blank=True)
    # Why the move was allowed: the entry criteria as evaluated, later the score breakdown.
    details = models.JSONField(default=dict, blank=True)
    # When a merge moved this row from another contact, that contact's id.
    merged_from = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["contact", "at"]),
            models.Index(fields=["to_stage", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.from_stage or '—'} → {self.to_stage} at {self.at:%Y-%m-%d %H:%M}"
