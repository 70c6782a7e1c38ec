"""The database refuses double selling even if Python code were wrong."""

import pytest
from django.db import IntegrityError, transaction

from booking.models import BookingSeat, ShowSeat
from tests.factories import ShowFactory
from tests.helpers import book, put_on_hold

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_a_seat_cannot_have_two_active_tickets():
    show = ShowFactory()
    first = book(show, ["A1"])
    ticket_row = ShowSeat.objects.get(booking=first)
    BookingSeat.objects.create(booking=first, show_seat=ticket_row, seat_id=ticket_row.seat_id,
                               price=1)
    second = book(show, ["A2"])
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingSeat.objects.create(booking=second, show_seat=ticket_row,
                                   seat_id=ticket_row.seat_id, price=1)


def test_a_cancelled_ticket_does_not_block_a_new_one():
    show = ShowFactory()
    first = book(show, ["A1"])
    row = ShowSeat.objects.get(booking=first)
    BookingSeat.objects.create(booking=first, show_seat=row, seat_id=row.seat_id, price=1,
                               active=False)
    second = book(show, ["A2"])
    BookingSeat.objects.create(booking=second, show_seat=row, seat_id=row.seat_id, price=1)


def test_a_seat_cannot_be_held_and_booked_at_once():
    show = ShowFactory()
    booking = book(show, ["A1"])
    hold = put_on_hold(show, ["A2"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ShowSeat.objects.filter(booking=booking).update(hold=hold, held_until=hold.expires_at)


def test_a_held_seat_always_has_its_expiry():
    show = ShowFactory()
    hold = put_on_hold(show, ["A1"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ShowSeat.objects.filter(hold=hold).update(held_until=None)


def test_one_inventory_row_per_seat_per_show():
    show = ShowFactory()
    row = ShowSeat.objects.filter(show=show).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ShowSeat.objects.create(show=show, seat_id=row.seat_id)
