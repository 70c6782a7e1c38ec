"""Random sequences of hold / release / checkout / cancel / clock moves / sweeps, checked after
every step against a plain model of who owns which seat."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone
from hypothesis import HealthCheck, note
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from booking import bookings, checkout, holds, payment_details
from booking.errors import PaymentDeclined, SeatsUnavailable
from booking.inventory import seat_states
from booking.models import BookingSeat, Hold, ShowSeat
from tests.booking_helpers import CARD_DECLINED, CARD_OK, checkout_body
from tests.factories import HallFactory, ShowFactory
from ticketing.errors import Conflict, Gone

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

LAYOUT = ["A: ssxs", "B: ss_s"]  # 7 seats, one blocked


class HoldMachine(RuleBasedStateMachine):
    hold_ids = Bundle("hold_ids")
    booked = Bundle("booked")

    def __init__(self) -> None:
        super().__init__()
        self.now = timezone.now().replace(microsecond=0)
        self.clock = mock.patch("django.utils.timezone.now", lambda: self.now)
        self.clock.start()
        self.show = ShowFactory(hall=HallFactory(layout=LAYOUT),
                                starts_at=self.now + timedelta(days=5))
        seats = list(self.show.hall.seats.all())
        self.seat_ids = [s.id for s in seats if not s.blocked]
        self.blocked = {s.id for s in seats if s.blocked}
        # seat id -> ("held", hold id, expires at) | ("booked", booking id)
        self.owner: dict[int, tuple] = {}
        self.tokens: dict[str, str] = {}
        self.paid: set = set()

    def teardown(self) -> None:
        self.clock.stop()

    def model_state(self, seat_id: int) -> str:
        if seat_id in self.blocked:
            return "blocked"
        owner = self.owner.get(seat_id)
        if owner is None:
            return "available"
        if owner[0] == "booked":
            return "booked"
        return "held" if owner[2] > self.now else "available"

    @rule(target=hold_ids, picks=st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True))
    def hold(self, picks):
        wanted = [self.seat_ids[i] for i in picks]
        expect_ok = all(self.model_state(s) == "available" for s in wanted)
        try:
            new = holds.hold_seats(show=self.show, seat_ids=wanted)
        except SeatsUnavailable as exc:
            assert not expect_ok, exc.message
            named = {s["id"] for s in exc.extra["seats"]}
            assert named == {s for s in wanted if self.model_state(s) != "available"}
            return None
        assert expect_ok
        # The rule reads its clock after its locks: the moved clock plus however long the
        # request took to reach them (in real time), so the model takes the hold's own expiry.
        expires = new.hold.expires_at
        promised = self.now + timedelta(seconds=settings.HOLD_TTL_SECONDS)
        assert promised <= expires < promised + timedelta(seconds=1)
        for seat in wanted:
            self.owner[seat] = ("held", new.hold.pk, expires)
        self.tokens[str(new.hold.pk)] = new.token
        return new.hold.pk

    @rule(hold_id=consumes(hold_ids))
    def release(self, hold_id):
        if hold_id is None:
            return
        if hold_id in self.paid:
            with pytest.raises(Conflict):
                holds.release_hold(hold=Hold.objects.get(pk=hold_id))
            return
        holds.release_hold(hold=Hold.objects.get(pk=hold_id))
        for seat, owner in list(self.owner.items()):
            if owner[0] == "held" and owner[1] == hold_id:
                del self.owner[seat]

    @rule(target=booked, hold_id=hold_ids, declined=st.booleans())
    def pay(self, hold_id, declined):
        if hold_id is None:
            return None
        mine = [s for s, o in self.owner.items() if o[0] == "held" and o[1] == hold_id]
        live = bool(mine) and all(self.model_state(s) == "held" for s in mine)
        customer, card = payment_details.parse_checkout(
            checkout_body(CARD_DECLINED if declined else CARD_OK))
        try:
            confirmed = checkout.confirm_checkout(
                hold=Hold.objects.get(pk=hold_id), hold_token=self.tokens[str(hold_id)],
                customer=customer, card=card)
        except PaymentDeclined:
            assert declined and live
            return None
        except (Gone, Conflict) as exc:
            assert not live, exc.message
            return None
        assert live and not declined
        self.paid.add(hold_id)
        for seat in mine:
            self.owner[seat] = ("booked", confirmed.booking.pk)
        return confirmed.booking

    @rule(booking=consumes(booked))
    def cancel(self, booking):
        if booking is None:
            return
        bookings.cancel_booking(booking=booking)
        for seat, owner in list(self.owner.items()):
            if owner == ("booked", booking.pk):
                del self.owner[seat]

    @rule(seconds=st.integers(1, 400))
    def wait(self, seconds):
        self.now += timedelta(seconds=seconds)
        note(f"clock +{seconds}s")

    @rule()
    def sweep(self):
        holds.expire_holds()

    @invariant()
    def seat_map_matches_the_model(self):
        states = {s.id: s.state for s in seat_states(self.show, self.now)}
        assert states == {s: self.model_state(s) for s in states}
        counts = [sum(1 for v in states.values() if v == k)
                  for k in ("available", "held", "booked", "blocked")]
        assert sum(counts) == len(self.seat_ids) + len(self.blocked) == 7

    @invariant()
    def no_seat_in_two_live_holds_or_bookings(self):
        live = Hold.objects.filter(show=self.show, state__in=["active", "paying"],
                                   expires_at__gt=self.now)
        seen: set[int] = set()
        for hold in live:
            seats = set(ShowSeat.objects.filter(hold=hold, held_until__gt=self.now)
                        .values_list("seat_id", flat=True))
            assert not seats & seen
            seen |= seats
        active = list(BookingSeat.objects.filter(booking__show=self.show, active=True)
                      .values_list("seat_id", flat=True))
        assert len(active) == len(set(active))
        assert not seen & set(active)


def test_holds_behave_like_the_model(either_hold_rule):
    run_state_machine_as_test(
        HoldMachine,
        settings=hsettings(max_examples=25, stateful_step_count=25, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow]),
    )
