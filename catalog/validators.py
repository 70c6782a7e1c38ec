import zoneinfo
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import get_currency_precision, list_currencies
from django.core.exceptions import ValidationError

# Top-level URL segments that a city slug must not shadow (the city page lives at /<city>/).
RESERVED_SLUGS = frozenset(
    {"admin", "api", "shows", "static", "media", "healthz", "readyz", "metrics", "holds",
     "bookings", "waitlist", "ws", "favicon.ico", "robots.txt", "i18n", "jsi18n", "staff"}
)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_timezone(name: str) -> bool:
    return name in _timezones()


def is_currency(code: str) -> bool:
    return code in _currencies()


def validate_timezone(name: str) -> None:
    if not is_timezone(name):
        raise ValidationError(f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)")


def validate_currency(code: str) -> None:
    if not is_currency(code):
        raise ValidationError(f"unknown currency {code!r} (use an ISO 4217 code such as USD)")


def validate_city_slug(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise ValidationError(f"{slug!r} is reserved for the site's own pages")


def validate_amount(amount: Decimal, currency: str, *, zero_allowed: bool = False) -> None:
    """A price must be positive (or, where told, zero) and use no more decimals than the
    currency has."""
    if amount < 0 or (amount == 0 and not zero_allowed):
        raise ValidationError(f"{amount} must be greater than zero")
    exponent = amount.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if is_currency(currency) and decimals > get_currency_precision(currency):
        raise ValidationError(f"{amount} has more decimals than {currency} allows")


@cache
def languages() -> dict[str, str]:
    """ISO 639-1 codes (two letters) and their English names."""
    return {code: name for code, name in Locale("en").languages.items() if len(code) == 2}


def is_language(code: object) -> bool:
    return isinstance(code, str) and code in languages()


def validate_language(code: str) -> None:
    if code and not is_language(code):
        raise ValidationError(f"{code!r} is not a language code (ISO 639-1, e.g. en or fr)")
