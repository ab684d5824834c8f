"""Companies and people for the demo: plausible, varied, consistent with each other and unique."""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from accord.demo.domain import campaigns as calendar
from accord.demo.domain import people, words
from accord.demo.domain.campaigns import CampaignSeed

T = TypeVar("T")

WINDOW_DAYS = 182  # the demo's history covers the last six months
SENIORITIES = ("individual", "manager", "director", "vp", "c_level")
# employees: (weight, smallest, largest). Many small companies, few large ones.
SIZE_BUCKETS = ((18, 5, 19), (21, 20, 49), (26, 50, 199), (20, 200, 999), (10, 1000, 4999), (5, 5000, 20000))
ENTERPRISE_EMPLOYEES = 1000  # accounts this large have an account executive as owner
EMAIL_PATTERNS = (("first.last", 58), ("flast", 22), ("firstl", 8), ("first_last", 6), ("last.first", 6))


@dataclass
class CompanySeed:
    name: str
    domain: str
    industry: str
    employees: int
    annual_revenue: Decimal | None
    country: str
    owner: str | None  # a demo user's email
    email_pattern: str
    created_at: dt.datetime  # moved to just before its first person arrives, once people are known

    @property
    def segment(self) -> str:
        if self.employees >= ENTERPRISE_EMPLOYEES:
            return "Enterprise"
        return "Mid-market" if self.employees >= 200 else "SMB"


@dataclass
class PersonSeed:
    index: int  # the order it was drawn in; its journey's random stream is keyed by it
    email: str | None
    first_name: str
    last_name: str
    title: str
    seniority: str
    phone: str
    country: str
    company: int | None  # index into the plan's companies
    consent: bool | None
    lead_source: str
    created_at: dt.datetime
    properties: dict[str, Any]
    fit_score: int | None = None
    fit_grade: str = ""
    interest_score: float | None = None
    owner: str | None = None  # the email of the rep who worked the contact's latest hand-off
    moves: list[Any] = field(default_factory=list)  # journeys.MoveSeed
    handoffs: list[Any] = field(default_factory=list)  # sales.HandoffSeed, one per move into MQL
    deals: list[Any] = field(default_factory=list)  # sales.DealSeed
    messages: list[Any] = field(default_factory=list)  # tracking.domain.Message, in time order
    identities: list[Any] = field(default_factory=list)  # activity.IdentitySeed
    attribution: Any = None  # activity.Attribution, from the messages
    consent_at: dt.datetime | None = None

    @property
    def anonymous(self) -> bool:
        return self.email is None


def pick(rng: random.Random, weighted: Mapping[str, float] | Sequence[tuple[str, float]]) -> str:
    items = list(weighted.items()) if isinstance(weighted, Mapping) else list(weighted)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def ascii_slug(text: str) -> str:
    """'Müller-Lüdenscheidt' -> 'mullerludenscheidt': what an email or a domain would use."""
    text = text.translate(_SPECIAL)
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


_SPECIAL = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "đ": "d"})


# --------------------------------------------------------------------------- companies


class _Names:
    """Hands out company names and domains that nobody has used yet."""

    def __init__(self, taken_domains: set[str]) -> None:
        self.names: set[str] = set()
        self.domains = set(taken_domains)

    def claim(self, name: str, domain: str) -> bool:
        if name.casefold() in self.names or domain in self.domains:
            return False
        self.names.add(name.casefold())
        self.domains.add(domain)
        return True


