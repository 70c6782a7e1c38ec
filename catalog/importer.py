"""Load a catalog document (cities, movies, cinemas with halls, shows) into the database.

All or nothing in one transaction; loading the same document twice changes nothing; a changed
document updates in place (nothing absent from it is deleted). Every error is a CatalogError
whose text is one line naming the place in the document, e.g.
``cinemas[1].halls[0].layout[1]: unknown seat code 'q'``.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from catalog import show_attributes
from catalog.layout import CATEGORIES, LayoutError
from catalog.models import (
    PRICE_FIELDS,
    Cinema,
    City,
    Hall,
    Movie,
    PriceCard,
    PriceCardPrice,
    PriceCardSurcharge,
    Rating,
    Show,
    TicketType,
)
from catalog.pricing import card_problems
from catalog.services import (
    ShowHasSales,
    reprice_shows,
    save_movie,
    save_show,
    set_hall_layout,
)
from catalog.validators import is_language

SLUG = re.compile(r"^[-a-z0-9_]+$")
TOP_LEVEL_KEYS = ("ticket_types", "ratings", "price_cards", "cities", "movies", "cinemas",
                  "shows")


class CatalogError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    # Where in the document each thing was first given: a second entry for it is an error.
    seen: dict[tuple, str] = field(default_factory=dict)

    def once(self, key: tuple, path: str, what: str) -> None:
        first = self.seen.setdefault(key, path)
        if first != path:
            raise CatalogError(path, f"the same {what} as {first}: give each {key[0]} once")

    def count(self, kind: str, outcome: str) -> None:
        bucket = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        parts = []
        for kind in ("ticket types", "ratings", "price cards", "cities", "movies", "cinemas",
                     "halls", "shows"):
            c, u, n = (self.created.get(kind, 0), self.updated.get(kind, 0),
                       self.unchanged.get(kind, 0))
            if c or u or n:
                parts.append(f"{kind}: {c} created, {u} updated, {n} unchanged")
        return "; ".join(parts) or "nothing to load"


# --- reading values with their place in the document ---------------------------------------


def _obj(value: Any, path: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CatalogError(path, "must be an object")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise CatalogError(f"{path}.{unknown[0]}" if path else unknown[0], "unknown field")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise CatalogError(path, "must be a list")
    return value


def _str(obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> str:
    if key not in obj:
        if required:
            raise CatalogError(f"{path}.{key}", "is required")
        return ""
    value = obj[key]
    if not isinstance(value, str) or (required and not value.strip()):
        raise CatalogError(f"{path}.{key}", "must be a non-empty string" if required
                           else "must be a string")
    return value.strip()


def _slug(obj: dict[str, Any], key: str, path: str) -> str:
    value = _str(obj, key, path)
    if not SLUG.match(value):
        raise CatalogError(f"{path}.{key}", f"{value!r} is not a slug (a-z, 0-9, - and _)")
    return value


def _validation(
    error: ValidationError, path: str, names: dict[str, str] | None = None
) -> CatalogError:
    """Turn a model ValidationError into a CatalogError at the first failing field."""
    names = names or {}
    if hasattr(error, "error_dict"):
        field_name, messages = next(iter(error.message_dict.items()))
        where = path if field_name == "__all__" else f"{path}.{names.get(field_name, field_name)}"
        return CatalogError(where, messages[0].rstrip("."))
    return CatalogError(path, error.messages[0].rstrip("."))


def _apply(instance: models.Model, values: dict[str, Any]) -> bool:
    """Set fields on an instance; return whether any value differs from what it had."""
    changed = instance.pk is None
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


# --- the loader ---------------------------------------------------------------------------------


def load_catalog(document: Any) -> ImportReport:
    document = _obj(document, "", TOP_LEVEL_KEYS)
    report = ImportReport()
    with transaction.atomic():
        for i, item in enumerate(_list(document.get("ticket_types", []), "ticket_types")):
            _load_ticket_type(item, f"ticket_types[{i}]", i, report)
        for i, item in enumerate(_list(document.get("ratings", []), "ratings")):
            _load_rating(item, f"ratings[{i}]", report)
        for i, item in enumerate(_list(document.get("price_cards", []), "price_cards")):
            _load_price_card(item, f"price_cards[{i}]", report)
        for i, item in enumerate(_list(document.get("cities", []), "cities")):
            _load_city(item, f"cities[{i}]", report)
        for i, item in enumerate(_list(document.get("movies", []), "movies")):
            _load_movie(item, f"movies[{i}]", report)
        for i, item in enumerate(_list(document.get("cinemas", []), "cinemas")):
            _load_cinema(item, f"cinemas[{i}]", report)
        for i, item in enumerate(_list(document.get("shows", []), "shows")):
            _load_show(item, f"shows[{i}]", report)
    return report


def _save(instance: models.Model, values: dict[str, Any], path: str, kind: str,
          report: ImportReport, names: dict[str, str] | None = None) -> None:
    is_new = instance.pk is None
    if not _apply(instance, values):
        report.count(kind, "unchanged")
        return
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise _validation(exc, path, names) from None
    instance.save()
    report.count(kind, "created" if is_new else "updated")


def _bool(item: dict[str, Any], key: str, path: str, default: bool) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise CatalogError(f"{path}.{key}", "must be true or false")
    return value


def _load_ticket_type(item: Any, path: str, position: int, report: ImportReport) -> None:
    """A ticket type; its place in the list is its place on the site."""
    item = _obj(item, path, ("code", "name", "for_children", "carer"))
    code = _slug(item, "code", path)
    report.once(("ticket type", code), path, f"ticket type ({code!r})")
    ticket_type = TicketType.objects.filter(code=code).first() or TicketType(code=code)
    _save(ticket_type, {"name": _str(item, "name", path), "position": position,
                        "for_children": _bool(item, "for_children", path, False),
                        "needs_wheelchair_space": _bool(item, "carer", path, False)},
          path, "ticket types", report, names={"needs_wheelchair_space": "carer"})


def _load_rating(item: Any, path: str, report: ImportReport) -> None:
    item = _obj(item, path, ("code", "children_allowed"))
    code = _str(item, "code", path)
    report.once(("rating", code), path, f"rating ({code!r})")
    rating = Rating.objects.filter(code=code).first() or Rating(code=code)
    _save(rating, {"children_allowed": _bool(item, "children_allowed", path, True)}, path,
          "ratings", report)


def _amount(raw: Any, path: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise CatalogError(path, "must be a decimal string such as \"12.50\"")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise CatalogError(path, f"{raw!r} is not a decimal amount")
    return value


def _load_price_card(item: Any, path: str, report: ImportReport) -> None:
    """A price card, whole: its prices and surcharges are the document's (any it had that the
    document leaves out are removed); its shows that have not started take the new prices."""
    item = _obj(item, path, ("name", "currency", "booking_fee", "prices", "surcharges"))
    name = _str(item, "name", path)
    report.once(("price card", name), path, f"price card ({name!r})")
    types = {t.code: t for t in TicketType.objects.all()}
    raw_prices = item.get("prices")
    if not isinstance(raw_prices, dict) or not raw_prices:
        raise CatalogError(f"{path}.prices", "must be an object of ticket type to "
                           "{category: price}")
    amounts = []
    for code, by_category in raw_prices.items():
        if code not in types:
            raise CatalogError(f"{path}.prices.{code}", "no ticket type with this code")
        for category, amount in _parse_prices(by_category, f"{path}.prices.{code}").items():
            amounts.append((types[code], category, amount))
    raw_surcharges = item.get("surcharges", {})
    if not isinstance(raw_surcharges, dict):
        raise CatalogError(f"{path}.surcharges", "must be an object of format to amount")
    surcharges = {}
    for format_, amount in raw_surcharges.items():
        if format_ not in show_attributes.FORMATS:
            raise CatalogError(f"{path}.surcharges.{format_}",
                               f"unknown format (use {', '.join(show_attributes.FORMATS)})")
        surcharges[format_] = _amount(amount, f"{path}.surcharges.{format_}")
    fee = _amount(item.get("booking_fee", "0"), f"{path}.booking_fee")
    currency = _str(item, "currency", path)
    problems = card_problems(currency=currency, booking_fee=fee, amounts=amounts,
                             surcharges=surcharges.values())
    if problems:
        raise CatalogError(path, problems[0])
    card = PriceCard.objects.filter(name=name).first() or PriceCard(name=name)
    if card.pk is not None and card.currency != currency and card.shows.exists():
        raise CatalogError(f"{path}.currency", f"shows are sold at {card.currency} on this "
                           "card: make a new card for another currency")
    wanted_prices = {(t.pk, c): a for t, c, a in amounts}
    had = (card.pk is not None and {(p.ticket_type_id, p.category): p.amount
                                    for p in card.prices.all()} == wanted_prices
           and {s.format: s.amount for s in card.surcharges.all()} == surcharges)
    is_new = card.pk is None
    if not _apply(card, {"currency": currency, "booking_fee": fee}) and had:
        report.count("price cards", "unchanged")
        return
    try:
        card.full_clean()
    except ValidationError as exc:
        raise _validation(exc, path) from None
    card.save()
    card.prices.all().delete()
    card.surcharges.all().delete()
    PriceCardPrice.objects.bulk_create(
        PriceCardPrice(card=card, ticket_type_id=t, category=c, amount=a)
        for (t, c), a in wanted_prices.items())
    PriceCardSurcharge.objects.bulk_create(
        PriceCardSurcharge(card=card, format=f, amount=a) for f, a in surcharges.items())
    reprice_shows(card=card)
    report.count("price cards", "created" if is_new else "updated")


def _load_city(item: Any, path: str, report: ImportReport) -> None:
    item = _obj(item, path, ("slug", "name"))
    slug = _slug(item, "slug", path)
    report.once(("city", slug), path, f"city ({slug!r})")
    city = City.objects.filter(slug=slug).first() or City(slug=slug)
    _save(city, {"name": _str(item, "name", path)}, path, "cities", report)


def _load_movie(item: Any, path: str, report: ImportReport) -> None:
    item = _obj(item, path, ("slug", "title", "duration_minutes", "rating", "release_date",
                             "genres", "synopsis"))
    slug = _slug(item, "slug", path)
    report.once(("movie", slug), path, f"movie ({slug!r})")
    duration = item.get("duration_minutes")
    if isinstance(duration, bool) or not isinstance(duration, int) or not 0 < duration < 1000:
        raise CatalogError(f"{path}.duration_minutes", "must be a whole number of minutes (1-999)")
    release_date = None
    if item.get("release_date") is not None:
        raw = item["release_date"]
        try:
            release_date = date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            release_date = None
        if release_date is None:
            raise CatalogError(f"{path}.release_date", f"{raw!r} is not a date (YYYY-MM-DD)")
    genres = item.get("genres", [])
    if not isinstance(genres, list) or not all(isinstance(g, str) and g.strip() for g in genres):
        raise CatalogError(f"{path}.genres", "must be a list of strings")
    movie = Movie.objects.filter(slug=slug).first() or Movie(slug=slug)
    values = {
        "title": _str(item, "title", path),
        "duration_minutes": duration,
        "rating": _str(item, "rating", path, required=False),
        "release_date": release_date,
        "genres": [g.strip() for g in genres],
        "synopsis": _str(item, "synopsis", path, required=False),
    }
    is_new = movie.pk is None
    if not _apply(movie, values):
        report.count("movies", "unchanged")
        return
    try:
        save_movie(movie=movie)
    except ValidationError as exc:
        raise _validation(exc, path) from None
    report.count("movies", "created" if is_new else "updated")


def _load_cinema(item: Any, path: str, report: ImportReport) -> None:
    item = _obj(item, path, ("slug", "city", "name", "address", "timezone", "halls",
                             "no_stranded_seats", "companion_seats_open_minutes"))
    slug = _slug(item, "slug", path)
    report.once(("cinema", slug), path, f"cinema ({slug!r})")
    city_slug = _str(item, "city", path)
    city = City.objects.filter(slug=city_slug).first()
    if city is None:
        raise CatalogError(f"{path}.city", f"no city with slug {city_slug!r}")
    if "halls" not in item:
        raise CatalogError(f"{path}.halls", "is required")
    halls = _list(item["halls"], f"{path}.halls")
    cinema = Cinema.objects.filter(slug=slug).first() or Cinema(slug=slug)
    values = {
        "city_id": city.id,
        "name": _str(item, "name", path),
        "address": _str(item, "address", path, required=False),
        "timezone": _str(item, "timezone", path),
        # Left out, a new cinema has the rule on and an existing one keeps what it has.
        "no_stranded_seats": item.get("no_stranded_seats", cinema.no_stranded_seats),
    }
    if not isinstance(values["no_stranded_seats"], bool):
        raise CatalogError(f"{path}.no_stranded_seats", "must be true or false")
    # Left out, a cinema keeps what it has (a new one: companion seats only with a space).
    minutes = item.get("companion_seats_open_minutes", cinema.companion_seats_open_minutes)
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                or not 0 <= minutes <= 10080):
        raise CatalogError(f"{path}.companion_seats_open_minutes",
                           "must be a whole number of minutes (0 to 10080), or null")
    values["companion_seats_open_minutes"] = minutes
    _save(cinema, values, path, "cinemas", report)
    names: set[str] = set()
    for j, hall_item in enumerate(halls):
        hall_path = f"{path}.halls[{j}]"
        hall_item = _obj(hall_item, hall_path, ("name", "layout"))
        name = _str(hall_item, "name", hall_path)
        if name in names:
            raise CatalogError(f"{hall_path}.name", f"hall {name!r} appears twice in this cinema")
        names.add(name)
        if "layout" not in hall_item:
            raise CatalogError(f"{hall_path}.layout", "is required")
        layout = hall_item["layout"]
        hall = Hall.objects.filter(cinema=cinema, name=name).first()
        is_new = hall is None
        hall = hall or Hall(cinema=cinema, name=name)
        try:
            changed = set_hall_layout(hall=hall, layout=layout)
        except LayoutError as exc:
            where = f"{hall_path}.layout" + ("" if exc.row is None else f"[{exc.row}]")
            raise CatalogError(where, exc.message) from None
        report.count("halls", "created" if is_new else "updated" if changed else "unchanged")


def _parse_start(raw: Any, path: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None:
        raise CatalogError(path, f"{raw!r} is not an ISO 8601 date and time")
    if value.utcoffset() is None:
        raise CatalogError(path, f"{raw!r} needs a UTC offset, e.g. 2026-12-01T19:30:00-06:00")
    return value


def _parse_prices(raw: Any, path: str) -> dict[str, Decimal]:
    if not isinstance(raw, dict) or not raw:
        raise CatalogError(path, "must be an object of category to price")
    prices = {}
    for category, amount in raw.items():
        if category not in CATEGORIES:
            raise CatalogError(f"{path}.{category}",
                               f"unknown seat category (use {', '.join(CATEGORIES)})")
        prices[category] = _amount(amount, f"{path}.{category}")
    return prices


def _parse_attributes(item: dict[str, Any], path: str) -> dict[str, Any]:
    """format ("imax"; 2d when left out), audio_language and subtitles (language codes, e.g.
    "en"), accessibility (a list of audio_description, captions, relaxed)."""
    format_ = item.get("format", show_attributes.DEFAULT_FORMAT)
    if not isinstance(format_, str) or format_ not in show_attributes.FORMATS:
        raise CatalogError(f"{path}.format",
                           f"must be one of {', '.join(show_attributes.FORMATS)}")
    values: dict[str, Any] = {"format": format_}
    for key in ("audio_language", "subtitles"):
        code = item.get(key, "")
        if code != "" and not is_language(code):
            raise CatalogError(f"{path}.{key}", "must be a language code such as en or fr")
        values[key] = code
    needs = item.get("accessibility", [])
    if not isinstance(needs, list) or any(
            not isinstance(n, str) or n not in show_attributes.ACCESSIBILITY for n in needs):
        raise CatalogError(f"{path}.accessibility", "must be a list of "
                           f"{', '.join(show_attributes.ACCESSIBILITY)}")
    values.update({field: field in needs for field in show_attributes.ACCESSIBILITY})
    return values


def _load_show(item: Any, path: str, report: ImportReport) -> None:
    item = _obj(item, path, ("movie", "cinema", "hall", "starts_at", "currency", "prices",
                             "price_card", "format", "audio_language", "subtitles",
                             "accessibility", "on_sale_at", "waiting_room"))
    movie_slug = _str(item, "movie", path)
    movie = Movie.objects.filter(slug=movie_slug).first()
    if movie is None:
        raise CatalogError(f"{path}.movie", f"no movie with slug {movie_slug!r}")
    cinema_slug = _str(item, "cinema", path)
    cinema = Cinema.objects.filter(slug=cinema_slug).first()
    if cinema is None:
        raise CatalogError(f"{path}.cinema", f"no cinema with slug {cinema_slug!r}")
    hall_name = _str(item, "hall", path)
    hall = Hall.objects.filter(cinema=cinema, name=hall_name).first()
    if hall is None:
        raise CatalogError(f"{path}.hall", f"no hall {hall_name!r} in cinema {cinema_slug!r}")
    if "starts_at" not in item:
        raise CatalogError(f"{path}.starts_at", "is required")
    starts_at = _parse_start(item["starts_at"], f"{path}.starts_at")
    card = None
    if "price_card" in item:
        card_name = _str(item, "price_card", path)
        card = PriceCard.objects.filter(name=card_name).first()
        if card is None:
            raise CatalogError(f"{path}.price_card", f"no price card named {card_name!r}")
        for key in ("prices", "currency"):
            if key in item:
                raise CatalogError(f"{path}.{key}", "comes from the price card: leave it out")
        currency, prices = card.currency, {}
    else:
        currency = _str(item, "currency", path)
        if "prices" not in item:
            raise CatalogError(f"{path}.prices", "is required (or a price_card)")
        prices = _parse_prices(item["prices"], f"{path}.prices")

    on_sale_at = (None if item.get("on_sale_at") is None
                  else _parse_start(item["on_sale_at"], f"{path}.on_sale_at"))
    waiting_room = item.get("waiting_room", False)
    if not isinstance(waiting_room, bool):
        raise CatalogError(f"{path}.waiting_room", "must be true or false")
    report.once(("show", hall.pk, starts_at), path,
                f"show (hall {hall_name!r} of {cinema_slug!r} at {item['starts_at']})")
    show = Show.objects.filter(hall=hall, starts_at=starts_at).first()
    is_new = show is None
    show = show or Show(hall=hall, starts_at=starts_at)
    values: dict[str, Any] = {"movie_id": movie.id, "currency": currency,
                              "price_card_id": card.pk if card else None,
                              "on_sale_at": on_sale_at, "waiting_room": waiting_room,
                              **_parse_attributes(item, path)}
    if card is None:  # a card's prices are filled in from it by save_show
        values.update({f: prices.get(category) for category, f in PRICE_FIELDS.items()})
    if not _apply(show, values):
        report.count("shows", "unchanged")
        return
    names = {f: f"prices.{category}" for category, f in PRICE_FIELDS.items()}
    try:
        save_show(show=show)
    except ValidationError as exc:
        raise _validation(exc, path, names) from None
    except ShowHasSales as exc:
        raise CatalogError(f"{path}.movie", exc.message) from None
    report.count("shows", "created" if is_new else "updated")
