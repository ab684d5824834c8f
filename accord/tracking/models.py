from __future__ import annotations

from django.db import models

from accord.core import clock


class Event(models.Model):
    """One Segment-format message as received: append-only, unique by its message id.

    `contact` is set when the sender is known at ingest, or later when an anonymous visitor is
    identified (their earlier events are then linked to the contact).
    """

    message_id = models.CharField(max_length=255)  # as sent
    message_key = models.UUIDField(unique=True)  # the message id as a UUID (uuid5 when it is not one)
    type = models.CharField(max_length=10)  # tracking.domain.EventType
    name = models.CharField(max_length=255, blank=True)  # the track event or the page name
    user_id = models.CharField(max_length=255, blank=True)
    anonymous_id = models.CharField(max_length=255, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    timestamp = models.DateTimeField()  # when it happened, corrected for the sender's clock skew
    original_timestamp = models.DateTimeField(null=True, blank=True)  # `timestamp` as sent
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    url = models.TextField(blank=True)
    path = models.TextField(blank=True)
    referrer = models.TextField(blank=True)
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True)
    utm_term = models.CharField(max_length=255, blank=True)
    utm_content = models.CharField(max_length=255, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offer = models.CharField(max_length=255, blank=True)  # the asset behind a form submission
    properties = models.JSONField(default=dict, blank=True)  # track/page properties, identify traits
    context = models.JSONField(default=dict, blank=True)
    sent_with = models.CharField(max_length=16, blank=True)  # the API key's prefix

    class Meta:
        # Time-range indexes depend on the database: BRIN on PostgreSQL, a B-tree on SQLite
        # (migration 0002; docs/adr/0007).
        indexes = [
            models.Index(fields=["contact", "timestamp"], name="event_contact_time"),
            models.Index(fields=["anonymous_id"], condition=models.Q(contact__isnull=True), name="event_unlinked_anon"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.name} {self.timestamp:%Y-%m-%d %H:%M}"


class Identity(models.Model):
    """An id a sender uses for a contact: an anonymous id (a browser, a device) or a user id."""

    kind = models.CharField(max_length=16)  # tracking.domain.IdentityKind
    value = models.CharField(max_length=255)
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="identities")
    first_seen_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_unique")]
        indexes = [models.Index(fields=["contact"], name="identity_contact")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value} → {self.contact_id}"
