"""Reading one cell: countries, times, yes/no, numbers, amounts, Salesforce ids, source names,
and the type a custom-property column holds. Each returns None when the text is not one."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable

import pycountry

from accord.contacts.domain import PropertyType

# Names CRMs export that ISO 3166 does not list as a name of the country (pycountry knows the
# official and common English names, and the alpha-2 and alpha-3 codes).
_LOCAL_NAMES: dict[str, str] = {
    "america": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "méxico": "MX",
    "brasil": "BR",
    "holland": "NL",
    "the netherlands": "NL",
    "nederland": "NL",
    "deutschland": "DE",
    "españa": "ES",
    "italia": "IT",
    "schweiz": "CH",
    "suisse": "CH",
    "österreich": "AT",
    "russia": "RU",
    "turkey": "TR",
    "uae": "AE",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "ivory coast": "CI",
    "macedonia": "MK",
    "czech republic": "CZ",
    "vietnam": "VN",
    "people's republic of china": "CN",
    "prc": "CN",
}
_CODES = frozenset(country.alpha_2 for country in pycountry.countries)


def country_code(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country name or code (alpha-2 or alpha-3) in any case;
    None when it is not one. The same in every format: `India`, `in`, `IND` → IN."""
    text = " ".join(value.split())
    if not text:
        return None
    folded = text.casefold()
    if folded in _LOCAL_NAMES:
        return _LOCAL_NAMES[folded]
    if len(text) == 2:
        return text.upper() if text.upper() in _CODES else None
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


# --- times ---------------------------------------------------------------------------------------

EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
_SLASHED = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)  # 3/5/2024, 3/5/2024 2:22 PM, 03/05/2024 14:22:00
_EPOCH_MS = re.compile(r"^\d{12,13}$")  # HubSpot's internal exports: milliseconds since 1970


