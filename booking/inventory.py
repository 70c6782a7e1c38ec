"""Reading a show's seat inventory: as a seat map (cached, never stale), and whether it has
sales (booking.seats changes it)."""

import logging
from dataclasses import astuple, dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from booking.models import Booking, SeatMapState, ShowSeat
from catalog.layout import price_category
from catalog.models import Hall, Show
from ticketing.cache import Recent, shared_get, shared_set

log = logging.getLogger(__name__)
SEAT_MAP_CACHE_SECONDS = 300


def show_has_sales(show_id: int, now: datetime | None = None) -> bool:
    """Whether the show has a seat in a live hold, or any booking (even a cancelled one: its
    tickets name this hall's seats)."""
    return (ShowSeat.objects.filter(show_id=show_id).held_or_booked(now).exists()
            or Booking.objects.filter(show_id=show_id).exists())


def hall_has_sales(hall: Hall, now: datetime | None = None) -> bool:
    """Whether any show in the hall has a seat held or booked right now."""
    return ShowSeat.objects.filter(show__hall=hall).held_or_booked(now).exists()


@dataclass(frozen=True, slots=True)
class SeatView:
    id: int
    row: str
    number: int
    category: str
    state: str
    grid_row: int
    grid_col: int
    price: Decimal | None

    @property
    def label(self) -> str:
        return f"{self.row}{self.number}"


def seat_map_state(show_id: int) -> tuple[int, int]:
    """(version, waiting) of the show's seat map."""
    row = SeatMapState.objects.filter(show_id=show_id).values_list("version", "waiting").first()
    return row or (0, 0)


@dataclass(frozen=True, slots=True)
class SeatMap:
    """A show's seats with their states, as read at one version of its seat map."""

    key: str  # names this version of the map: the show, its version, the line, the prices
    seats: tuple[SeatView, ...]
    valid_until: datetime | None  # the earliest hold expiry in it: the map changes then
    version: int = 0  # the show's seat-map version it was read at
    reserved: bool = False  # people were waiting: free seats read as held

    def fresh_at(self, now: datetime) -> bool:
        return self.valid_until is None or now < self.valid_until


def seat_map(show: Show, now: datetime | None = None) -> SeatMap:
    """Every seat of the show with its state at ``now``: two queries whatever the hall's size,
    or none beyond the version read when the map is cached.

    While people are waiting for the show, free seats are reserved for them and read as held.
    The cache is keyed by the show's seat-map version (bumped by every committed change), the
    line's state and the prices; an entry also ends at the earliest hold expiry it contains,
    because a hold runs out without any write. So a cached map is never stale. Each process
    keeps the last few maps it read in memory, in front of the shared cache.
    """
    now = now or timezone.now()
    if getattr(show, "map_version", None) is not None:  # read with the show: with_map_state
        version, waiting = show.map_version, show.map_waiting
    else:
        version, waiting = seat_map_state(show.id)
    reserved = waiting > 0
    prices = ",".join(f"{c}={p}" for c, p in sorted(show.prices.items()))
    key = f"seatmap:2:{show.id}:{version}:{int(reserved)}:{prices}"  # 2: entry layout
    known = recent.get(key)
    if known is not None and known.fresh_at(now):
        return known
    cached = shared_get(key)
    if cached is not None and (cached[0] is None or now < cached[0]):
        # Plain tuples in the shared cache: cheap to (un)pickle.
        found = SeatMap(key, tuple(SeatView(*row) for row in cached[1]), cached[0], version,
                        reserved)
    else:
        seats, valid_until = _read_seat_states(show, now, reserved)
        found = SeatMap(key, tuple(seats), valid_until, version, reserved)
        shared_set(key, (valid_until, [astuple(seat) for seat in seats]),
                   timeout=SEAT_MAP_CACHE_SECONDS)
    recent.put(key, found)
    return found


def seat_states(show: Show, now: datetime | None = None) -> list[SeatView]:
    """The seats of ``seat_map``."""
    return list(seat_map(show, now).seats)


recent = Recent(size=64)  # seat maps: immutable per key (the key holds the version)


def _read_seat_states(show: Show, now: datetime, reserved: bool
                      ) -> tuple[list[SeatView], datetime | None]:
    prices = show.prices
    rows = (
        ShowSeat.objects.filter(show=show)
        .select_related("seat")
        .only("hold_id", "held_until", "booking_id", "house_reason", "seat")
        .order_by("seat__grid_row", "seat__grid_col")
    )
    seats = []
    valid_until: datetime | None = None
    for row in rows:
        if row.held_until is not None and row.held_until > now and row.booking_id is None:
            valid_until = row.held_until if valid_until is None else min(valid_until,
                                                                         row.held_until)
        seats.append(SeatView(
            id=row.seat.id,
            row=row.seat.row_label,
            number=row.seat.number,
            category=row.seat.category,
            state=row.state(now, reserved=reserved),
            grid_row=row.seat.grid_row,
            grid_col=row.seat.grid_col,
            price=None if row.seat.blocked or row.house_reason else prices.get(
                price_category(row.seat.category)),
        ))
    return seats, valid_until


@dataclass(frozen=True, slots=True)
class SeatRow:
    label: str
    cells: list[SeatView | None]  # None is a gap


def seat_map_drawing(snapshot: SeatMap, *, disabled: bool,
                     mine: frozenset = frozenset()) -> dict:
    """What the seat-map template (catalog/_seatmap.html) draws: rows of cells as the hall is
    laid out, its width, and which seats are the viewer's own."""
    return {"rows": seat_grid(list(snapshot.seats)),
            "columns": max((s.grid_col for s in snapshot.seats), default=0) + 1,
            "disabled": disabled, "mine": mine}


def seat_grid(seats: list[SeatView]) -> list[SeatRow]:
    """Arrange seats into rows of cells with gaps, as the hall is drawn."""
    width = max((seat.grid_col for seat in seats), default=-1) + 1
    by_row: dict[int, list[SeatView]] = {}
    for seat in seats:
        by_row.setdefault(seat.grid_row, []).append(seat)
    grid = []
    # Rows with no seats at all (a cross aisle) still take their place in the drawing.
    for grid_row in range(max(by_row, default=-1) + 1):
        cells: list[SeatView | None] = [None] * width
        for seat in by_row.get(grid_row, []):
            cells[seat.grid_col] = seat
        label = by_row[grid_row][0].row if grid_row in by_row else ""
        grid.append(SeatRow(label=label, cells=cells))
    return grid
