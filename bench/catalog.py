"""The benchmark's own catalog: fresh halls and shows loaded through the real importer, so each
run starts from empty inventories and never touches anyone else's data."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from catalog.importer import load_catalog
from catalog.models import Show

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def make_shows(count: int, *, rows: int, cols: int, tag: str = "bench") -> list[Show]:
    """``count`` shows, each in a hall of its own of ``rows`` x ``cols`` standard seats."""
    stamp = f"{tag}-{timezone.now():%Y%m%d%H%M%S%f}"
    labels = [LETTERS[i % 24] * (1 + i // 24) for i in range(rows)]
    starts = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    halls = [f"Hall {stamp}-{n}" for n in range(count)]
    load_catalog({
        "cities": [{"slug": "bench", "name": "Bench"}],
        "movies": [{"slug": "bench-movie", "title": "Bench Movie", "duration_minutes": 90}],
        # The rush's requests are random runs of 1-4 seats, and its first-come-first-served
        # sequencer judges them by conflicts alone: the rule against stranded seats (on for
        # real cinemas) would refuse some for a reason it does not model, so it is off here.
        "cinemas": [{"slug": "bench-cinema", "city": "bench", "name": "Bench Cinema",
                     "timezone": "UTC", "no_stranded_seats": False,
                     "halls": [{"name": hall, "layout": [f"{label}: {'s' * cols}"
                                                        for label in labels]}
                               for hall in halls]}],
        "shows": [{"movie": "bench-movie", "cinema": "bench-cinema", "hall": hall,
                   "starts_at": starts.isoformat(), "currency": "USD",
                   "prices": {"standard": "10.00"}} for hall in halls],
    })
    with connection.cursor() as cursor:
        # Fresh tables have no planner statistics until autovacuum gets round to them, and a
        # plan made for an empty table (a scan instead of an index) would be measured instead.
        cursor.execute("ANALYZE")
    return list(Show.objects.filter(hall__name__in=halls).select_related("hall").order_by("id"))


def seat_rows(show: Show) -> list[list[int]]:
    """The show's seat ids, row by row, in seat order."""
    rows: dict[int, list[int]] = {}
    for row, seat_id in (show.hall.seats.filter(blocked=False).order_by("grid_row", "grid_col")
                         .values_list("grid_row", "id")):
        rows.setdefault(row, []).append(seat_id)
    return list(rows.values())