def _company_name(rng: random.Random, industry: str, country: str) -> tuple[str, str]:
    """A (name, domain) pair; the domain is derived from the name and the country."""
    tld = words.TLDS[country] if rng.random() < 0.5 or country == "US" else "com"
    if industry == "Government":
        city = rng.choice(words.CITIES[country])
        style = rng.random()
        if country == "US":
            name = f"City of {city}" if style < 0.5 else f"{city} County"
            slug = f"cityof{ascii_slug(city)}" if style < 0.5 else f"{ascii_slug(city)}county"
        else:
            name = f"{city} City Council" if country in {"GB", "IE", "AU"} else f"{city} Regional Authority"
            slug = ascii_slug(city) + ("council" if style < 0.5 else "")
        return name, f"{slug}.{words.GOVERNMENT_TLDS.get(country, words.TLDS[country])}"
    endings = words.INDUSTRIES[industry][2]
    if industry == "Education" and rng.random() < 0.5:
        city = rng.choice(words.CITIES[country])
        ending = rng.choice(("University", "College", "Community College", "Institute of Technology"))
        name = f"{city} {ending}"
        short = {"University": "u", "College": "college", "Community College": "cc", "Institute of Technology": "tech"}
        edu = {"US": "edu", "GB": "ac.uk", "AU": "edu.au", "IN": "ac.in"}.get(country, words.TLDS[country])
        return name, f"{ascii_slug(city)}{short[ending]}.{edu}"
    if rng.random() < 0.3:
        root = rng.choice(words.COMPOUND_HEADS) + rng.choice(words.COMPOUND_TAILS)
    else:
        root = rng.choice(words.COMPANY_ROOTS)
    ending = rng.choice(endings)
    name = f"{root} {ending}"
    slug = ascii_slug(name)
    if len(slug) > 20:
        word = ending.split()[0]
        slug = ascii_slug(root) + _SHORT_ENDINGS.get(word, ascii_slug(word))
    return name, f"{slug}.{tld}"


_SHORT_ENDINGS = {
    "Technologies": "tech", "Therapeutics": "tx", "Diagnostics": "dx", "Biosciences": "bio", "Manufacturing": "mfg",
    "Components": "parts", "Fabrication": "fab", "Machinery": "machines", "Distribution": "dist", "Publishing": "books",
    "Broadcasting": "tv", "Entertainment": "ent", "Insurance": "ins", "Financial": "fin", "Payments": "pay",
    "Analytics": "data", "Logistics": "log", "Transport": "go", "Education": "edu", "Consulting": "consult",
    "Associates": "assoc", "Solutions": "hq", "Outfitters": "outdoors", "Materials": "mat", "Precision": "pr",
    "Medical": "med", "Clinics": "clinic", "Partners": "hq", "Advisory": "advice", "Shipping": "ship",
}


def _employees(rng: random.Random, industry: str) -> int:
    buckets = SIZE_BUCKETS[2:] if industry == "Government" else SIZE_BUCKETS
    _, low, high = rng.choices(buckets, weights=[b[0] for b in buckets])[0]
    return int(math.exp(rng.uniform(math.log(low), math.log(high + 1))))


def companies(
    rng: random.Random, count: int, taken_domains: set[str], *, window_start: dt.datetime
) -> list[CompanySeed]:
    names = _Names(taken_domains)
    industries = {name: spec[0] for name, spec in words.INDUSTRIES.items()}
    countries = {code: spec[0] for code, spec in words.COUNTRIES.items()}
    government_countries = {"US": 60, "GB": 15, "CA": 10, "AU": 10, "IN": 5}
    result: list[CompanySeed] = []
    next_ae = 0
    for _ in range(count):
        industry = pick(rng, industries)
        country = pick(rng, government_countries if industry == "Government" else countries)
        for attempt in range(40):
            name, domain = _company_name(rng, industry, country)
            if attempt >= 30:  # a crowded namespace: tell twins apart the way companies do
                qualifier = rng.choice(("Group", "Holdings", "International", "Global", "Partners"))
                label, tld = domain.split(".", 1)
                name, domain = f"{name} {qualifier}", f"{label}{qualifier.lower()}.{tld}"
            if names.claim(name, domain):
                break
        else:
            serial = len(result) + 1
            label, tld = domain.split(".", 1)
            name, domain = f"{name} {serial}", f"{label}{serial}.{tld}"
            names.claim(name, domain)
        employees = _employees(rng, industry)
        per_employee = words.INDUSTRIES[industry][1]
        noise = rng.lognormvariate(0, 0.3)
        revenue = None if not per_employee else Decimal(int(round(employees * per_employee * noise, -3)))
        owner = None
        if employees >= ENTERPRISE_EMPLOYEES:
            owner = people.ACCOUNT_EXECUTIVES[next_ae % len(people.ACCOUNT_EXECUTIVES)]
            next_ae += 1
        pattern = "first" if employees < 20 and rng.random() < 0.5 else pick(rng, EMAIL_PATTERNS)
        result.append(
            CompanySeed(
                name=name, domain=domain, industry=industry, employees=employees, annual_revenue=revenue,
                country=country, owner=owner, email_pattern=pattern,
                created_at=window_start + dt.timedelta(seconds=rng.uniform(0, WINDOW_DAYS * 86400)),
            )
        )
    return result


