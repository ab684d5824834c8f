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


class Handoff(models.Model):
    """A contact handed from marketing to sales: written, routed, in the transaction of the move
    into the MQL stage; worked by its owner (accept, reject, recycle); one open per contact."""

    class State(models.TextChoices):
        OPEN = "open"
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        RECYCLED = "recycled"
        CLOSED = "closed"  # ended without a rep's answer: merged into another contact's, or moved back

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="handoffs")
    stage_change = models.ForeignKey(StageChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs"
    )  # None: in the team's queue
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs")
    rule = models.CharField(max_length=100)  # the routing rule that matched ("default")
    method = models.CharField(max_length=20)  # playbook.domain.routing.Method that chose
    trace = models.JSONField(default=dict)  # lifecycle.routing.Decision.as_dict()
    priority = models.CharField(max_length=10)  # high, normal, low
    # The order hand-offs are worked in: high (0), normal (1), low (2); kept by the database, so
    # the queues' "highest priority, then oldest" reads an index.
    rank = models.GeneratedField(
        expression=models.Case(
            models.When(priority="high", then=models.Value(0)),
            models.When(priority="normal", then=models.Value(1)),
            default=models.Value(2),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    quadrant = models.CharField(max_length=20, blank=True)  # the contact's quadrant when handed over
    playbook_version = models.ForeignKey("playbook.PlaybookVersion", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=clock.now)  # when the contact became an MQL
    assigned_at = models.DateTimeField(null=True, blank=True)  # when its current owner got it
    first_touch_at = models.DateTimeField(null=True, blank=True)
    touches = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=40, blank=True)  # the reject or recycle reason
    note = models.TextField(blank=True)
    reengage_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact"], condition=models.Q(state="open"), name="handoff_one_open")
        ]
        indexes = [
            models.Index(fields=["owner", "state", "created_at"]),
            models.Index(fields=["team", "state", "created_at"]),
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["owner", "assigned_at"]),
            # the scoreboard's reads of a period: first touches and closes in it
            models.Index(
                fields=["first_touch_at"], name="handoff_first_touch", condition=models.Q(first_touch_at__isnull=False)
            ),
            models.Index(fields=["closed_at"], name="handoff_closed", condition=models.Q(closed_at__isnull=False)),
            models.Index(fields=["rank", "created_at", "id"], condition=models.Q(state="open"),
                         name="handoff_open_in_order"),
            models.Index(fields=["owner", "rank", "created_at", "id"], condition=models.Q(state="open"),
                         name="handoff_open_owner_in_order"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"hand-off {self.pk} of contact {self.contact_id} ({self.state})"


class HandoffChange(models.Model):
    """One step in a hand-off's life. Append-only."""

    class Kind(models.TextChoices):
        ROUTED = "routed"  # assigned by routing
        QUEUED = "queued"  # nobody available: in the team's queue
        REASSIGNED = "reassigned"  # a manager gave it to someone else, with a reason
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        RECYCLED = "recycled"
        TOUCHED = "touched"  # a call, an email, a meeting…
        CLOSED = "closed"  # ended without a rep's answer: the contact left the MQL stage otherwise

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=clock.now)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["handoff", "at"]), models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} of hand-off {self.handoff_id} at {self.at:%Y-%m-%d %H:%M}"


class Touch(models.Model):
    """A rep's attempt to reach a contact: a call, an email, a meeting, a LinkedIn message."""

    class Channel(models.TextChoices):
        CALL = "call"
        EMAIL = "email"
        MEETING = "meeting"
        LINKEDIN = "linkedin"

    class Outcome(models.TextChoices):
        CONNECTED = "connected"
        LEFT_MESSAGE = "left_message"
        NO_ANSWER = "no_answer"
        REPLIED = "replied"
        MEETING_BOOKED = "meeting_booked"
        BOUNCED = "bounced"

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="touches")
    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["contact", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.channel} to contact {self.contact_id} ({self.outcome})"


class RepLoad(models.Model):
    """What routing weighs about one rep, kept as hand-offs are assigned and closed (in their own
    transactions), so routing reads one row per rep instead of counting hand-offs: the open
    hand-offs they hold, and their assignments on `day` and in the routing period from `period`
    (dates in their team's time zone; a count whose date is past reads as 0)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                related_name="rep_load")  # fmt: skip
    open_handoffs = models.IntegerField(default=0)
    day = models.DateField(null=True, blank=True)
    day_count = models.IntegerField(default=0)
    period = models.DateField(null=True, blank=True)
    period_count = models.IntegerField(default=0)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"load of user {self.user_id}: {self.open_handoffs} open"
