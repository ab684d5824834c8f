"""Web, form and email activity for the demo, as the tracking API would have received it.

Each person's activity is written alongside their journey, in time order: anonymous page views
before they are known, the form submission (with an identify) that makes them a lead just
before the stage change it explains, later visits, email opens and clicks, webinars and demo
requests. Every message is built in the Segment format and goes through
`accord.tracking.domain.parse`, so what the demo stores is exactly what ingest would store, and
first and last touch are kept with `accord.tracking.domain.touch` as the tracking pipeline keeps
them (the first touching event; the last touch that is not direct).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import heapq
import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from accord.demo.domain.campaigns import CampaignSeed, slug
from accord.demo.domain.campaigns import pick as pick_campaign
from accord.tracking.domain import FORM_SUBMITTED, Message, parse
from accord.tracking.domain import Attribution as TrackedAttribution

SITE = "https://www.demo.accord.test"
BRAND = "Accord Demo"
LIBRARY = {"name": "accord.js", "version": "1.4.2"}

# --------------------------------------------------------------------------- the website

CONTENT_OFFERS = (
    "State of RevOps report",
    "MQL definition workbook",
    "Sales and marketing SLA template",
    "Funnel math calculator",
    "Case study: How Northwind doubled SQLs",
    "Lead scoring guide",
    "Product tour video",
)
DEMO_OFFER = "Demo request"
BLOG = {
    "/blog/what-is-an-mql": "What is an MQL, really?",
    "/blog/sales-marketing-sla": "Writing a sales and marketing SLA that holds",
    "/blog/funnel-math": "Funnel math: from revenue goal to MQLs",
    "/blog/lead-scores-should-decay": "Why lead scores should decay",
    "/blog/recycled-leads": "Recycled leads are not dead leads",
    "/blog/speed-to-lead": "Speed to lead: the hour that decides the deal",
}
CUSTOMERS = {
    "/customers/northwind": "How Northwind doubled SQLs",
    "/customers/tailspin-freight": "Tailspin Freight answers every MQL within the hour",
    "/customers/fabrikam-health": "Fabrikam Health put marketing and sales on one number",
}
PAGES: dict[str, str] = {
    "/": "sales and marketing on one funnel",
    "/pricing": "Pricing",
    "/product": "Product tour",
    "/product/scoring": "Lead scoring that explains itself",
    "/product/sla": "Hand-offs with an SLA both teams sign",
    "/customers": "Customers",
    "/blog": "Blog",
    "/demo": "Book a demo",
    "/about": "About us",
    "/email-preferences": "Email preferences",
    **BLOG,
    **CUSTOMERS,
}


WEBINAR_OFFERS = ("Webinar: Fixing the hand-off", "Webinar: The SLA both teams sign")


def offer_path(offer: str) -> str:
    """The page whose form gives `offer`."""
    if offer == DEMO_OFFER:
        return "/demo"
    return ("/webinars/" if offer.startswith("Webinar:") else "/resources/") + slug(offer)


PAGES.update({offer_path(offer): offer for offer in (*CONTENT_OFFERS, *WEBINAR_OFFERS)})


@functools.lru_cache(maxsize=256)
def title(path: str) -> str:
    """The page's <title>: its name, and the brand on the home page."""
    if path == "/":
        return f"{BRAND}: {PAGES['/']}"
    return PAGES.get(path) or path.rsplit("/", 1)[-1].replace("-", " ").capitalize()


# Where a page leads next: early in the funnel people read, later they compare and ask for a demo.
EARLY_WALK = (
    ("/blog", 8),
    ("/", 12),
    ("/product", 12),
    ("/product/scoring", 8),
    ("/customers", 8),
    ("/pricing", 10),
    ("/about", 3),
    ("/demo", 2),
    *((p, 6) for p in BLOG),
    *((p, 3) for p in CUSTOMERS),
)
LATE_WALK = (
    ("/pricing", 26),
    ("/product", 12),
    ("/product/sla", 10),
    ("/product/scoring", 8),
    ("/customers", 8),
    ("/demo", 8),
    ("/", 6),
    ("/about", 3),
    *((p, 2) for p in BLOG),
    *((p, 7) for p in CUSTOMERS),
)
LATE_STAGES = frozenset({"mql", "sql", "opportunity", "customer"})

# --------------------------------------------------------------------------- where visits come from

