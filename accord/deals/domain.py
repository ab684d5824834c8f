"""Money and the deal's stages as pure rules: amounts in minor units, currencies by ISO 4217."""

from __future__ import annotations

import decimal
import enum

# ISO 4217 codes and the digits of their minor unit (a yen has none, a dinar three).
_TWO = "AED AUD BRL CAD CHF CNY CZK DKK EUR GBP HKD HUF ILS INR MXN MYR NOK NZD PHP PLN RON SAR SEK SGD THB TRY USD ZAR"
CURRENCIES: dict[str, int] = {
    **dict.fromkeys(_TWO.split(" "), 2),
    **dict.fromkeys(("JPY", "KRW", "CLP", "ISK", "VND"), 0),
    **dict.fromkeys(("BHD", "KWD", "OMR", "JOD", "TND"), 3),
}
MAX_MINOR = 10**15  # a thousand billion in major units of a two-digit currency: far beyond any deal


class DealStage(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


def currency_of(value: object) -> str:
    """'usd' -> 'USD'; ValueError for anything not an ISO 4217 code Accord knows."""
    if not isinstance(value, str) or value.strip().upper() not in CURRENCIES:
        raise ValueError(f"unknown currency {str(value)[:10]!r}; use an ISO 4217 code such as USD, EUR or GBP")
    return value.strip().upper()


def minor_units(amount: object, currency: str) -> int:
    """An amount in major units ('1250.50', 1250.5, 1250) as whole minor units of `currency`;
    ValueError for a negative, non-numeric or too precise amount, or one beyond MAX_MINOR."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float, str, decimal.Decimal)):
        raise ValueError("must be a number, such as 12500 or '12500.00'")
    try:
        value = decimal.Decimal(str(amount).strip())
    except decimal.InvalidOperation:
        raise ValueError(f"{str(amount)[:30]!r} is not a number") from None
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value < 0:
        raise ValueError("must not be negative")
    digits = CURRENCIES[currency]
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"{currency} has {digits} decimal places; {str(amount)[:30]} has more")
    if minor > MAX_MINOR:
        raise ValueError("is too large")
    return int(minor)


def major_units(minor: int, currency: str) -> decimal.Decimal:
    """Whole minor units back as a decimal amount of `currency`: 125050, 'USD' -> 1250.50."""
    digits = CURRENCIES.get(currency, 2)
    return decimal.Decimal(minor).scaleb(-digits).quantize(decimal.Decimal(1).scaleb(-digits))
