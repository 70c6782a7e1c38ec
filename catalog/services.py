"""Catalog changes, one place for each: the admin, the importer and the staff API call these.

The layers above follow each change through the signals in catalog.signals, inside the same
transaction (booking keeps each show's seat inventory in step, and refuses changes that would
move sold seats).
"""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from catalog.layout import LayoutError, parse_layout
from catalog.models import PRICE_FIELDS, Hall, Movie, PriceCard, Seat, Show
from catalog.pricing import fill_show_prices
from catalog.signals import hall_layout_changing, hall_seats_changed, show_changing, show_saved
from ticketing.errors import Conflict


def set_hall_layout(*, hall: Hall, layout: list[str]) -> bool:
    """Store a hall's layout and make its seats match it. Returns whether anything changed.

    Seats keep their identity (and so their place in existing shows) by row label and number.
    Refused (LayoutError) once any show in the hall has seats held or booked, so nobody's
    ticket moves.
    """
    specs = parse_layout(layout)
    if hall.pk is not None and hall.layout == layout:
        return False
    with transaction.atomic():
        if hall.pk is not None:
            Hall.objects.select_for_update().get(pk=hall.pk)
            hall_layout_changing.send(sender=Hall, hall=hall)
        hall.layout = layout
        hall.save()
        existing = {(seat.row_label, seat.number): seat for seat in hall.seats.all()}
        wanted = {(spec.row_label, spec.number): spec for spec in specs}
        Seat.objects.filter(pk__in=[s.pk for k, s in existing.items() if k not in wanted]).delete()
        # Grid cells are unique per hall, so park kept seats off-grid before moving them.
        kept = [existing[key] for key in wanted if key in existing]
        for offset, seat in enumerate(kept):
            seat.grid_row, seat.grid_col = 10_000 + offset, 0
        Seat.objects.bulk_update(kept, ["grid_row", "grid_col"])
        for seat in kept:
            spec = wanted[(seat.row_label, seat.number)]
            seat.category, seat.blocked = spec.category, spec.blocked
            seat.grid_row, seat.grid_col = spec.grid_row, spec.grid_col
        Seat.objects.bulk_update(kept, ["category", "blocked", "grid_row", "grid_col"])
        Seat.objects.bulk_create(
            Seat(hall=hall, row_label=spec.row_label, number=spec.number, category=spec.category,
                 blocked=spec.blocked, grid_row=spec.grid_row, grid_col=spec.grid_col)
            for key, spec in wanted.items()
            if key not in existing
        )
        hall_seats_changed.send(sender=Hall, hall=hall)
    return True


# What a ticket names: once a show has sold or held a seat, these stay as they are.
FIXED_ONCE_SOLD = {"movie": "movie_id", "hall": "hall_id", "start time": "starts_at",
                   "price card": "price_card_id", "currency": "currency",
                   "on-sale time": "on_sale_at", "waiting room": "waiting_room"}


class ShowHasSales(Conflict):
    code = "show_has_sales"


def sales_fixed_fields(show: Show) -> list[str]:
    """Which of the show's movie, hall and start time differ from what is stored."""
    if show.pk is None:
        return []
    stored = Show.objects.filter(pk=show.pk).values(*FIXED_ONCE_SOLD.values()).first()
    if stored is None:
        return []
    return [name for name, column in FIXED_ONCE_SOLD.items()
            if getattr(show, column) != stored[column]]


def show_has_sales_error(changed: list[str]) -> ShowHasSales:
    """The refusal a receiver of ``show_changing`` raises when the show has sales."""
    return ShowHasSales(
        f"This show has seats held or booked, so its {' and '.join(changed)} cannot change. "
        "To move it, cancel the show (every booking is refunded and told) and schedule a new "
        "one.", fields=[FIXED_ONCE_SOLD[name].removesuffix("_id") for name in changed])


def check_show_change(show: Show) -> None:
    """Raise ShowHasSales if saving the show would change what its tickets name (the admin's
    form asks before it saves)."""
    changed = sales_fixed_fields(show)
    if changed:
        show_changing.send(sender=Show, show=show, changed=changed, lock=False)


def save_show(*, show: Show) -> Show:
    """Validate (prices, currency, overlaps) and save a show, creating its seat inventory.

    The hall row is locked first, so two staff members scheduling into the same hall at once
    cannot both pass the overlap check. Once the show has sales its movie, hall and start are
    fixed (ShowHasSales, from a receiver of ``show_changing``, which also locks the show's
    seats so no hold can slip in while it changes).
    """
    with transaction.atomic():
        Hall.objects.select_for_update().get(pk=show.hall_id)
        if show.pk is not None:  # two edits of one show take turns: each sees the other's
            Show.objects.select_for_update(of=("self",)).filter(pk=show.pk).exists()
        changed = sales_fixed_fields(show)
        if changed:
            show_changing.send(sender=Show, show=show, changed=changed, lock=True)
        fill_show_prices(show)
        show.full_clean()
        show.save()
        show_saved.send(sender=Show, show=show, hall_changed="hall" in changed)
    return show


def put_on_sale(*, shows: Iterable[Show], on_sale_at: datetime | None,
                waiting_room: bool = False) -> list[Show]:
    """Give every one of these shows this on-sale time (None: on sale at once) and, for high
    demand, a waiting room: all of them, or none (ValidationError or ShowHasSales, naming the
    show, and nothing changes)."""
    changed = []
    with transaction.atomic():
        for show in shows:
            show.on_sale_at, show.waiting_room = on_sale_at, waiting_room
            try:
                changed.append(save_show(show=show))
            except ValidationError as exc:
                raise ValidationError({f"show {show.pk} ({show})": exc.messages}) from exc
    return changed


def save_movie(*, movie: Movie) -> Movie:
    """Validate and save a movie; a new duration moves the end of each of its shows."""
    with transaction.atomic():
        movie.full_clean()
        movie.save()
        shows = list(Show.objects.filter(movie=movie).select_related("movie"))
        for show in shows:
            show.movie = movie
            show.ends_at = show.compute_ends_at()
        Show.objects.bulk_update(shows, ["ends_at"], batch_size=500)
    return movie


def reprice_shows(*, card: PriceCard) -> int:
    """After a card's prices change, give its shows that have not started the new prices
    (holds and bookings keep the prices they were made at). Returns how many changed."""
    shows = list(Show.objects.upcoming().filter(price_card=card).select_related("price_card"))
    for show in shows:
        fill_show_prices(show)
    Show.objects.bulk_update(shows, ["currency", *PRICE_FIELDS.values()], batch_size=500)
    return len(shows)


def layout_error_message(error: LayoutError) -> str:
    return error.message if error.row is None else f"row {error.row + 1}: {error.message}"
