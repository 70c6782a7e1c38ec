"""The waiting list follows booking (booking.signals): whenever seats free up, or a hold ends
(an offer may have been paid for or have run out), the show's line is served. Connected in
ready()."""

from django.dispatch import receiver

from booking.signals import hold_ended, seats_freed
from ticketing.tasks import enqueue
from waitlist.services import line_has_work
from waitlist.tasks import serve_line


@receiver(seats_freed)
def serve_the_line_the_freed_seats(*, show_id: int, freed_at: float | None = None,
                                   **kwargs) -> None:
    """A task in production, inline in zero-setup mode or when the broker is down; ``freed_at``
    times how long the offer took."""
    if line_has_work(show_id):  # one indexed query saves a task when nobody waits
        enqueue(serve_line, show_id, freed_at)


@receiver(hold_ended)
def settle_the_line(*, show_id: int, **kwargs) -> None:
    if line_has_work(show_id):
        enqueue(serve_line, show_id, None)
