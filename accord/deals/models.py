from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core import clock


class Deal(models.Model):
    """A sales opportunity: what it is worth, when it should close, and how it ended."""

    class Stage(models.TextChoices):
        OPEN = "open"
        WON = "won"
        LOST = "lost"

    name = models.CharField(max_length=200)
    amount = models.BigIntegerField()  # in minor units of `currency` (cents), never negative
    currency = models.CharField(max_length=3)  # ISO 4217
    expected_close = models.DateField(null=True, blank=True)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.OPEN)
    loss_reason = models.CharField(max_length=40, blank=True)  # from the playbook's `loss` reasons
    loss_note = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="deals")
    account = models.ForeignKey(
        "contacts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    primary_contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="primary_deals"
    )
    contacts = models.ManyToManyField("contacts.Contact", through="DealContact", related_name="deals", blank=True)
    # Where the primary contact came from when the deal was created (closed-loop reporting).
    source = models.CharField(max_length=255, blank=True)
    campaign = models.CharField(max_length=255, blank=True)
    handoff = models.ForeignKey(
        "lifecycle.Handoff", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "expected_close"]),
            models.Index(fields=["owner", "stage"]),
            models.Index(fields=["closed_at"]),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_not_negative")]

    def __str__(self) -> str:
        return self.name


class DealChange(models.Model):
    """One step in a deal's life, written in the deal's transaction. Append-only."""

    class Kind(models.TextChoices):
        CREATED = "created"
        UPDATED = "updated"  # amount, close date, name or owner
        WON = "won"
        LOST = "lost"
        CONTACT_ADDED = "contact_added"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    at = models.DateTimeField(default=clock.now)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["deal", "at"]), models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} of deal {self.deal_id} at {self.at:%Y-%m-%d %H:%M}"


class DealContact(models.Model):
    """A contact on a deal (the primary contact too). A row of its own, so a merge re-points it
    as it re-points every reference to the dropped contact."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="links")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="deal_links")
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["added_at", "id"]
        indexes = [models.Index(fields=["contact"])]

    def __str__(self) -> str:
        return f"contact {self.contact_id} on deal {self.deal_id}"
