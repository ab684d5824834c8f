"""The demo's campaign calendar: a dozen campaigns across the six months, each with the UTM tags
its links carry, and the choice of campaign behind a person's visit."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

# Channels, as `Campaign.channel` stores them, with the UTM source and medium their links carry.
CHANNEL_UTM: dict[str, tuple[str, str]] = {
    "paid_search": ("google", "cpc"),
    "paid_social": ("linkedin", "paid_social"),
    "webinar": ("linkedin", "webinar"),
    "event": ("", "event"),  # the source is the event's own name
    "content_syndication": ("techtarget", "syndication"),
    "email": ("", "email"),  # the source is the mailing: newsletter or nurture
    "partner": ("pipelinepartners", "partner"),
}
# Channels whose campaigns happen on dates (a webinar, a trade show): people they bring in arrive then.
DATED = frozenset({"webinar", "event"})
FOLLOW_UP_DAYS = {"webinar": 30, "event": 10}  # on-demand viewing after a webinar; booth follow-ups


@dataclass(frozen=True)
class CampaignSeed:
    name: str
    utm_campaign: str
    channel: str
    utm_source: str
    utm_medium: str
    offer: str  # the asset its landing page gives for a form
    persona: str  # a persona key of the default playbook
    starts_on: dt.date
    ends_on: dt.date | None  # None: always on
    talking_points: str
    key_data_point: str

    def running(self, day: dt.date) -> bool:
        """Whether its links bring people in on `day` (a dated campaign also during its follow-up)."""
        if day < self.starts_on:
            return False
        if self.ends_on is None:
            return True
        return day <= self.ends_on + dt.timedelta(days=FOLLOW_UP_DAYS.get(self.channel, 0))

    @property
    def landing_path(self) -> str:
        if self.offer == "Demo request":
            return "/demo"
        prefix = "/webinars/" if self.channel == "webinar" else "/resources/"
        return prefix + slug(self.offer)


def slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower().removeprefix("webinar: "))
    return "-".join(part for part in out.split("-") if part)


def calendar(now: dt.datetime, window_days: int) -> list[CampaignSeed]:
    """The campaigns, dated relative to `now`; the history window starts `window_days` before it."""
    start = (now - dt.timedelta(days=window_days)).date()

    def day(offset: int) -> dt.date:
        return start + dt.timedelta(days=offset)

    def make(
        name: str, utm: str, channel: str, offer: str, persona: str, starts: int, ends: int | None,
        points: str, data_point: str, source: str = "",
    ) -> CampaignSeed:
        utm_source, utm_medium = CHANNEL_UTM[channel]
        return CampaignSeed(
            name=name, utm_campaign=utm, channel=channel, utm_source=source or utm_source, utm_medium=utm_medium,
            offer=offer, persona=persona, starts_on=day(starts), ends_on=day(ends) if ends is not None else None,
            talking_points=points, key_data_point=data_point,
        )

    return [
        make(
            "Search: brand terms", "search-brand", "paid_search", "Demo request", "revops_leader", -90, None,
            "They searched for us by name: ask what prompted it and who else is evaluating.",
            "Brand-search visitors book a demo three times as often as other paid traffic.",
        ),
        make(
            "Search: funnel math and MQL terms", "search-funnel-math", "paid_search", "Funnel math calculator",
            "marketing_leader", 12, 170,
            "They are sizing a pipeline target. Offer to walk through their funnel math with them.",
            "Teams that plan backwards from revenue miss their MQL target half as often.",
        ),
        make(
            "LinkedIn: State of RevOps report", "li-state-of-revops", "paid_social", "State of RevOps report",
            "revops_leader", -20, 80,
            "Lead with the report's finding on mismatched definitions; ask how their teams define an MQL.",
            "61% of RevOps leaders say sales and marketing count leads differently.",
        ),
        make(
            "LinkedIn: Lead scoring guide", "li-lead-scoring-guide", "paid_social", "Lead scoring guide",
            "marketing_leader", 88, 190,
            "Scores that never decay are the pain point; show how interest fades after 30 days.",
            "Half of the MQLs sales rejects scored their points more than 60 days earlier.",
        ),
        make(
            "Webinar: Fixing the hand-off", "webinar-fixing-the-handoff", "webinar", "Webinar: Fixing the hand-off",
            "sales_leader", -15, 40,
            "Registrants care about speed to lead; ask how long their reps take to call an MQL today.",
            "Leads called within an hour convert to SQL seven times as often as those called the next day.",
        ),
        make(
            "RevOps Summit booth", "revops-summit", "event", "Case study: How Northwind doubled SQLs",
            "revops_leader", 56, 58,
            "Met at the booth: mention the Northwind story and offer the funnel review we promised on the day.",
            "Northwind doubled its SQLs in two quarters without adding a rep.",
            source="revops-summit",
        ),
        make(
            "Nurture: SLA template series", "nurture-sla-template", "email", "Sales and marketing SLA template",
            "marketing_leader", 30, None,
            "They downloaded the SLA template: ask which side of the agreement is hardest to keep.",
            "Teams with a written SLA accept 20 points more of their MQLs.",
            source="nurture",
        ),
        make(
            "Monthly newsletter", "newsletter", "email", "MQL definition workbook", "marketing_leader", -200, None,
            "Subscribers read about definitions and hand-offs; ask which issue brought them in.",
            "Newsletter readers who click twice in a month become MQLs at twice the usual rate.",
            source="newsletter",
        ),
        make(
            "Webinar: The SLA both teams sign", "webinar-sla-both-teams-sign", "webinar",
            "Webinar: The SLA both teams sign", "revops_leader", 100, 135,
            "Ask who signs off on their lead definitions today, and how often the agreement is revisited.",
            "Only one team in four reviews its MQL definition more than once a year.",
        ),
        make(
            "Pipeline Live London", "pipeline-live-london", "event", "State of RevOps report", "sales_leader",
            124, 125,
            "EMEA audience: lead with response-time SLAs across time zones and business hours.",
            "EMEA teams lose a quarter of their inbound leads to follow-ups that start the next business day.",
            source="pipeline-live",
        ),
        make(
            "Syndication: State of RevOps report", "synd-state-of-revops", "content_syndication",
            "State of RevOps report", "revops_leader", -30, 200,
            "Syndicated download: they may not know us yet, so start with the report, not the product.",
            "Syndicated leads who visit our site within a week convert like organic ones.",
        ),
        make(
            "Partner: Northwind case study", "partner-northwind-case-study", "partner",
            "Case study: How Northwind doubled SQLs", "sales_leader", -10, 150,
            "Introduced by Pipeline Partners: mention the partner, and the Northwind results they helped with.",
            "Partner-referred deals close 30% faster than the average deal.",
        ),
    ]


def pick(
    rng: random.Random, campaigns: Sequence[CampaignSeed], channel: str, at: dt.datetime
) -> CampaignSeed | None:
    """A campaign of `channel` running at `at`; else the latest that started before it; else None."""
    of_channel = [c for c in campaigns if c.channel == channel]
    running = [c for c in of_channel if c.running(at.date())]
    if running:
        return rng.choice(running)
    if channel in DATED:
        return None
    started = [c for c in of_channel if c.starts_on <= at.date()]
    return max(started, key=lambda c: c.starts_on) if started else None


def dated_moment(
    rng: random.Random, campaigns: Sequence[CampaignSeed], channel: str, start: dt.datetime, end: dt.datetime
) -> dt.datetime | None:
    """A moment between `start` and `end` when a campaign of a dated channel brings people in."""
    windows = []
    for c in campaigns:
        if c.channel != channel or c.ends_on is None:
            continue
        low = max(start, dt.datetime.combine(c.starts_on, dt.time(0), tzinfo=dt.UTC))
        last = c.ends_on + dt.timedelta(days=FOLLOW_UP_DAYS.get(channel, 0))
        high = min(end, dt.datetime.combine(last, dt.time(23, 59), tzinfo=dt.UTC))
        if low < high:
            windows.append((low, high))
    if not windows:
        return None
    low, high = rng.choice(windows)
    return low + (high - low) * rng.random()
