"""Sales figures for staff: per show (seats sold, held, free and blocked; revenue by seat
category and by ticket type; check-ins; occupancy), and the same summed per cinema and day.
Each figure is one subquery per show, so a page or an export of a year of shows is one query,
read in a stream. Revenue by type goes by the type's name as sold (a ticket keeps it)."""

import csv
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from booking.models import Booking, BookingSeat, ShowSeat
from catalog.layout import CATEGORIES, SEAT_CATEGORIES, price_category
from catalog.models import Show, TicketType

REVENUE = DecimalField(max_digits=12, decimal_places=2)


@dataclass(frozen=True)
class Figures:
    seats: int
    sold: int
    held: int
    blocked: int
    checked_in: int
    revenue: Decimal
    revenue_by_category: dict[str, Decimal]
    revenue_by_type: dict[str, Decimal]

    @property
    def free(self) -> int:
        return self.seats - self.sold - self.held - self.blocked

    @property
    def occupancy(self) -> float:
        """Sold seats as a share of the seats that could be sold."""
        sellable = self.seats - self.blocked
        return self.sold / sellable if sellable else 0.0

    @property
    def occupancy_percent(self) -> int:
        return round(self.occupancy * 100)

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.seats + other.seats, self.sold + other.sold, self.held + other.held,
            self.blocked + other.blocked, self.checked_in + other.checked_in,
            self.revenue + other.revenue,
            {c: self.revenue_by_category[c] + other.revenue_by_category[c] for c in CATEGORIES},
            {t: self.revenue_by_type[t] + other.revenue_by_type[t]
             for t in self.revenue_by_type})


def _count(rows: QuerySet) -> Coalesce:
    return Coalesce(Subquery(rows.order_by().values("show_id").annotate(n=Count("pk"))
                             .values("n")[:1], output_field=IntegerField()), 0)


def _revenue(tickets: QuerySet) -> Coalesce:
    return Coalesce(Subquery(tickets.order_by().values("booking__show_id")
                             .annotate(total=Sum("price")).values("total")[:1],
                             output_field=REVENUE), Decimal("0"), output_field=REVENUE)


def type_names() -> list[str]:
    """The ticket types the reports break revenue down by, in the chain's order."""
    return list(TicketType.objects.values_list("name", flat=True))


def with_figures(shows: QuerySet[Show], now: datetime | None = None) -> QuerySet[Show]:
    """The shows, each annotated with what ``figures`` reads."""
    now = now or timezone.now()
    inventory = ShowSeat.objects.filter(show=OuterRef("pk"))
    sold = BookingSeat.objects.filter(booking__show=OuterRef("pk"), active=True,
                                      booking__state=Booking.State.CONFIRMED)
    by_category = {f"r_{category}": _revenue(sold.filter(seat__category__in=[
        kind for kind in SEAT_CATEGORIES if price_category(kind) == category]))
                   for category in CATEGORIES}
    types = type_names()
    by_category.update({f"rt_{i}": _revenue(sold.filter(ticket_type=name))
                        for i, name in enumerate(types)})
    # The names ride along with each row, so ``figures`` reads them without another query.
    by_category["f_types"] = Value(json.dumps(types), output_field=CharField())
    return shows.annotate(
        f_seats=_count(inventory),
        f_blocked=_count(inventory.filter(Q(seat__blocked=True) | ~Q(house_reason=""))),
        f_held=_count(inventory.filter(booking__isnull=True, held_until__gt=now)),
        f_sold=_count(inventory.filter(booking__isnull=False)),
        f_checked_in=Coalesce(Subquery(sold.filter(admitted_at__isnull=False).order_by()
                                       .values("booking__show_id").annotate(n=Count("pk"))
                                       .values("n")[:1], output_field=IntegerField()), 0),
        f_revenue=_revenue(sold), **by_category)


def figures(show: Show) -> Figures:
    """A show's figures (from ``with_figures``)."""
    types = json.loads(show.f_types)
    return Figures(show.f_seats, show.f_sold, show.f_held, show.f_blocked, show.f_checked_in,
                   _cents(show.f_revenue), {c: _cents(getattr(show, f"r_{c}")) for c in CATEGORIES},
                   {name: _cents(getattr(show, f"rt_{i}")) for i, name in enumerate(types)})


def _cents(amount: Decimal | int) -> Decimal:
    """Sums as the price columns hold them (SQLite's sums drop the trailing zeros)."""
    return Decimal(amount).quantize(Decimal("0.01"))


def _header(types: list[str]) -> list[str]:
    return ["seats", "sold", "held", "free", "blocked", "checked_in", "occupancy", "revenue",
            *(f"revenue_{category}" for category in CATEGORIES),
            *(f"revenue_{name}" for name in types)]


def _columns(f: Figures) -> list:
    return [f.seats, f.sold, f.held, f.free, f.blocked, f.checked_in, f"{f.occupancy:.3f}",
            f.revenue, *(f.revenue_by_category[c] for c in CATEGORIES),
            *f.revenue_by_type.values()]


def show_rows(shows: QuerySet[Show]) -> Iterator[list]:
    """A CSV of the shows, a header then a row per show, read as a stream."""
    yield ["show", "cinema", "hall", "movie", "starts", "currency", *_header(type_names())]
    shows = with_figures(shows.select_related("movie", "hall__cinema").order_by("starts_at"))
    for show in shows.iterator(chunk_size=500):
        local = timezone.localtime(show.starts_at, show.hall.cinema.tz)
        yield [show.pk, show.hall.cinema.name, show.hall.name, show.movie.title,
               local.isoformat(), show.currency, *_columns(figures(show))]


def day_totals(shows: QuerySet[Show]) -> Iterator[tuple[str, date, str, Figures]]:
    """(cinema, day in the cinema's time zone, currency, summed figures), in order. Cinemas
    are told apart by their id (two may share a name), and named with their city."""
    ordered = with_figures(shows.select_related("hall__cinema__city")
                           .order_by("hall__cinema__name", "hall__cinema_id", "starts_at",
                                     "currency"))

    def key(show: Show) -> tuple:
        cinema = show.hall.cinema
        return (cinema.pk, f"{cinema.name}, {cinema.city.name}",
                timezone.localtime(show.starts_at, cinema.tz).date(), show.currency)

    for (_, cinema, day, currency), group in itertools.groupby(
            ordered.iterator(chunk_size=500), key=key):
        total = None
        for show in group:
            total = figures(show) if total is None else total + figures(show)
        yield cinema, day, currency, total


def day_rows(shows: QuerySet[Show]) -> Iterator[list]:
    yield ["cinema", "day", "currency", *_header(type_names())]
    for cinema, day, currency, total in day_totals(shows):
        yield [cinema, day.isoformat(), currency, *_columns(total)]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """Rows as CSV text, line by line (for a streamed download)."""
    writer = csv.writer(_Echo())
    return (writer.writerow(row) for row in rows)