SEARCH = (("https://www.google.com/", 80), ("https://www.bing.com/", 14), ("https://duckduckgo.com/", 6))
SOCIAL = (("https://www.linkedin.com/", 72), ("https://lnkd.in/", 10), ("https://t.co/", 18))
REFERRALS = (
    ("https://www.g2.com/categories/lead-management", 38),
    ("https://www.capterra.com/lead-scoring-software/", 24),
    ("https://revopscoop.com/best-tools-for-revops", 22),
    ("https://news.ycombinator.com/", 16),
)
SEARCH_HOSTS = frozenset(r for r, _ in SEARCH)
SOCIAL_HOSTS = frozenset(r for r, _ in SOCIAL)
# Where each kind of visit lands.
LAND_DIRECT = (("/", 60), ("/pricing", 25), ("/product", 15))
LAND_SEARCH = (*((p, 12) for p in BLOG), ("/", 15), ("/pricing", 6), ("/product/scoring", 7))
LAND_SOCIAL = (*((p, 14) for p in BLOG), ("/", 16))
LAND_REFERRAL = (("/", 45), ("/pricing", 30), ("/customers", 15), ("/customers/northwind", 10))
# Lead source (as the contact property `lead_source` names it) -> campaign channel, for UTM-tagged sources.
SOURCE_CHANNEL = {
    "Paid search": "paid_search",
    "Paid social": "paid_social",
    "Webinar": "webinar",
    "Events": "event",
    "Content syndication": "content_syndication",
    "Email": "email",
    "Partner": "partner",
}
# The lead source a first touch stands for, by its medium.
LEAD_SOURCE_BY_MEDIUM = {
    "organic": "Organic search",
    "social": "Organic social",
    "referral": "Referral",
    "(none)": "Direct",
    "cpc": "Paid search",
    "paid_social": "Paid social",
    "webinar": "Webinar",
    "event": "Events",
    "syndication": "Content syndication",
    "email": "Email",
    "partner": "Partner",
}


def lead_source(first_medium: str) -> str:
    """The lead source a contact's first touch stands for ('' without a first touch)."""
    return LEAD_SOURCE_BY_MEDIUM.get(first_medium, "Other") if first_medium else ""


@dataclass(frozen=True)
class Entry:
    """How a visit arrives: from a referring page, through a campaign's tagged link, or neither."""

    referrer: str = ""
    campaign: CampaignSeed | None = None
    source: str = ""  # overrides the campaign's utm_source (emails name the mailing)
    content: str = ""  # utm_content

    def utm(self) -> dict[str, str]:
        c = self.campaign
        if c is None:
            return {}
        tags = {"utm_source": self.source or c.utm_source, "utm_medium": c.utm_medium, "utm_campaign": c.utm_campaign}
        if self.content:
            tags["utm_content"] = self.content
        return tags


DIRECT = Entry()

# --------------------------------------------------------------------------- devices and clocks

USER_AGENTS = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36",
        40,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36",
        22,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
        "Safari/605.1.15",
        12,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36 Edg/131.0.0.0",
        10,
    ),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", 5),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Mobile/15E148 Safari/604.1",
        8,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
        "Safari/537.36",
        3,
    ),
)
# Hours from UTC, roughly, for keeping visits to waking hours.
UTC_OFFSETS = {
    "US": -5,
    "CA": -5,
    "GB": 0,
    "DE": 1,
    "FR": 1,
    "NL": 1,
    "SE": 1,
    "AU": 10,
    "IN": 5.5,
    "BR": -3,
    "IE": 0,
    "ES": 1,
    "MX": -6,
    "SG": 8,
    "JP": 9,
}


@functools.lru_cache(maxsize=512)
def _table(items: tuple[tuple[str, float], ...]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return tuple(k for k, _ in items), tuple(itertools.accumulate(w for _, w in items))


def _weighted(rng: random.Random, items: Sequence[tuple[str, float]]) -> str:
    """One key, with the chance of its weight (the draw `random.choices` would make)."""
    keys, cum = _table(tuple(items))
    return keys[bisect.bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]


_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))  # the variant and version bits
_UUID_SET = (0x8000 << 48) | (4 << 76)  # RFC 4122 variant, version 4


def _uuid(rng: random.Random) -> str:
    """`str(uuid.UUID(int=rng.getrandbits(128), version=4))`, without building the UUID object
    (a third of the time, for every message the demo writes)."""
    text = f"{rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _ip(rng: random.Random) -> str:
    """An address from the ranges kept for documentation: plausible, and nobody's."""
    if rng.random() < 0.7:
        net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
        return f"{net}.{rng.randrange(1, 255)}"
    return f"2001:db8:{rng.randrange(0x10000):x}:{rng.randrange(0x10000):x}::{rng.randrange(1, 0x10000):x}"


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------- email

NEWSLETTER_SUBJECTS = (
    "Three MQL definitions that sales actually trusts",
    "Your funnel math, worked backwards",
    "What 400 RevOps teams told us about hand-offs",
    "The SLA clause nobody enforces",
    "Why your lead scores need a half-life",
    "Recycled is not rejected",
    "Speed to lead, measured honestly",
)
NURTURE_SUBJECTS = (
    "Your SLA template, and how teams fill it in",
    "Who signs the MQL definition?",
    "A hand-off checklist for your next pipeline review",
    "How Northwind's reps stopped rejecting MQLs",
)
NEWSLETTER_EVERY_DAYS = 14
NURTURE_EVERY_DAYS = 7


@dataclass(frozen=True)
class Send:
    at: dt.datetime
    campaign: CampaignSeed
    subject: str
    newsletter: bool


