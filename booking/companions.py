"""Companion seats: the seat beside a wheelchair space, for whoever comes with its user.

One is held only together with a wheelchair space in the same hold, so it is there for the
person who needs it. A cinema may open them to anyone a while before the show
(``Cinema.companion_seats_open_minutes``), when nobody who needs one is likely still to book.
The SQL rule (booking/sql/decide_holds.sql) says the same.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from catalog.layout import ACCESSIBLE, COMPANION


def companions_open(*, starts_at: datetime, open_minutes: int | None, now: datetime) -> bool:
    """Whether anyone may hold a companion seat of a show starting then."""
    return open_minutes is not None and now >= starts_at - timedelta(minutes=open_minutes)


def lonely_companions(seats: Iterable[tuple[int, str, str]]) -> list[tuple[int, str]]:
    """Of a hold's seats (id, label, category): its companion seats, if it has no wheelchair
    space to go with them."""
    seats = list(seats)
    if any(category == ACCESSIBLE for _, _, category in seats):
        return []
    return [(seat_id, label) for seat_id, label, category in seats if category == COMPANION]
