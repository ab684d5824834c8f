"""The transactional outbox and what it delivers.

A `Message` is written in the same transaction as the change it tells of, keyed so that the same
event is never written twice. Its `Delivery` rows, one per recipient and channel, are what workers
send: each is claimed with a row lock (SKIP LOCKED), tried, and then sent, retried later with
exponential backoff, or dead after the last try. A `Notification` is the in-app copy a person
reads in Accord, written with the message.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core import clock


class Message(models.Model):
    key = models.CharField(max_length=200, unique=True)  # the event's idempotency key
    event = models.CharField(max_length=40)  # notify.domain.Event
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)  # a path in Accord
    payload = models.JSONField(default=dict)  # what a webhook receives as `data`
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["event", "created_at"], name="message_event")]

    def __str__(self) -> str:
        return self.key


class Subscription(models.Model):
    """Where a webhook or a Slack-compatible channel receives events."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook"
        SLACK = "slack"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list, blank=True)  # event names; empty: every event
    secret = models.CharField(max_length=100, blank=True)  # signs webhook bodies
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events)


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email"
        WEBHOOK = "webhook"
        SLACK = "slack"

    class State(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"  # claimed by a worker until `locked_until`
        RETRYING = "retrying"  # failed; tried again at `next_attempt_at`
        SENT = "sent"
        DEAD = "dead"  # failed on its last try

    # References without database constraints (docs/adr/0022): written in bulk with the message,
    # for people and subscriptions just read; the ORM still cascades.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False
    )
    address = models.CharField(max_length=2000)  # the email address or URL, as it was when written
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)  # the receiver's HTTP status
    last_error = models.CharField(max_length=500, blank=True)
    last_ms = models.PositiveIntegerField(null=True, blank=True)  # how long the last attempt took
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "channel", "user"],
                name="delivery_once_per_person",
                condition=models.Q(user__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["message", "subscription"],
                name="delivery_once_per_subscription",
                condition=models.Q(subscription__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="delivery_due", condition=models.Q(state__in=["pending", "retrying"])
            ),
            models.Index(fields=["locked_until"], name="delivery_claimed", condition=models.Q(state="sending")),
            models.Index(fields=["subscription", "created_at"], name="delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.message_id} → {self.address}: {self.state}"

    @property
    def key(self) -> str:
        """The idempotency key a receiver sees: the same on every retry of this delivery."""
        return f"{self.message.key}/{self.channel}/{self.subscription_id or self.user_id}"


class Attempt(models.Model):
    """One try of one delivery, for the delivery log."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=clock.now)
    status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery_id", "at", "id"]
        indexes = [models.Index(fields=["delivery", "at"], name="attempt_delivery")]

    def __str__(self) -> str:
        return f"try of {self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status or self.error[:40]}"


class Notification(models.Model):
    """The in-app copy of a message for one person."""

    # References without database constraints, as a delivery's (docs/adr/0022).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_constraint=False
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Waits for the person's daily digest (they chose a digest for its event), until `digest` sends it.
    awaits_digest = models.BooleanField(default=False)
    digest = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="notification_once")]
        indexes = [
            models.Index(fields=["user", "created_at"], name="notification_user"),
            models.Index(fields=["user"], name="notification_unread", condition=models.Q(read_at__isnull=True)),
            models.Index(fields=["user"], name="notification_digest", condition=models.Q(awaits_digest=True)),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} for {self.user_id}"


class Preference(models.Model):
    """How one person hears of one event by email (`notify.domain.EmailMode`); without a row, at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=40)  # notify.domain.Event
    email = models.CharField(max_length=10, default="instant")  # notify.domain.EmailMode
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["user_id", "event"]
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}: {self.email}"
