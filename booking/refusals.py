"""Why a hold is refused: the one wording of each answer, whichever way the hold was decided
(booking.holds in Python, or booking.holds_sql in the database)."""

from django.conf import settings

from booking.errors import SeatsUnavailable
from ticketing.errors import Conflict, InvalidRequest, LimitReached


class LineIsWaiting(Conflict):
    code = "waitlist_active"


class WouldStrandSeat(Conflict):
    code = "would_strand_seat"


def strands_seats(alone: list[tuple[int, str]], instead: list[tuple[int, str]]
                  ) -> WouldStrandSeat:
    """The 409 naming each seat the hold would leave on its own, with the nearest choice of as
    many seats that leaves nobody alone: (seat id, label) of each."""
    lonely = ", ".join(label for _, label in alone)
    better = ", ".join(label for _, label in instead)
    return WouldStrandSeat(
        f"Those seats would leave {lonely} on {'its' if len(alone) == 1 else 'their'} own, "
        f"and a single seat is hard for anyone to book. Try {better} instead.",
        seats=[{"id": seat_id, "label": label} for seat_id, label in alone],
        suggestion=[{"id": seat_id, "label": label} for seat_id, label in instead])


class CompanionSeatAlone(Conflict):
    code = "companion_seat_needs_space"


def companion_needs_space(seats: list[tuple[int, str]]) -> CompanionSeatAlone:
    """The 409 for companion seats held without a wheelchair space: (seat id, label) each."""
    labels = ", ".join(label for _, label in seats)
    return CompanionSeatAlone(
        f"{labels} {'is a companion seat' if len(seats) == 1 else 'are companion seats'}, "
        "kept for people who come with a wheelchair user: hold "
        f"{'it' if len(seats) == 1 else 'them'} together with the wheelchair space beside "
        f"{'it' if len(seats) == 1 else 'them'}.",
        seats=[{"id": seat_id, "label": label} for seat_id, label in seats])


def show_started() -> Conflict:
    return Conflict("booking is closed: this show has already started")


def show_cancelled() -> Conflict:
    return Conflict("This show was cancelled, so it cannot be booked.")


def no_such_seats(seat_ids: list[int]) -> InvalidRequest:
    return InvalidRequest(f"no seats {seat_ids} in this show's hall", field="seats",
                          seat_ids=seat_ids)


def line_is_waiting() -> LineIsWaiting:
    return LineIsWaiting(
        "People are already waiting for seats at this show, and seats that free up go to "
        "them first. Join the waiting list to get the next seats in turn.")


def seats_unavailable(taken: list[tuple[int, str, str]]) -> SeatsUnavailable:
    """The 409 naming each taken seat: (seat id, label, state) of each."""
    labels = ", ".join(label for _, label, _ in taken)
    return SeatsUnavailable(
        f"{'This seat is' if len(taken) == 1 else 'These seats are'} no longer available: "
        f"{labels}. Choose other seats, or join the waiting list.",
        seats=[{"id": seat_id, "label": label, "state": state}
               for seat_id, label, state in taken],
    )


def too_many_holds(retry_after: int) -> LimitReached:
    return LimitReached(
        f"You already hold seats here: at most {settings.HOLDS_PER_CLIENT_PER_SHOW} holds per "
        f"show and {settings.HOLDS_PER_CLIENT} in all at once. Pay for or release a hold "
        "first.", retry_after=retry_after)