def parse_moment(value: str) -> dt.datetime | None:
    """An aware UTC time from the ways CRMs export one; None when it is not a time.

    ISO 8601 (`2024-03-05`, `2024-03-05 14:22`, `2024-03-05T14:22:00Z`), slashed dates as
    HubSpot and Salesforce write them in the US (`3/5/2024 2:22 PM` is 5 March; a first number
    above 12 is read as the day), and milliseconds since 1970. A time without a zone is UTC.
    Before 1970 or past 9999 is not a time Accord keeps.
    """
    text = value.strip()
    parsed: dt.datetime | None = None
    if _EPOCH_MS.match(text):
        try:
            parsed = dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)
        except (OverflowError, ValueError, OSError):
            return None
    elif match := _SLASHED.match(text):
        first, second, year, hour, minute, second_of_minute, half = match.groups()
        month, day = int(first), int(second)
        if month > 12 >= day:
            month, day = day, month
        hours = int(hour or 0)
        if half:
            if not 1 <= hours <= 12:
                return None
            hours = hours % 12 + (12 if half.lower() == "pm" else 0)
        try:
            parsed = dt.datetime(int(year), month, day, hours, int(minute or 0), int(second_of_minute or 0))
        except ValueError:
            return None
    else:
        try:
            parsed = dt.datetime.fromisoformat(text.replace(" UTC", "Z"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        parsed = parsed.astimezone(dt.UTC)
    except OverflowError:
        return None
    return parsed if EARLIEST <= parsed <= LATEST else None


# --- yes / no, numbers, amounts --------------------------------------------------------------------

_TRUE = frozenset({"true", "yes", "y", "1", "t", "on", "checked"})
_FALSE = frozenset({"false", "no", "n", "0", "f", "off", "unchecked"})
_WORDS = frozenset({"true", "false", "yes", "no"})
_CURRENCY = re.compile(r"^(?:[A-Z]{3}\s*)?[$€£¥]?\s*(.*?)\s*(?:[A-Z]{3})?$")


def parse_bool(value: str) -> bool | None:
    text = value.strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def parse_whole_number(value: str) -> int | None:
    """'1,200' → 1200, '1200.0' → 1200; None when it is not a whole number."""
    number = _decimal(value.strip().replace(",", "").replace("_", "").replace(" ", ""))
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def parse_number(value: str) -> int | float | None:
    """A number as JSON stores it: '1,200' → 1200, '3.5' → 3.5; None when it is not one."""
    try:
        whole = int(value)  # the common case, without Decimal
    except ValueError:
        pass
    else:
        return whole if abs(whole) < 10**15 else None
    number = _decimal(value.strip().replace(",", "").replace("_", ""))
    if number is None or abs(number) >= 10**15:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def parse_amount(value: str) -> str | None:
    """'$1,200,000.00' or 'EUR 5000' → '1200000.00' / '5000'; None when it is not an amount."""
    match = _CURRENCY.match(value.strip())
    text = (match.group(1) if match else value).replace(",", "").replace(" ", "")
    return text if _decimal(text) is not None else None


def _decimal(text: str) -> decimal.Decimal | None:
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None


# --- custom properties -------------------------------------------------------------------------------

_TYPE_ORDER = (PropertyType.BOOLEAN, PropertyType.NUMBER, PropertyType.DATE)


def typed_value(value: str, kind: PropertyType) -> str | int | float | bool | None:
    """The value stored for a property of this type; None when the text is not of the type."""
    if kind is PropertyType.TEXT:
        return value
    if kind is PropertyType.BOOLEAN:
        return parse_bool(value)
    if kind is PropertyType.NUMBER:
        return parse_number(value)
    moment = parse_moment(value)
    if moment is None:
        return None
    if moment.time() == dt.time(0) and len(value.strip()) <= 10:
        return moment.date().isoformat()
    return moment.isoformat().replace("+00:00", "Z")


def infer_type(values: Iterable[str]) -> PropertyType:
    """The narrowest type every non-empty value of a column reads as; text when they disagree.
    Yes/no is tried before numbers, so a column of 0 and 1 stays a number only when it holds
    other numbers too."""
    seen = [value for value in values if value.strip()]
    if not seen:
        return PropertyType.TEXT
    for kind in _TYPE_ORDER:
        if kind is PropertyType.BOOLEAN:
            # Only the words: a column of 0 and 1 is more likely a count, of y and n more likely codes.
            if all(value.strip().casefold() in _WORDS for value in seen):
                return kind
        elif all(typed_value(value, kind) is not None for value in seen):
            return kind
    return PropertyType.TEXT


# --- ids and names ------------------------------------------------------------------------------------

_SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_SALESFORCE_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_NOT_A_NAME = re.compile(r"[^0-9a-z]+")
_FOLD = re.compile(r"[\s_\-]+")


def salesforce_id18(value: str) -> str | None:
    """The 18-character, case-safe form of a 15- or 18-character Salesforce id; None otherwise."""
    if not _SALESFORCE_ID.match(value):
        return None
    if len(value) == 18:
        return value
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(value[start : start + 5]) if "A" <= char <= "Z")
        suffix += _SALESFORCE_SUFFIX[bits]
    return value + suffix


def salesforce_id_forms(value: str) -> tuple[str, ...]:
    """The ways a Salesforce id may be stored: its 18-character form and its 15-character form."""
    return (value, value[:15]) if len(value) == 18 and _SALESFORCE_ID.match(value) else (value,)


# Salesforce's key prefixes: the first three characters of an id name its object.
SALESFORCE_PREFIXES = {"00Q": "lead", "003": "contact", "001": "account", "005": "user"}


def salesforce_object(value: str) -> str | None:
    return SALESFORCE_PREFIXES.get(value[:3])


def snake_name(text: str) -> str:
    """'Original Source Drill-Down 1' → original_source_drill_down_1."""
    return _NOT_A_NAME.sub("_", text.casefold()).strip("_")


def fold_source(text: str) -> str:
    """How reports compare source names: `Google`, `google ` and `GOOGLE` are one source, and
    HubSpot's `ORGANIC_SEARCH` is `Organic Search`. The text as written is what is stored."""
    return _FOLD.sub(" ", text).strip().casefold()


def person_key(first_name: str, last_name: str, company: str) -> str | None:
    """Who a row without an email or a CRM id is: the name and the company, compared without
    case or spacing; None without a company or without any name (too little to know a person by)."""
    first, last, account = (" ".join(part.split()).casefold() for part in (first_name, last_name, company))
    return f"{first}|{last}|{account}" if account and (first or last) else None
