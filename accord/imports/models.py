from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core import clock
from accord.imports.domain import RunStatus


class ImportRun(models.Model):
    """One import of one file, across however many invocations it takes to finish.

    A file is known by its path, size and the SHA-256 of its first 64 KB. Each batch commits its
    rows together with `last_line` and the counts, so a run stopped part-way (a crash, Ctrl+C)
    resumes after its last committed batch.
    """

    kind = models.CharField(max_length=10)  # imports.domain.ImportKind
    format = models.CharField(max_length=20)  # ContactFormat for contacts, "segment" for events
    path = models.TextField()  # absolute
    size = models.BigIntegerField()
    head_sha256 = models.CharField(max_length=64)
    options = models.JSONField(default=dict, blank=True)  # as given on the command line or the page
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # who started it (None: the command line without --user)
    total_rows = models.PositiveIntegerField(default=0)  # data rows in the file, for the progress line
    error = models.TextField(blank=True)  # why a background run stopped, when it did
    status = models.CharField(max_length=10, default=RunStatus.RUNNING.value)  # imports.domain.RunStatus
    rows_done = models.PositiveIntegerField(default=0)  # data rows (or event lines) handled, good or bad
    last_line = models.PositiveIntegerField(default=0)  # physical line of the last committed row
    created = models.PositiveIntegerField(default=0)  # contacts (or accounts) created
    updated = models.PositiveIntegerField(default=0)  # existing contacts changed
    unchanged = models.PositiveIntegerField(default=0)  # existing contacts the row did not change
    accepted = models.PositiveIntegerField(default=0)  # events stored
    duplicates = models.PositiveIntegerField(default=0)  # events already stored (same messageId)
    skipped = models.PositiveIntegerField(default=0)  # bad rows or lines, each with its problems
    history = models.PositiveIntegerField(default=0)  # imported stage changes recorded
    invocations = models.PositiveIntegerField(default=1)  # how many times the command worked on it
    started_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)  # the last committed batch
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["kind", "status", "path"], name="import_run_lookup")]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.path} ({self.status})"

    @property
    def landed(self) -> int:
        """Rows that reached the database: created, updated or unchanged contacts; stored or
        already-stored events."""
        return self.created + self.updated + self.unchanged + self.accepted + self.duplicates


class ImportProblem(models.Model):
    """A line that was not imported, and why: `line N: field: message`."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="problems")
    line = models.PositiveIntegerField()
    field = models.CharField(max_length=255, blank=True)  # the file's column; empty for event lines
    message = models.TextField()
    cause = models.CharField(max_length=255, blank=True)  # the message without the value: the summary's group
    kept = models.BooleanField(default=False)  # the row was imported without the field

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["run", "line"], name="import_problem_line")]

    def __str__(self) -> str:
        text = f"line {self.line}: {self.field}: {self.message}" if self.field else f"line {self.line}: {self.message}"
        return f"{text} (imported without it)" if self.kept else text