# --------------------------------------------------------------------------- people


def _seniority(rng: random.Random, employees: int | None) -> str:
    if employees is None:
        weights = (50, 25, 12, 6, 7)
    elif employees < 50:
        weights = (30, 20, 12, 8, 30)
    elif employees < ENTERPRISE_EMPLOYEES:
        weights = (40, 28, 17, 10, 5)
    else:
        weights = (45, 30, 15, 8, 2)
    return rng.choices(SENIORITIES, weights=weights)[0]


def _title(rng: random.Random, seniority: str, employees: int | None) -> str:
    if seniority == "c_level" and employees is not None and employees < 50 and rng.random() < 0.6:
        return rng.choice(words.FOUNDER_TITLES)
    function = pick(rng, {name: spec[0] for name, spec in words.TITLES.items()})
    return rng.choice(words.TITLES[function][1][seniority])


def _phone(rng: random.Random, country: str) -> str:
    if country in {"US", "CA"}:
        area = rng.choice(words.US_AREA_CODES if country == "US" else words.CA_AREA_CODES)
        return f"+1 {area} 555 01{rng.randrange(100):02d}"  # 555-01xx: numbers reserved for fiction
    if country == "GB":
        return f"+44 20 7946 0{rng.randrange(1000):03d}"  # the range Ofcom keeps for drama
    if country == "AU":
        return f"+61 2 5550 {rng.randrange(10000):04d}"
    digits = "".join(str(rng.randrange(10)) for _ in range(9))
    return f"+{words.CALLING_CODES[country]} {digits[:3]} {digits[3:6]} {digits[6:]}"


def _local_part(pattern: str, first: str, last: str) -> str:
    f, last_slug = ascii_slug(first), ascii_slug(last)
    return {
        "first.last": f"{f}.{last_slug}",
        "flast": f"{f[:1]}{last_slug}",
        "first": f,
        "firstl": f"{f}{last_slug[:1]}",
        "first_last": f"{f}_{last_slug}",
        "last.first": f"{last_slug}.{f}",
    }[pattern]


class _Mailboxes:
    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)

    def claim(self, local: str, domain: str) -> str:
        candidate, n = f"{local}@{domain}", 1
        while candidate in self.taken:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.taken.add(candidate)
        return candidate


SOURCES_WEIGHTS = {
    "Organic search": 22, "Paid search": 12, "Paid social": 16, "Webinar": 11, "Referral": 6,
    "Events": 8, "Content syndication": 10, "Email": 8, "Partner": 7, "Organic social": 5, "Direct": 6,
}
# Lead sources that campaigns on dates bring in (a webinar, a trade show): those people arrive then.
DATED_SOURCES = {"Webinar": "webinar", "Events": "event"}


