from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from accord.accounts.domain import DEFAULT_HOURS, Capability, Role, Scope, Side, WeeklyHours, acts_for, can, parse_hours
from accord.core import clock


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        """Sign-in looks the email up as stored: trimmed and lower-case."""
        return self.get(email=(username or "").strip().lower())


class User(AbstractBaseUser):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=[(r.value, r.value) for r in Role], default=Role.VIEWER)
    time_zone = models.CharField(max_length=64, default="UTC")
    # The user's ids in the CRMs imports come from (a HubSpot owner id, a Salesforce 005… id), so a
    # row that names its owner only by id finds them; learned from rows that give both.
    crm_ids = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    # Away (holiday, leave): routing skips the person from `away_from` to `away_until`, both
    # included; one of them empty means open-ended on that side.
    away_from = models.DateField(null=True, blank=True)
    away_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def can(self, capability: Capability) -> bool:
        return self.is_active and can(self.role, capability)

    def acts_for(self) -> frozenset[Side]:
        return acts_for(self.role) if self.is_active else frozenset()


def default_hours() -> dict[str, list[list[str]]]:
    return {day: [list(span) for span in spans] for day, spans in DEFAULT_HOURS.items()}


class Team(models.Model):
    """A group of users on one side of the funnel, with its own time zone and manager."""

    name = models.CharField(max_length=100, unique=True)
    side = models.CharField(max_length=20, choices=[(s.value, s.value) for s in Side])
    time_zone = models.CharField(max_length=64, default="UTC")
    manager = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams")
    # Working hours in the team's time zone ({"mon": [["09:00", "17:00"]], …}, accounts.domain.parse_hours):
    # what a routing rule with `working_hours: true` respects.
    hours = models.JSONField(default=default_hours, blank=True)
    members = models.ManyToManyField(User, through="Membership", related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def weekly_hours(self) -> WeeklyHours | None:
        """The working hours, parsed (None when what is stored no longer parses: always open)."""
        try:
            return parse_hours(self.hours)
        except ValueError:
            return None


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    joined_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class ApiKey(models.Model):
    """A scoped key for the API. Only a SHA-256 digest is stored; the key is shown once."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    # Browser keys: the origins whose pages may send with the key (empty: any), and how many
    # messages a minute the key and each client address may send (null: ACCORD_BROWSER_RATE_*).
    allowed_origins = models.JSONField(default=list, blank=True)
    rate_per_minute = models.PositiveIntegerField(null=True, blank=True)
    ip_rate_per_minute = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_keys")
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: Scope) -> bool:
        return scope.value in self.scopes

    @property
    def is_browser(self) -> bool:
        """A public key, published in web pages: it may add events, never rewrite what others recorded."""
        return Scope.BROWSER.value in self.scopes

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.created_by.is_active
