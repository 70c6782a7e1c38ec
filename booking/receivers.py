"""Booking follows the catalog (catalog.signals): every show has one inventory row per seat
of its hall, and nothing that would move a sold seat may change. Connected in ready()."""

from django.db.models import F
from django.dispatch import receiver

from booking import seats
from booking.inventory import hall_has_sales, show_has_sales
from booking.models import SeatMapState
from catalog.layout import LayoutError
from catalog.services import show_has_sales_error
from catalog.signals import hall_layout_changing, hall_seats_changed, show_changing, show_saved


@receiver(hall_layout_changing)
def refuse_a_new_layout_once_seats_are_sold(*, hall, **kwargs) -> None:
    if hall_has_sales(hall):
        raise LayoutError(f"the layout of {hall.name} cannot change: "
                          "a show in it has seats held or booked")


@receiver(hall_seats_changed)
def give_every_show_the_halls_seats(*, hall, **kwargs) -> None:
    for show in hall.shows.all():
        seats.create_for(show)
    SeatMapState.objects.filter(show__hall=hall).update(version=F("version") + 1)


@receiver(show_changing)
def refuse_moving_a_show_with_sales(*, show, changed: list[str], lock: bool,
                                    **kwargs) -> None:
    if lock:
        seats.lock_show(show.pk)  # no hold may slip in while the show changes
    if show_has_sales(show.pk):
        raise show_has_sales_error(changed)


@receiver(show_saved)
def keep_the_inventory_in_step(*, show, hall_changed: bool, **kwargs) -> None:
    if hall_changed:
        seats.rebuild_for(show)
    else:
        seats.create_for(show)
