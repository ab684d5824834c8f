"""The scoring engine's step of the event pipeline (`ACCORD_EVENT_STEPS`)."""

from __future__ import annotations

from accord.scoring import domain
from accord.scoring.actions import Scored, Seen, contacts_score
from accord.tracking.pipeline import Accepted


def events_accepted(accepted: Accepted) -> Scored:
    """Score the stored events of known contacts, refit contacts that identified themselves with
    new traits, recompute those that gained earlier anonymous events, and let the stage rules look
    at every contact whose scores or facts changed. Runs in the ingest transaction."""
    seen = [
        Seen(
            contact_id=m.contact_id,
            day=domain.day_number(m.timestamp),
            facts=domain.event_facts(
                type=m.type.value,
                name=m.name,
                url=m.url,
                path=m.path,
                referrer=m.referrer,
                utm_source=m.utm_source,
                utm_medium=m.utm_medium,
                utm_campaign=m.utm_campaign,
                properties=m.properties,
            ),
        )
        for m in accepted.messages
        if m.contact_id is not None
    ]
    resolution = accepted.resolution
    return contacts_score(
        seen=seen,
        refit=resolution.identified | resolution.qualified,
        recompute=resolution.relinked | set(resolution.merged.values()),
        recheck=accepted.recheck,
    )
