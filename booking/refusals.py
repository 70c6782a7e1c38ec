"""Why a hold is refused: the one wording of each answer, whichever way the hold was decided
(booking.holds in Python, or booking.holds_sql in the database)."""

from django.conf import settings

from booking.errors import SeatsUnavailable
from ticketing.errors import Conflict, InvalidRequest, LimitReached
from ticketing.i18n import _, n_


class LineIsWaiting(Conflict):
    code = "waitlist_active"


class WouldStrandSeat(Conflict):
    code = "would_strand_seat"


def strands_seats(alone: list[tuple[int, str]], instead: list[tuple[int, str]]
                  ) -> WouldStrandSeat:
    """The 409 naming each seat the hold would leave on its own, with the nearest choice of as
    many seats that leaves nobody alone: (seat id, label) of each."""
    lonely = ", ".join(label for _seat, label in alone)
    better = ", ".join(label for _seat, label in instead)
    return WouldStrandSeat(
        n_("Those seats would leave {seats} on its own, and a single seat is hard for anyone "
           "to book. Try {better} instead.",
           "Those seats would leave {seats} on their own, and a single seat is hard for anyone "
           "to book. Try {better} instead.", len(alone), seats=lonely, better=better),
        seats=[{"id": seat_id, "label": label} for seat_id, label in alone],
        suggestion=[{"id": seat_id, "label": label} for seat_id, label in instead])


class CompanionSeatAlone(Conflict):
    code = "companion_seat_needs_space"


def companion_needs_space(seats: list[tuple[int, str]]) -> CompanionSeatAlone:
    """The 409 for companion seats held without a wheelchair space: (seat id, label) each."""
    labels = ", ".join(label for _seat, label in seats)
    return CompanionSeatAlone(
        n_("{seats} is a companion seat, kept for people who come with a wheelchair user: "
           "hold it together with the wheelchair space beside it.",
           "{seats} are companion seats, kept for people who come with a wheelchair user: "
           "hold them together with the wheelchair spaces beside them.", len(seats),
           seats=labels),
        seats=[{"id": seat_id, "label": label} for seat_id, label in seats])


def show_started() -> Conflict:
    return Conflict(_("booking is closed: this show has already started"))


def show_cancelled() -> Conflict:
    return Conflict(_("This show was cancelled, so it cannot be booked."))


def no_such_seats(seat_ids: list[int]) -> InvalidRequest:
    return InvalidRequest(_("no seats {seats} in this show's hall", seats=seat_ids),
                          field="seats",
                          seat_ids=seat_ids)


def line_is_waiting() -> LineIsWaiting:
    return LineIsWaiting(_(
        "People are already waiting for seats at this show, and seats that free up go to "
        "them first. Join the waiting list to get the next seats in turn."))


def seats_unavailable(taken: list[tuple[int, str, str]]) -> SeatsUnavailable:
    """The 409 naming each taken seat: (seat id, label, state) of each."""
    labels = ", ".join(label for _seat, label, _state in taken)
    return SeatsUnavailable(
        n_("This seat is no longer available: {seats}. Choose other seats, or join the "
           "waiting list.",
           "These seats are no longer available: {seats}. Choose other seats, or join the "
           "waiting list.", len(taken), seats=labels),
        seats=[{"id": seat_id, "label": label, "state": state}
               for seat_id, label, state in taken],
    )


def too_many_holds(retry_after: int) -> LimitReached:
    return LimitReached(_(
        "You already hold seats here: at most {per_show} holds per show and {overall} in all "
        "at once. Pay for or release a hold first.",
        per_show=settings.HOLDS_PER_CLIENT_PER_SHOW, overall=settings.HOLDS_PER_CLIENT),
        retry_after=retry_after)
