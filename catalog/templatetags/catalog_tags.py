from datetime import datetime
from decimal import Decimal

from babel.numbers import format_currency
from django import template
from django.utils import timezone

from catalog import show_attributes as attributes
from ticketing import i18n
from ticketing.i18n import _, babel_locale

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """12.5, "USD" -> "$12.50"; 1800, "JPY" -> "¥1,800"."""
    if amount is None:
        return ""
    return format_currency(amount, currency, locale=babel_locale())


@register.filter
def in_zone(value: datetime, tz) -> datetime:
    """A UTC datetime shown in a cinema's own time zone."""
    return timezone.localtime(value, tz)


STATE_SYMBOLS = {"available": "", "held": "◷", "booked": "✕", "blocked": "⊘"}
CATEGORY_SYMBOLS = {"standard": "", "premium": "★", "accessible": "♿", "companion": "+"}


@register.filter
def state_symbol(state: str) -> str:
    return STATE_SYMBOLS.get(state, "")


@register.filter
def category_symbol(category: str) -> str:
    return CATEGORY_SYMBOLS.get(category, "")


# The words for seat categories and states, as the seat map and tickets say them.
STATE_NAMES = {"available": _("available"), "held": _("held"), "booked": _("booked"),
               "blocked": _("blocked"), "selected": _("selected")}


@register.filter
def category_name(category: str) -> str:
    return str(i18n.category_name(category))


@register.filter
def state_name(state: str) -> str:
    return str(STATE_NAMES.get(state, state))


@register.filter
def held_labels(hold) -> str:
    """A hold's seats as "A1, A2"."""
    return ", ".join(f"{seat['row']}{seat['number']}" for seat in hold.seats)


@register.filter
def show_attributes(show) -> list:
    """The showtime's format, language, subtitles and accessibility (symbol and words)."""
    return attributes.attributes(show)