def person(
    rng: random.Random,
    index: int,
    companies: list[CompanySeed],
    cumulative_weights: list[float],
    counts: list[int],
    mailboxes: _Mailboxes,
    *,
    window_start: dt.datetime,
    campaigns: Sequence[CampaignSeed] = (),
) -> PersonSeed:
    """One person: anonymous visitor, free-mail sign-up or someone at one of the companies.

    `lead_source` says how they first came; the journey's first touch follows it, and people a
    dated campaign brings in (a webinar, a trade show) arrive while it runs."""
    kind = rng.random()
    # Slightly more people arrive recently: the funnel grows.
    created_at = window_start + dt.timedelta(seconds=WINDOW_DAYS * 86400 * (rng.random() ** 0.8))
    source = pick(rng, SOURCES_WEIGHTS)
    channel = DATED_SOURCES.get(source)
    if channel and campaigns and not any(c.channel == channel and c.running(created_at.date()) for c in campaigns):
        window_end = window_start + dt.timedelta(days=WINDOW_DAYS)
        created_at = calendar.dated_moment(rng, campaigns, channel, window_start, window_end) or created_at
    if kind < 0.05:
        return PersonSeed(
            index=index, email=None, first_name="", last_name="", title="", seniority="", phone="",
            country=pick(rng, {c: spec[0] for c, spec in words.COUNTRIES.items()}), company=None, consent=None,
            lead_source=source, created_at=created_at, properties={"lead_source": source},
        )
    company_index: int | None = None
    if kind >= 0.16:
        for _ in range(5):
            company_index = rng.choices(range(len(companies)), cum_weights=cumulative_weights)[0]
            if counts[company_index] < companies[company_index].employees:
                break
        assert company_index is not None
        counts[company_index] += 1
    company = companies[company_index] if company_index is not None else None
    if company is not None:
        country = company.country if rng.random() < 0.94 else pick(rng, {c: s[0] for c, s in words.COUNTRIES.items()})
    else:
        country = pick(rng, {c: spec[0] for c, spec in words.COUNTRIES.items()})
    culture = pick(rng, words.COUNTRIES[country][1])
    first = rng.choice(words.FIRST_NAMES[culture])
    last = rng.choice(words.LAST_NAMES[culture])
    seniority = _seniority(rng, company.employees if company else None)
    title = _title(rng, seniority, company.employees if company else None)
    if company is not None:
        email = mailboxes.claim(_local_part(company.email_pattern, first, last), company.domain)
    else:
        style = rng.choice(("first.last", "firstlast", "first_last", "flast"))
        local = {
            "first.last": f"{ascii_slug(first)}.{ascii_slug(last)}",
            "firstlast": f"{ascii_slug(first)}{ascii_slug(last)}{rng.randrange(10, 99)}",
            "first_last": f"{ascii_slug(first)}_{ascii_slug(last)}",
            "flast": f"{ascii_slug(first)[:1]}{ascii_slug(last)}{rng.randrange(1970, 2004)}",
        }[style]
        email = mailboxes.claim(local, pick(rng, words.FREE_MAIL))
    phone = _phone(rng, country) if rng.random() < 0.65 else ""
    consent_draw = rng.random()
    consent = True if consent_draw < 0.84 else (False if consent_draw < 0.90 else None)
    properties: dict[str, Any] = {"lead_source": source}
    return PersonSeed(
        index=index, email=email, first_name=first, last_name=last, title=title, seniority=seniority,
        phone=phone, country=country, company=company_index, consent=consent, lead_source=source,
        created_at=created_at, properties=properties,
    )


def population(
    rng: random.Random, count: int, companies: list[CompanySeed], taken_emails: set[str], *, window_start: dt.datetime,
    campaigns: Sequence[CampaignSeed] = (),
) -> list[PersonSeed]:
    weights = [c.employees**0.35 for c in companies]
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    counts = [0] * len(companies)
    mailboxes = _Mailboxes(taken_emails)
    return [
        person(rng, i, companies, cumulative, counts, mailboxes, window_start=window_start, campaigns=campaigns)
        for i in range(count)
    ]


# --------------------------------------------------------------------------- facts and fit


def profile_facts(seed: PersonSeed, company: CompanySeed | None) -> dict[str, Any]:
    """The facts `accord.contacts.queries.contact_facts` would give for this person, before scores."""
    email_domain = seed.email.rpartition("@")[2] if seed.email else ""
    facts: dict[str, Any] = {
        "contact.email": seed.email,
        "contact.email_domain": email_domain,
        "contact.first_name": seed.first_name,
        "contact.last_name": seed.last_name,
        "contact.title": seed.title,
        "contact.seniority": seed.seniority,
        "contact.phone": seed.phone,
        "contact.country": seed.country,
        "contact.stage": "",
        "contact.consent": seed.consent,
        "contact.owner": None,
        "contact.days_in_stage": None,
        "contact.forms_submitted": 0,
        "contact.open_deals": 0,
        "contact.won_deals": 0,
        "contact.nurture_stopped": False,
        "contact.first_source": "",
        "contact.first_medium": "",
        "contact.first_campaign": "",
        "contact.first_offer": "",
        "contact.last_source": "",
        "contact.last_medium": "",
        "contact.last_campaign": "",
        "contact.last_offer": "",
        "contact.properties": seed.properties,
        "score.fit": None,
        "score.grade": None,
        "score.interest": None,
        "score.quadrant": None,
    }
    if company is not None:
        facts.update(
            {
                "account.name": company.name,
                "account.domain": company.domain,
                "account.industry": company.industry,
                "account.employees": company.employees,
                "account.annual_revenue": float(company.annual_revenue) if company.annual_revenue is not None else None,
                "account.country": company.country,
                "account.owner": company.owner,
                "account.properties": {"segment": company.segment},
            }
        )
    return facts
