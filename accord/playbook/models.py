from __future__ import annotations

import enum
from functools import cached_property

from django.conf import settings
from django.db import models

from accord.core import clock
from accord.playbook.domain.document import Playbook, parse


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"  # being written; may be edited; collects signatures
    SIGNED = "signed"  # both sides signed; no more edits; ready to activate
    ACTIVE = "active"  # the agreement in force; exactly one version at a time
    RETIRED = "retired"  # was active once; kept for history and reports


_PARSED: dict[str, Playbook] = {}


class PlaybookVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(
        max_length=10, choices=[(s.value, s.value) for s in VersionStatus], default=VersionStatus.DRAFT
    )
    digest = models.CharField(max_length=64)  # sha256 of the validated document, the key of the parse cache
    source = models.TextField()  # the YAML as written, comments included; the document is parsed from it
    note = models.CharField(max_length=500, blank=True)  # what this version changes
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="playbook_one_active_version"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.number} ({self.status})"

    @cached_property
    def playbook(self) -> Playbook:
        """The parsed document, parsed once per process for each distinct content."""
        cached = _PARSED.get(self.digest) if self.digest else None
        if cached is None:
            cached = parse(self.source)
            if len(_PARSED) > 64:
                _PARSED.clear()
            _PARSED[cached.digest] = cached
        return cached


class Signature(models.Model):
    version = models.ForeignKey(PlaybookVersion, on_delete=models.CASCADE, related_name="signatures")
    side = models.CharField(max_length=10)  # accounts.domain.Side
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["signed_at"]
        constraints = [models.UniqueConstraint(fields=["version", "side"], name="signature_one_per_side")]

    def __str__(self) -> str:
        return f"v{self.version_id} signed for {self.side}"
