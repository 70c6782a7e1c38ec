"""The room follows the catalog and booking: a show marked high demand gets its room (and its
commitment) when saved; a pass that ends lets the next visitor in at once."""

from django.dispatch import receiver

from booking.signals import pass_ended, seats_freed
from catalog.signals import show_saved
from ticketing.tasks import enqueue
from waitingroom import services, tasks


@receiver(show_saved)
def make_room(sender, show, **kwargs) -> None:
    services.ensure_room(show)


@receiver(pass_ended)
def let_next_in(sender, show_id: int, **kwargs) -> None:
    enqueue(tasks.admit, show_id)


@receiver(seats_freed)
def let_in_for_freed_seats(sender, show_id: int, **kwargs) -> None:
    """Seats came back (a hold ran out or was released): someone waiting may choose them."""
    if services.letting_in(show_id):
        enqueue(tasks.admit, show_id)