def mailings(campaigns: Sequence[CampaignSeed], start: dt.datetime, now: dt.datetime) -> list[Send]:
    """Every email the demo company sent in the window: the newsletter every other Tuesday, the
    nurture series every Thursday from its start."""
    newsletter = next((c for c in campaigns if c.utm_campaign == "newsletter"), None)
    nurture = next((c for c in campaigns if c.utm_campaign == "nurture-sla-template"), None)
    sends: list[Send] = []
    day = start.date()
    first_tuesday = day + dt.timedelta(days=(1 - day.weekday()) % 7)
    first_thursday = day + dt.timedelta(days=(3 - day.weekday()) % 7)
    if newsletter is not None:
        moment = dt.datetime.combine(first_tuesday, dt.time(14, 0), tzinfo=dt.UTC)
        n = 0
        while moment <= now:
            sends.append(Send(moment, newsletter, NEWSLETTER_SUBJECTS[n % len(NEWSLETTER_SUBJECTS)], True))
            moment += dt.timedelta(days=NEWSLETTER_EVERY_DAYS)
            n += 1
    if nurture is not None:
        moment = dt.datetime.combine(max(first_thursday, nurture.starts_on), dt.time(15, 0), tzinfo=dt.UTC)
        moment += dt.timedelta(days=(3 - moment.weekday()) % 7)
        n = 0
        while moment <= now:
            sends.append(Send(moment, nurture, NURTURE_SUBJECTS[n % len(NURTURE_SUBJECTS)], False))
            moment += dt.timedelta(days=NURTURE_EVERY_DAYS)
            n += 1
    sends.sort(key=lambda s: s.at)
    return sends


# --------------------------------------------------------------------------- one person's activity

# How someone who has been here before comes back.
RETURNING = (("direct", 45), ("organic", 22), ("social", 6), ("referral", 5), ("paid_social", 7), ("paid_search", 5))
# Background visits per day by stage (before decay), and which stages may fill in forms on their own.
VISIT_RATE = {
    None: 0.05,
    "visitor": 0.05,
    "subscriber": 0.03,
    "lead": 0.05,
    "mql": 0.14,
    "sql": 0.12,
    "opportunity": 0.12,
    "customer": 0.04,
    "recycled": 0.02,
    "disqualified": 0.004,
}
# A form while recycled (or before being a lead) would make the stage rules move the contact, so
# people fill in forms on their own only in these stages; the journey places the others.
FORM_STAGES = frozenset({"lead", "mql", "sql", "opportunity", "customer"})
NURTURE_STAGES = frozenset({"lead", "mql", "recycled"})


class Attribution(TrackedAttribution):
    """The tracking pipeline's attribution rules, with the facts the stage rules read from them."""

    def facts(self) -> dict[str, Any]:
        first = self.first[1] if self.first else None
        last = self.last[1] if self.last else None
        return {
            "contact.forms_submitted": self.forms,
            "contact.first_source": first.source if first else "",
            "contact.first_medium": first.medium if first else "",
            "contact.first_campaign": first.campaign if first else "",
            "contact.first_offer": self.first_offer_name,
            "contact.last_source": last.source if last else "",
            "contact.last_medium": last.medium if last else "",
            "contact.last_campaign": last.campaign if last else "",
            "contact.last_offer": self.last_offer_name,
        }


@dataclass(order=True)
class _Pending:
    at: dt.datetime
    order: int
    raw: dict[str, Any] = field(compare=False)
    server: bool = field(compare=False, default=False)
    needs_form_stage: bool = field(compare=False, default=False)
    then: Callable[[], None] | None = field(compare=False, default=None)


@dataclass(frozen=True)
class IdentitySeed:
    kind: str  # tracking.domain.IdentityKind
    value: str
    first_seen_at: dt.datetime


