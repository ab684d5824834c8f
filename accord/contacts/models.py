from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accord.contacts.domain import SENIORITIES as SENIORITIES  # the choices forms and checks offer
from accord.core import clock


class Account(models.Model):
    """A company. Contacts belong to at most one account."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, db_index=True)
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)  # ISO 3166-1 alpha-2
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    properties = models.JSONField(default=dict, blank=True)
    hubspot_company_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    salesforce_account_id = models.CharField(max_length=18, null=True, blank=True, unique=True)  # 001…
    created_at = models.DateTimeField(default=clock.now)  # the source system's, when imported
    updated_at = models.DateTimeField(default=clock.now)
    imported_at = models.DateTimeField(null=True, blank=True)
    customer_since = models.DateTimeField(null=True, blank=True)  # when its first deal was won

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="account_name_lower")]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person. `stage` is the current stage key of the playbook; empty means just a contact."""

    email = models.CharField(max_length=254, null=True, blank=True, unique=True)  # normalised lower-case
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    seniority = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_contacts"
    )
    consent = models.BooleanField(null=True, blank=True)  # None: never asked
    consent_at = models.DateTimeField(null=True, blank=True)
    hubspot_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # One id per object of the source system: a converted Salesforce lead and its contact are one person.
    salesforce_lead_id = models.CharField(max_length=18, null=True, blank=True, unique=True)  # 00Q…
    salesforce_contact_id = models.CharField(max_length=18, null=True, blank=True, unique=True)  # 003…
    properties = models.JSONField(default=dict, blank=True)

    stage = models.CharField(max_length=40, blank=True, db_index=True)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    reengage_on = models.DateField(null=True, blank=True)  # set while recycled
    # The playbook version under whose rules the contact entered its current stage.
    playbook_version = models.ForeignKey(
        "playbook.PlaybookVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Where the contact came from (first touch) and what brought them back most recently (last touch):
    # UTM source / medium / campaign, or the referring site, or "direct". Maintained by tracking.
    first_source = models.CharField(max_length=255, blank=True)
    first_medium = models.CharField(max_length=255, blank=True)
    first_campaign = models.CharField(max_length=255, blank=True)
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_source = models.CharField(max_length=255, blank=True)
    last_medium = models.CharField(max_length=255, blank=True)
    last_campaign = models.CharField(max_length=255, blank=True)
    last_touch_at = models.DateTimeField(null=True, blank=True)  # when the last non-direct touch happened
    last_seen_at = models.DateTimeField(null=True, blank=True)
    first_offer = models.CharField(max_length=255, blank=True)  # the first asset they filled a form for
    last_offer = models.CharField(max_length=255, blank=True)
    forms_submitted = models.PositiveIntegerField(default=0)
    # How many deals the contact is on, open and won: kept by the deals app in the deal's own
    # transaction, read by the opportunity and customer stages' entry criteria (ADR 0019).
    open_deals = models.PositiveIntegerField(default=0)
    won_deals = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(default=clock.now, db_index=True)  # the source system's, when imported
    updated_at = models.DateTimeField(default=clock.now)
    imported_at = models.DateTimeField(null=True, blank=True)  # when an import first brought the contact in
    # Set when the person's data was erased on request: the row stays as a tombstone, so the stage
    # history, scores and reports that count it still add up (accord.trust.actions.contact_erase).
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "stage"]),
            models.Index(Lower("last_name"), name="contact_last_name_lower"),
        ]

    def __str__(self) -> str:
        if self.erased_at is not None:
            return f"Erased contact {self.pk}"
        return self.full_name or self.email or f"Contact {self.pk}"

    @property
    def current_score(self) -> Score | None:
        """The contact's current scores, or None before it is scored. Load them with the contact
        (`select_related("score")`) where many contacts are read."""
        return getattr(self, "score", None)

    # The current scores read through the contact, as lists, pages and conditions show them (None, or
    # empty, before it is scored). They are read-only: the scoring engine writes `Score` rows.
    @property
    def fit_score(self) -> int | None:
        return score.fit_score if (score := self.current_score) else None

    @property
    def fit_grade(self) -> str:
        return score.fit_grade if (score := self.current_score) else ""

    @property
    def persona(self) -> str:
        return score.persona if (score := self.current_score) else ""

    @property
    def interest_score(self) -> float | None:
        return score.interest_score if (score := self.current_score) else None

    @property
    def quadrant(self) -> str:
        return score.quadrant if (score := self.current_score) else ""

    @property
    def scored_at(self) -> dt.datetime | None:
        return score.scored_at if (score := self.current_score) else None

    @property
    def score_version_id(self) -> int | None:
        return score.score_version_id if (score := self.current_score) else None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def email_domain(self) -> str:
        return self.email.rpartition("@")[2] if self.email else ""


