"""The scoreboard's rollups: each settled day's facts, so a quarter is read from some thousand rows
rather than from every milestone, hand-off and stage move in it (docs/adr/0021).

A rollup is derived and disposable: `accord.reporting.rollups` builds it from the history with the
very reads the live scoreboard makes, and can throw it away and build it again at any time.
"""

from __future__ import annotations

from django.db import models

from accord.core import clock


class ScoreDay(models.Model):
    """One settled day's scoreboard facts for one (rep, team), or marketing's for the day."""

    day = models.DateField()
    key = models.CharField(max_length=60)  # "sales:<owner>:<team>" (empty for none), or "marketing"
    owner_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    facts = models.JSONField(default=dict)  # marketing's: stage moves and hand-back reasons by source
    # A rep and team's counts, as little-endian 32-bit numbers in `rollups.COUNTS` order.
    counts = models.BinaryField(default=b"")
    # Minutes seen, as (minutes, times) pairs of little-endian 32-bit numbers: to each first touch
    # in business time, and from the MQL to the first touch and to a rep having it in wall time.
    sla = models.BinaryField(default=b"")
    speed = models.BinaryField(default=b"")
    wait = models.BinaryField(default=b"")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "key"], name="score_day_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.key}"


class ScoreRollup(models.Model):
    """How far the rollups go: one row."""

    zone = models.CharField(max_length=100)  # the workspace's time zone the days were cut in, and the format
    through = models.DateField(null=True, blank=True)  # every day up to this one is rolled up
    # The last id of each history table when the last build began, and when the one before began:
    # rows after `previous` may tell of a settled day that changed, which is then read live.
    marks = models.JSONField(default=dict)
    previous = models.JSONField(default=dict)
    built_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"rolled up through {self.through} ({self.zone})"