class Activity:
    """One person's messages, generated in time order as their journey unfolds.

    The journey calls `advance(moment)` before each move (so the facts it checks are those of the
    events before the move), `moved(stage, at)` after it, and the `first_visit`, `subscribe`,
    `form` and `engage` methods to place the events that explain a move just before it.
    """

    def __init__(
        self,
        rng: random.Random,
        *,
        start: dt.datetime,
        now: dt.datetime,
        campaigns: Sequence[CampaignSeed],
        sends: Sequence[Send],
        lead_source: str,
        country: str,
        email: str | None,
        traits: dict[str, Any],
        consent: bool | None,
    ) -> None:
        self.rng = rng
        self.start = start  # the history window's first moment
        self.now = now
        self.campaigns = campaigns
        self.sends = sends
        self.send_times = [s.at for s in sends]
        self.lead_source = lead_source
        self.offset = dt.timedelta(hours=UTC_OFFSETS.get(country, 0))
        self.email = email
        self.traits = traits
        self.consent = consent
        self.anonymous_id = _uuid(rng)
        self.user_agent = _weighted(rng, USER_AGENTS)
        self.ip = _ip(rng)
        skew = rng.random()
        seconds = (
            rng.uniform(-1.5, 1.5) if skew < 0.8 else rng.uniform(-90, 90) if skew < 0.95 else rng.uniform(-900, 900)
        )
        self.skew = dt.timedelta(seconds=seconds)  # this browser's clock, against the server's
        self.messages: list[Message] = []
        self.attribution = Attribution()
        self.identities: list[IdentitySeed] = []
        self.stage: str | None = None
        self.stage_since: dt.datetime | None = None
        self.known_at: dt.datetime | None = None  # when the contact first existed (visitor or identified)
        self.identified_at: dt.datetime | None = None
        self.consent_at: dt.datetime | None = None
        self.newsletter = False
        self.unsubscribed = False
        self.generated = dt.datetime.min.replace(tzinfo=dt.UTC)  # background visits are drawn up to here
        self.pending: list[_Pending] = []
        self.order = 0
        self.first_entry: Entry | None = None

    # -- building messages

    def _push(
        self,
        at: dt.datetime,
        raw: dict[str, Any],
        *,
        server: bool = False,
        needs_form_stage: bool = False,
        then: Callable[[], None] | None = None,
    ) -> None:
        self.order += 1
        heapq.heappush(self.pending, _Pending(at, self.order, raw, server, needs_form_stage, then))

    def _web(self, kind: str, page: dict[str, str], campaign: dict[str, str] | None, **fields: Any) -> dict[str, Any]:
        context: dict[str, Any] = {
            "page": page,
            "userAgent": self.user_agent,
            "ip": self.ip,
            "library": LIBRARY,
            "locale": "en-US",
        }
        if campaign:
            context["campaign"] = campaign
        return {"type": kind, "anonymousId": self.anonymous_id, "context": context, **fields}

    def _server(self, event: str, properties: dict[str, Any]) -> dict[str, Any]:
        assert self.email is not None
        return {
            "type": "track",
            "event": event,
            "userId": self.email,
            "properties": properties,
            "context": {"library": LIBRARY, "ip": self.ip, "userAgent": self.user_agent},
        }

    def _store(self, item: _Pending) -> None:
        """Turn a pending message into the stored one: clocks, ids, then the same parse ingest runs."""
        rng = self.rng
        real = item.at
        raw = item.raw
        if item.needs_form_stage and self.stage not in FORM_STAGES:
            return
        if item.server:
            sent = real + dt.timedelta(seconds=rng.uniform(0.5, 20))
            original = real
        else:
            sent = real + dt.timedelta(seconds=rng.uniform(0.02, 0.5)) + self.skew
            original = real + self.skew
        received = real + (sent - original) + dt.timedelta(seconds=rng.uniform(0.04, 0.35))
        if received > self.now:
            return  # still on its way
        if not item.server and self.email and self.identified_at is not None and real >= self.identified_at:
            raw["userId"] = self.email  # the browser knows who it is from the identify on
        raw["messageId"] = _uuid(rng)
        raw["timestamp"] = _iso(original)
        raw["sentAt"] = _iso(sent)
        message = parse(raw, received_at=received)
        self.messages.append(message)
        self.attribution.add(message)
        if item.then is not None:
            item.then()

    # -- time

    def _daytime(self, moment: dt.datetime, low: dt.datetime, high: dt.datetime) -> dt.datetime:
        """`moment` moved into the person's waking hours on the same day, if that stays in [low, high]."""
        local = moment + self.offset
        if 7 <= local.hour < 23:
            return moment
        hour = self.rng.uniform(8, 21)
        shifted = local.replace(hour=int(hour), minute=int(hour % 1 * 60)) - self.offset
        return shifted if low <= shifted <= high else moment

    def advance(self, until: dt.datetime) -> None:
        """Draw background visits and emails up to `until` and store every message before it."""
        until = min(until, self.now)
        if until > self.generated:
            start = max(self.generated, self.known_at or until)
            if start < until:
                self._background(start, until)
                self._emails(start, until)
            self.generated = until
        while self.pending and self.pending[0].at < until:
            self._store(heapq.heappop(self.pending))

    def finish(self) -> None:
        """Everything up to now; what would happen later is dropped."""
        self.advance(self.now)
        while self.pending and self.pending[0].at <= self.now:
            self._store(heapq.heappop(self.pending))
        self.pending.clear()

    def moved(self, stage: str, at: dt.datetime) -> None:
        self.stage, self.stage_since = stage, at
        if self.known_at is None:
            self.known_at = at
            if self.identified_at is None:  # a visitor: the contact exists from the first page view
                self.identities.append(IdentitySeed("anonymous", self.anonymous_id, at))

    # -- sessions

    def _entry(self, kind: str, at: dt.datetime) -> Entry:
        rng = self.rng
        if kind == "organic":
            return Entry(referrer=_weighted(rng, SEARCH))
        if kind == "social":
            return Entry(referrer=_weighted(rng, SOCIAL))
        if kind == "referral":
            return Entry(referrer=_weighted(rng, REFERRALS))
        if kind == "direct":
            return DIRECT
        channel = SOURCE_CHANNEL.get(kind, kind)
        if channel == "email":
            campaign = next((c for c in self.campaigns if c.utm_campaign == "newsletter"), None)
        else:
            campaign = pick_campaign(rng, self.campaigns, channel, at)
        if campaign is None:
            return DIRECT
        if channel == "content_syndication":
            return Entry(referrer="https://www.techtarget.com/", campaign=campaign)
        if channel == "partner":
            return Entry(referrer="https://pipelinepartners.example/insights", campaign=campaign)
        return Entry(campaign=campaign)

    def first_entry_for(self, at: dt.datetime) -> Entry:
        kind = {
            "Organic search": "organic",
            "Organic social": "social",
            "Referral": "referral",
            "Direct": "direct",
        }.get(self.lead_source, self.lead_source)
        return self._entry(kind, at)

    def _landing(self, entry: Entry) -> str:
        rng = self.rng
        if entry.campaign is not None:
            return (
                entry.campaign.landing_path if entry.campaign.utm_campaign != "newsletter" else rng.choice(list(BLOG))
            )
        host = entry.referrer
        if not host:
            return _weighted(rng, LAND_DIRECT)
        if host in SEARCH_HOSTS:
            return _weighted(rng, LAND_SEARCH)
        if host in SOCIAL_HOSTS:
            return _weighted(rng, LAND_SOCIAL)
        return _weighted(rng, LAND_REFERRAL)

    def _walk(self, first: str, extra: int) -> list[str]:
        walk = LATE_WALK if self.stage in LATE_STAGES else EARLY_WALK
        pages = [first]
        for _ in range(extra):
            nxt = _weighted(self.rng, walk)
            if nxt != pages[-1]:
                pages.append(nxt)
        return pages

    def _dwell(self) -> dt.timedelta:
        return dt.timedelta(seconds=min(600.0, 8 + self.rng.lognormvariate(math.log(45), 0.9)))

    def _pages(
        self, start: dt.datetime, entry: Entry, pages: Sequence[str], *, gaps: Sequence[dt.timedelta] | None = None
    ) -> tuple[dt.datetime, dict[str, str], dict[str, str] | None]:
        """Page views from `start`; returns when the last one happened, its page and its campaign tags."""
        at = start
        referrer = entry.referrer
        utm = entry.utm()
        campaign_ctx = None
        page: dict[str, str] = {}
        for i, path in enumerate(pages):
            query = "?" + urlencode(utm) if (i == 0 and utm) else ""
            url = SITE + path + query
            page = {"path": path, "referrer": referrer, "search": query, "title": title(path), "url": url}
            campaign_ctx = (
                {
                    "source": utm["utm_source"],
                    "medium": utm["utm_medium"],
                    "name": utm["utm_campaign"],
                    **({"content": utm["utm_content"]} if "utm_content" in utm else {}),
                }
                if i == 0 and utm
                else None
            )
            self._push(at, self._web("page", page, campaign_ctx, properties=dict(page)))
            referrer = url
            if i + 1 < len(pages):
                at += gaps[i] if gaps is not None else self._dwell()
        return at, page, campaign_ctx

    def _session(self, start: dt.datetime, entry: Entry, *, form: bool) -> None:
        """A background visit between `start` and `end`, maybe with a form."""
        rng = self.rng
        count = 1
        while count < 6 and rng.random() < 0.55:
            count += 1
        pages = self._walk(self._landing(entry), count - 1)
        last, page, _ = self._pages(start, entry, pages)
        if form and self.identified_at is not None and rng.random() < 0.08:
            demo = self.stage in LATE_STAGES and rng.random() < 0.3
            offer = DEMO_OFFER if demo else rng.choice(CONTENT_OFFERS)
            at = last + self._dwell()
            form_page = dict(
                page,
                path=offer_path(offer),
                title=title(offer_path(offer)),
                url=SITE + offer_path(offer),
                referrer=page["url"],
                search="",
            )
            self._push(at, self._web("page", form_page, None, properties=dict(form_page)))
            at += self._dwell()
            self._form_messages(at, form_page, None, offer, needs_form_stage=True)

    def _form_messages(
        self,
        at: dt.datetime,
        page: dict[str, str],
        campaign_ctx: dict[str, str] | None,
        offer: str,
        *,
        needs_form_stage: bool = False,
        identify: bool = False,
    ) -> dt.datetime:
        """An identify (the first time), the Form Submitted and what follows it, from `at` on."""
        form = (
            "demo-request"
            if offer == DEMO_OFFER
            else ("webinar-registration" if offer.startswith("Webinar:") else "content-download")
        )
        if identify:
            self._push(at, self._web("identify", page, campaign_ctx, traits=dict(self.traits)))
            at += dt.timedelta(milliseconds=self.rng.randrange(400, 900))  # more than the network's jitter
        self._push(
            at,
            self._web("track", page, campaign_ctx, event=FORM_SUBMITTED, properties={"form": form, "offer": offer}),
            needs_form_stage=needs_form_stage,
        )
        if offer == DEMO_OFFER:
            later = at + dt.timedelta(milliseconds=self.rng.randrange(400, 1000))
            self._push(
                later,
                self._web("track", page, campaign_ctx, event="Demo Requested", properties={"form": form}),
                needs_form_stage=needs_form_stage,
            )
        elif offer.startswith("Webinar:"):
            self._webinar(at, offer)
        return at

    def _webinar(self, registered: dt.datetime, offer: str) -> None:
        rng = self.rng
        if self.email is None or rng.random() > 0.55:
            return
        campaign = next((c for c in self.campaigns if c.offer == offer), None)
        day = campaign.ends_on if campaign is not None else None
        live = day is not None and registered.date() < day
        if live:
            assert day is not None
            at = dt.datetime.combine(day, dt.time(16, 0), tzinfo=dt.UTC) + dt.timedelta(minutes=rng.uniform(0, 8))
        else:
            at = registered + dt.timedelta(hours=rng.uniform(0.2, 72))
        minutes = rng.randrange(12, 58)
        self._push(
            at,
            self._server("Webinar Attended", {"webinar": offer, "minutes": minutes, "on_demand": not live}),
            server=True,
        )

    def _background(self, start: dt.datetime, end: dt.datetime) -> None:
        rng = self.rng
        base = VISIT_RATE.get(self.stage, 0.02)
        at = start
        while True:
            at += dt.timedelta(days=rng.expovariate(base))
            if at >= end:
                return
            since = (at - (self.stage_since or at)).total_seconds() / 86400
            if rng.random() > max(0.3, 0.5 ** (since / 40)):
                continue
            moment = self._daytime(at, start, end)
            entry = self._entry(_weighted(rng, RETURNING), moment)
            self._session(moment, entry, form=self.stage in FORM_STAGES)

    def _emails(self, start: dt.datetime, end: dt.datetime) -> None:
        if self.email is None or self.identified_at is None or self.consent is None:
            return
        rng = self.rng
        first = bisect.bisect_left(self.send_times, start)
        last = bisect.bisect_left(self.send_times, end)
        for send in self.sends[first:last]:
            if self.unsubscribed or self.stage == "disqualified" or send.at < self.identified_at:
                continue
            if send.newsletter and not self.newsletter:
                continue
            if not send.newsletter and (self.consent is not True or self.stage not in NURTURE_STAGES):
                continue
            if rng.random() > (0.32 if send.newsletter else 0.24):
                continue
            opened = send.at + dt.timedelta(hours=min(96.0, rng.lognormvariate(math.log(2.5), 1.2)))
            email_id = f"{send.campaign.utm_campaign}-{send.at:%Y%m%d}"
            props = {"email_id": email_id, "email_subject": send.subject, "campaign_name": send.campaign.name}
            self._push(opened, self._server("Email Opened", props), server=True)
            if rng.random() > 0.18:
                continue
            clicked = opened + dt.timedelta(seconds=rng.uniform(5, 120))
            entry = Entry(campaign=send.campaign, source=send.campaign.utm_source, content=email_id)
            if send.newsletter:
                landing = rng.choice(list(BLOG)) if rng.random() < 0.7 else offer_path(send.campaign.offer)
            else:
                landing = _weighted(
                    rng,
                    (
                        (offer_path(send.campaign.offer), 40),
                        ("/customers/northwind", 25),
                        ("/pricing", 20),
                        ("/product/sla", 15),
                    ),
                )
            self._push(clicked, self._server("Email Clicked", {**props, "link_url": SITE + landing}), server=True)
            count = 1
            while count < 4 and rng.random() < 0.45:
                count += 1
            self._pages(clicked + dt.timedelta(seconds=rng.uniform(1.5, 6)), entry, self._walk(landing, count - 1))

    # -- what the journey places

    def _fit(
        self, start: dt.datetime, end: dt.datetime, gaps: list[dt.timedelta]
    ) -> tuple[dt.datetime, list[dt.timedelta]]:
        """Where a visit of `gaps` that ends at `end` starts, squeezed to start after `start` if need be."""
        total = sum(gaps, dt.timedelta())
        room = end - start
        if total >= room:
            scale = max(room.total_seconds() * 0.8, 0.0) / max(total.total_seconds(), 1e-6)
            gaps = [g * scale for g in gaps]
            total = sum(gaps, dt.timedelta())
        return end - total, gaps

    def _just_before(self, at: dt.datetime) -> dt.datetime:
        """A few seconds before `at`, and after everything placed so far."""
        moment = at - dt.timedelta(seconds=self.rng.uniform(3.0, 6.0))
        return moment if moment > self.generated else self.generated + (at - self.generated) / 2

    def _visit_entry(self, at: dt.datetime, returning: Sequence[tuple[str, float]]) -> Entry:
        """How the visit at `at` arrives: the lead source the first time, else one of `returning`."""
        if self.first_entry is None:
            self._earlier_visits(at)
        if self.first_entry is None:
            self.first_entry = self.first_entry_for(at)
            return self.first_entry
        return self._entry(_weighted(self.rng, returning), at)

    def _earlier_visits(self, at: dt.datetime) -> None:
        """Anonymous visits in the days before someone first says who they are (sources without a
        campaign: a campaign brings people straight to its landing page)."""
        rng = self.rng
        if self.lead_source in SOURCE_CHANNEL or self.known_at is not None or rng.random() > 0.45:
            return
        days = sorted((rng.uniform(0.5, 20) for _ in range(rng.randrange(1, 3))), reverse=True)
        for n, before in enumerate(days):
            moment = self._daytime(at - dt.timedelta(days=before), self.start, at - dt.timedelta(hours=2))
            if moment < self.start or moment <= self.generated:
                continue
            entry = (
                self.first_entry_for(moment)
                if self.first_entry is None
                else self._entry(_weighted(rng, RETURNING), moment)
            )
            self.first_entry = self.first_entry or entry
            count = 1
            while count < 4 and rng.random() < 0.45:
                count += 1
            self._pages(moment, entry, self._walk(self._landing(entry), count - 1))
            self.generated = moment + dt.timedelta(minutes=30 + n)

    def first_visit(self, at: dt.datetime) -> None:
        """The first page view, just before `at` (the visitor stage change), and the rest of that visit."""
        entry = self.first_entry_for(at)
        self.first_entry = entry
        count = 1
        while count < 5 and self.rng.random() < 0.5:
            count += 1
        pages = self._walk(self._landing(entry), count - 1)
        self._pages(at - dt.timedelta(seconds=self.rng.uniform(1.0, 3.0)), entry, pages)
        self.generated = max(self.generated, at)

    def form(self, at: dt.datetime, *, offer: str | None = None, entry: Entry | None = None) -> None:
        """A visit that ends with a form submission a few seconds before `at` (the move it explains)."""
        rng = self.rng
        entry = entry or self._visit_entry(at, RETURNING)
        if offer is None:
            campaign = entry.campaign
            offer = campaign.offer if campaign is not None and campaign.channel != "email" else self._offer_for_source()
        landing = self._landing(entry)
        target = offer_path(offer)
        pages = [landing] if landing == target else [landing, target]
        if landing != target and rng.random() < 0.35:
            middle = _weighted(rng, EARLY_WALK)
            if middle not in pages:
                pages.insert(1, middle)
        submit = self._just_before(at)
        gaps = [self._dwell() for _ in pages]  # the last one: reading the offer page and filling in the form
        start, gaps = self._fit(max(self.generated, submit - dt.timedelta(hours=2)), submit, gaps)
        self.advance(start)
        _, page, campaign_ctx = self._pages(start, entry, pages, gaps=gaps[:-1])
        self._form_messages(submit, page, campaign_ctx, offer, identify=self.identified_at is None)
        self._identified(submit)
        self.generated = max(self.generated, at)

    def subscribe(self, at: dt.datetime) -> None:
        """A newsletter sign-up a few seconds before `at`: an identify and a Subscribed event."""
        rng = self.rng
        entry = self._visit_entry(at, (("direct", 50), ("organic", 30), ("social", 20)))
        pages = [self._landing(entry)]
        if entry.campaign is not None or rng.random() < 0.5:
            pages.append(rng.choice([p for p in BLOG if p != pages[0]]))
        submit = self._just_before(at)
        gaps = [self._dwell() for _ in pages]
        start, gaps = self._fit(max(self.generated, submit - dt.timedelta(hours=1)), submit, gaps)
        self.advance(start)
        _, page, campaign_ctx = self._pages(start, entry, pages, gaps=gaps[:-1])
        self._push(submit, self._web("identify", page, campaign_ctx, traits=dict(self.traits)))
        self._push(
            submit + dt.timedelta(milliseconds=rng.randrange(400, 900)),
            self._web("track", page, campaign_ctx, event="Subscribed", properties={"list": "Newsletter"}),
        )
        self.newsletter = True
        self._identified(submit)
        self.generated = max(self.generated, at)

    def engage(self, at: dt.datetime, *, kinds: Sequence[tuple[str, float]]) -> None:
        """Interest building up to `at` (an MQL): a visit or two in the days before, and the event
        that tips it a few seconds before `at`: a demo request, an offer, or the pricing page."""
        rng = self.rng
        for _ in range(rng.randrange(0, 3)):
            earliest = max(self.generated, at - dt.timedelta(days=6))
            moment = earliest + (at - dt.timedelta(hours=1) - earliest) * rng.random()
            if moment <= earliest:
                continue
            self.advance(moment)
            entry = self._entry(
                _weighted(rng, (("direct", 50), ("organic", 25), ("paid_search", 10), ("referral", 15))), moment
            )
            pages = [self._landing(entry)]
            if pages[0] != "/pricing":
                pages.append("/pricing")
            self._pages(moment, entry, pages)
            self.generated = max(self.generated, moment + dt.timedelta(minutes=30))
        kind = _weighted(rng, kinds)
        if kind in ("demo", "content"):
            entry = self._entry(
                _weighted(rng, (("direct", 55), ("organic", 20), ("paid_search", 15), ("referral", 10))), at
            )
            self.form(at, offer=DEMO_OFFER if kind == "demo" else rng.choice(CONTENT_OFFERS), entry=entry)
            return
        entry = self._entry(_weighted(rng, (("direct", 60), ("organic", 25), ("referral", 15))), at)
        pages = [self._landing(entry)]
        for path in ("/customers", "/pricing"):
            if path != pages[-1]:
                pages.append(path)
        last = self._just_before(at)
        gaps = [self._dwell() for _ in pages[1:]]
        start, gaps = self._fit(max(self.generated, last - dt.timedelta(hours=1)), last, gaps)
        self.advance(start)
        self._pages(start, entry, pages, gaps=gaps)
        self.generated = max(self.generated, at)

    def _offer_for_source(self) -> str:
        return self.rng.choice(SOURCE_OFFERS.get(self.lead_source, CONTENT_OFFERS))

    def _identified(self, at: dt.datetime) -> None:
        if self.identified_at is not None or self.email is None:
            return
        self.identified_at = at
        if self.known_at is None:
            self.identities.append(IdentitySeed("anonymous", self.anonymous_id, at))
        self.identities.append(IdentitySeed("user", self.email, at))
        if self.consent is True:
            self.consent_at = at
            self.newsletter = self.newsletter or self.rng.random() < 0.4
        elif self.consent is False:
            self.consent_at = at
            if self.rng.random() < 0.5:  # opted in at first, unsubscribed later
                self.newsletter = True
                self._unsubscribe(at + dt.timedelta(days=self.rng.uniform(5, 60)))

    def _unsubscribe(self, at: dt.datetime) -> None:
        if at > self.now:
            return
        page = {
            "path": "/email-preferences",
            "referrer": "",
            "search": "",
            "title": title("/email-preferences"),
            "url": SITE + "/email-preferences",
        }

        def done() -> None:
            self.unsubscribed = True
            self.consent_at = at

        self._push(at, self._web("page", page, None, properties=dict(page)))
        self._push(
            at + dt.timedelta(seconds=self.rng.uniform(4, 25)),
            self._web("track", page, None, event="Unsubscribed", properties={"list": "all"}),
            then=done,
        )


