"""Why a hold is refused: the one wording of each answer, whichever way the hold was decided
(booking.holds in Python, or booking.holds_sql in the database)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from booking.errors import SeatsUnavailable
from ticketing.errors import Conflict, DomainError, InvalidRequest, LimitReached
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


class NotOnSale(Conflict):
    code = "not_on_sale"


def not_on_sale(on_sale_at: datetime, tz_name: str) -> NotOnSale:
    """The 409 for a hold before the show's on-sale time, saying when (in the cinema's zone)."""
    local = on_sale_at.astimezone(ZoneInfo(tz_name))
    return NotOnSale(_("Seats for this show go on sale at {when} ({timezone}).",
                       when=local.strftime("%Y-%m-%d %H:%M"), timezone=tz_name),
                     on_sale_at=on_sale_at.isoformat())


class QueueRequired(DomainError):
    status, code = 403, "queue_required"


def queue_required(show_id: int) -> QueueRequired:
    """The 403 for a hold on a show with a waiting room, without a valid pass from it."""
    return QueueRequired(
        _("This show is in high demand: join its waiting room, and hold seats when it lets "
          "you in (with the pass it gives you)."),
        room=f"/api/v1/shows/{show_id}/room", page=f"/shows/{show_id}/room")


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