class Score(models.Model):
    """A contact's current scores, one row per scored contact (an unscored contact has none).

    The scoring engine (accord.scoring) maintains them; entry criteria, the MQL rule and the lists
    read them. They live apart from the contact's wide row (docs/adr/0017): a scored event
    rewrites this narrow row and leaves the contact's row and its many indexes alone.
    `interest_score` is the score on the day of `scored_at`; the interest state (mass, anchor,
    caps) lets one event update it exactly (see accord.scoring.domain).
    """

    contact = models.OneToOneField(Contact, primary_key=True, on_delete=models.CASCADE, related_name="score")
    fit_score = models.IntegerField(null=True, blank=True)
    fit_grade = models.CharField(max_length=1, blank=True)
    persona = models.CharField(max_length=40, blank=True)  # the key of the best-matching persona
    interest_score = models.FloatField(null=True, blank=True)
    quadrant = models.CharField(max_length=10, blank=True)  # scoring.domain.Quadrant
    interest_mass = models.BigIntegerField(default=0)
    interest_anchor = models.IntegerField(null=True, blank=True)  # a day number (days since 1970-01-01)
    interest_caps = models.JSONField(default=dict, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    # Not indexed: an index on any of these columns would make every rewrite of the row write an
    # index entry too (no heap-only update). The lists' filters and sorts read this narrow table whole.
    score_version = models.ForeignKey(
        "playbook.PlaybookVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.fit_grade} {self.interest_score}"


class ContactMerge(models.Model):
    """A record that `dropped_id` was merged into `kept`, with the dropped contact as it was."""

    kept = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges")
    dropped_id = models.BigIntegerField(db_index=True)
    snapshot = models.JSONField()
    merged_at = models.DateTimeField(default=clock.now)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"contact {self.dropped_id} merged into {self.kept_id}"


class SuspectedDuplicate(models.Model):
    """Two contacts that may be one person, for a person to merge or dismiss.

    Recorded where Accord will not merge on its own: a browser key's identify or alias that names
    two known contacts. `contact` is the older of the two (the lower id).
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    detected_at = models.DateTimeField(default=clock.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "other"], name="suspected_duplicate_pair"),
            models.CheckConstraint(condition=models.Q(contact__lt=models.F("other")), name="suspected_duplicate_order"),
        ]

    def __str__(self) -> str:
        return f"contacts {self.contact_id} and {self.other_id} may be one person"


class ConsentChange(models.Model):
    """Append-only evidence of every change of a contact's consent: when, through what, from where."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_changes")
    consent = models.BooleanField(null=True)  # the value from then on; None: no longer known
    at = models.DateTimeField(default=clock.now)
    via = models.CharField(max_length=10)  # contacts.domain.ConsentSource
    by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    via_api_key = models.CharField(max_length=16, blank=True)  # the key's prefix when a key sent it
    ip = models.CharField(max_length=45, blank=True)  # as stored on the event (truncated by default)
    page = models.TextField(blank=True)  # the page the form or snippet was on

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["contact", "at"], name="consent_change_contact")]

    def __str__(self) -> str:
        return f"contact {self.contact_id}: consent {self.consent} via {self.via}"


class Suppression(models.Model):
    """An email address erased on request, as a keyed hash only: an import, a form or the API does
    not bring the person back (contacts.domain.suppression_digest)."""

    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"suppressed {self.digest[:12]}…"


class PropertyDefinition(models.Model):
    """What a custom property holds, so conditions compare it as a number, a date or a yes/no
    rather than as text. Written when an import first meets the column; a person may change it."""

    object = models.CharField(max_length=10)  # contacts.domain.PropertyObject
    name = models.CharField(max_length=100)  # the key in `properties`
    label = models.CharField(max_length=255, blank=True)  # the column as the source file wrote it
    type = models.CharField(max_length=10)  # contacts.domain.PropertyType
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["object", "name"]
        constraints = [models.UniqueConstraint(fields=["object", "name"], name="property_definition_name")]

    def __str__(self) -> str:
        return f"{self.object}.{self.name} ({self.type})"