# Offers each lead source usually pulls people in with, when no campaign names one.
SOURCE_OFFERS: dict[str, tuple[str, ...]] = {
    "Organic search": (
        "State of RevOps report",
        "Lead scoring guide",
        "Funnel math calculator",
        "MQL definition workbook",
        "Sales and marketing SLA template",
    ),
    "Organic social": ("State of RevOps report", "Lead scoring guide", "MQL definition workbook"),
    "Referral": ("Demo request", "Case study: How Northwind doubled SQLs", "Product tour video"),
    "Direct": ("Demo request", "Product tour video", "Case study: How Northwind doubled SQLs"),
    "Email": ("Webinar: Fixing the hand-off", "Case study: How Northwind doubled SQLs", "MQL definition workbook"),
}


# --------------------------------------------------------------------------- visitors who never said who they are


def stray_visits(
    rng: random.Random, count: int, *, start: dt.datetime, now: dt.datetime, campaigns: Sequence[CampaignSeed]
) -> list[Message]:
    """Page views of `count` browsers that never said who they are: no contact, only an anonymous id."""
    messages: list[Message] = []
    for _ in range(count):
        first = start + (now - start) * (rng.random() ** 0.7)
        visitor = Activity(
            rng,
            start=start,
            now=now,
            campaigns=campaigns,
            sends=(),
            lead_source="",
            email=None,
            traits={},
            consent=None,
            country=_weighted(rng, STRAY_COUNTRIES),
        )
        moment = first
        for _ in range(1 if rng.random() < 0.7 else rng.randrange(2, 4)):
            if moment > now:
                break
            entry = visitor._entry(_weighted(rng, STRAY_ENTRIES), moment)
            pages = 1
            while pages < 4 and rng.random() < 0.4:
                pages += 1
            visitor._pages(moment, entry, visitor._walk(visitor._landing(entry), pages - 1))
            moment += dt.timedelta(days=rng.expovariate(1 / 9))
        visitor.finish()
        messages.extend(visitor.messages)
    return messages


STRAY_COUNTRIES = (("US", 50), ("GB", 12), ("DE", 8), ("CA", 6), ("IN", 8), ("AU", 5), ("FR", 5), ("BR", 6))
STRAY_ENTRIES = (
    ("organic", 45),
    ("direct", 20),
    ("social", 12),
    ("referral", 8),
    ("paid_social", 9),
    ("paid_search", 6),
)
