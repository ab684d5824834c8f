"""The playbook's history in the demo: version 1 in force from before the history starts, then a
second version drafted, signed by both sides and activated about four months ago."""

from __future__ import annotations

import datetime as dt

from accord.demo.domain.journeys import working_time

V1_SINCE_DAYS = 200  # the default playbook came into force before the six months of history
# Days before now that version 2 was drafted, signed by marketing, signed by sales and activated.
V2_STEPS_DAYS = (128, 126, 124, 122)
V2_NOTE = (
    "Raised the MQL interest threshold from 40 to 50 points and lowered marketing's monthly MQL "
    "commitment from 120 to 100: sales rejected too many MQLs that had only just crossed 40."
)
# Line edits that turn the default playbook's text into version 2's.
V2_EDITS = (
    ("- {field: score.interest, op: gte, value: 40}", "- {field: score.interest, op: gte, value: 50}"),
    ("  high_interest: 40\n", "  high_interest: 50\n"),
    ("    mqls: 120\n", "    mqls: 100\n"),
)


def revised_source(source: str) -> str:
    """The default playbook's text with version 2's edits; ValueError when one no longer applies."""
    for old, new in V2_EDITS:
        if source.count(old) != 1:
            raise ValueError(f"the playbook text no longer contains {old.strip()!r} exactly once")
        source = source.replace(old, new)
    return source


def v2_steps(now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime]:
    """When version 2 was drafted, signed by marketing, signed by sales and activated: office hours
    in New York, each at least an hour after the one before."""
    moments: list[dt.datetime] = []
    for days in V2_STEPS_DAYS:
        moment = working_time(now - dt.timedelta(days=days), "America/New_York").replace(second=0, microsecond=0)
        moments.append(max(moment, moments[-1] + dt.timedelta(hours=1)) if moments else moment)
    drafted, marketing_signed, sales_signed, activated = moments
    return drafted, marketing_signed, sales_signed, activated
