"""What deciding a hold takes and gives, shared by the rule in Python (booking.holds) and in
the database (booking.holds_sql)."""

from dataclasses import dataclass

from booking.models import Hold


@dataclass(frozen=True)
class HoldRequest:
    """One request to hold seats of a show, as ``holds.decide_holds`` takes it."""

    seat_ids: list[int]
    client: str
    session_key: str = ""
    replacing: Hold | None = None  # the caller's current hold for the show (decided alone)
    # Let in by the show's waiting room (a valid pass, checked by booking.passes), or not a
    # moviegoer's request (the box office, a waiting-list offer): a show with a room refuses
    # the others.
    admitted: bool = False


@dataclass(frozen=True)
class NewHold:
    hold: Hold
    token: str  # given out once; only its hash is stored
