from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core import clock


class Erasure(models.Model):
    """That a person's data was erased on request: who did it, when, why, and how much was erased.
    It holds no personal data; the contact row stays as a tombstone (`Contact.erased_at`)."""

    contact = models.OneToOneField("contacts.Contact", on_delete=models.PROTECT, related_name="erasure")
    erased_at = models.DateTimeField(default=clock.now)
    erased_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=500)
    counts = models.JSONField(default=dict)  # rows scrubbed or removed, by table

    class Meta:
        ordering = ["-erased_at", "-id"]

    def __str__(self) -> str:
        return f"contact {self.contact_id} erased {self.erased_at:%Y-%m-%d}"
