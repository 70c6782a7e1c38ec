"""Choosing the best N free seats: same row and side by side when possible, nearest the centre.

A pure function over seat positions, so it can be tested on its own and reused by the waiting
list when it offers seats to the head of the line.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from booking.stranding import better_choice
from catalog.layout import ACCESSIBLE, COMPANION


@dataclass(frozen=True, slots=True)
class Place:
    seat_id: int
    grid_row: int
    grid_col: int
    category: str


def _distance(row: float, col: float, centre: tuple[float, float]) -> float:
    # Rows are further apart than seats, and sitting off-centre sideways matters less than
    # sitting too close or too far: weight rows a little more.
    return ((row - centre[0]) * 1.2) ** 2 + (col - centre[1]) ** 2


def choose_best_seats(
    free: Iterable[Place], count: int, *, centre: tuple[float, float],
    row_free: dict[int, set[int]] | None = None,
) -> list[int] | None:
    """Seat ids of the best ``count`` seats among ``free``, or None if there are fewer.

    ``row_free`` (each row's free columns, of every category) keeps the choice from leaving a
    seat on its own (booking.stranding): a block the hold rule would refuse (it strands a seat
    while another choice among these seats would not) is chosen only when nothing else is."""
    places = sorted(free, key=lambda p: (p.grid_row, p.grid_col))
    if count < 1 or len(places) < count:
        return None
    by_row: dict[int, list[Place]] = defaultdict(list)
    for place in places:
        by_row[place.grid_row].append(place)

    # 1. A block of adjacent seats (no gap between them) in one row.
    best: tuple[tuple[bool, float], list[Place]] | None = None
    for row, seats in by_row.items():
        for start in range(len(seats) - count + 1):
            block = seats[start:start + count]
            if block[-1].grid_col - block[0].grid_col != count - 1:
                continue
            middle = (block[0].grid_col + block[-1].grid_col) / 2
            strands = row_free is not None and better_choice(
                row_free[row], [p.grid_col for p in block],
                {p.grid_col for p in seats}) is not None
            score = (strands, _distance(row, middle, centre))
            if best is None or score < best[0]:
                best = (score, block)
    if best is not None:
        return [p.seat_id for p in best[1]]

    # 2. Together in one row, across an aisle or a taken seat.
    for_row: list[tuple[float, list[Place]]] = []
    for row, seats in by_row.items():
        if len(seats) >= count:
            nearest = sorted(seats, key=lambda p: abs(p.grid_col - centre[1]))[:count]
            spread = max(p.grid_col for p in nearest) - min(p.grid_col for p in nearest)
            middle = sum(p.grid_col for p in nearest) / count
            for_row.append((_distance(row, middle, centre) + spread, nearest))
    if for_row:
        chosen = min(for_row, key=lambda item: item[0])[1]
        return [p.seat_id for p in sorted(chosen, key=lambda p: p.grid_col)]

    # 3. The nearest seats to the centre, wherever they are.
    nearest = sorted(places, key=lambda p: (_distance(p.grid_row, p.grid_col, centre),
                                            p.grid_row, p.grid_col))[:count]
    return [p.seat_id for p in sorted(nearest, key=lambda p: (p.grid_row, p.grid_col))]


def hall_centre(positions: Iterable[tuple[int, int]]) -> tuple[float, float]:
    """The middle of the hall, from its seats' (grid row, grid column)."""
    positions = list(positions)
    return (max(row for row, _ in positions) / 2, max(col for _, col in positions) / 2)


def best_places(free: list[Place], count: int, *, centre: tuple[float, float],
                category: str | None = None, no_stranding: bool = False) -> list[int] | None:
    """The best ``count`` seats for a party: of ``category`` if one is asked for; otherwise
    wheelchair places are kept for people who ask for them, unless nothing else is left.
    Companion seats are never chosen: they go with a wheelchair space, picked by hand.
    ``no_stranding``: leave nobody a single seat on their own (the cinema's rule)."""
    row_free: dict[int, set[int]] | None = None
    if no_stranding:  # every free seat counts here, companion seats too
        row_free = defaultdict(set)
        for place in free:
            row_free[place.grid_row].add(place.grid_col)
    free = [place for place in free if place.category != COMPANION]
    if category is not None:
        return choose_best_seats([p for p in free if p.category == category], count,
                                 centre=centre, row_free=row_free)
    return (choose_best_seats([p for p in free if p.category != ACCESSIBLE], count,
                              centre=centre, row_free=row_free)
            or choose_best_seats(free, count, centre=centre, row_free=row_free))
