"""Real races: many threads, each with its own database connection, at the same instant."""

import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from booking import bookings, checkout, payment_details
from booking.checkout import recover_payments
from booking.holds import expire_holds
from booking.models import Booking, Hold, Payment, ShowSeat, TestGatewayCharge
from booking.payments import get_gateway
from tests.booking_helpers import CARD_SLOW, checkout_body, seat_ids
from tests.factories import HallFactory, ShowFactory
from tests.helpers import Api, run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


def test_fifty_clients_race_for_the_same_hot_seats():
    show = ShowFactory(hall=HallFactory(layout=["A: ssssss", "B: ssssss"]))
    hot = seat_ids(show, "A1", "A2", "A3", "A4", "A5", "A6")
    rng = random.Random(2026)
    requests = [sorted(rng.sample(hot, rng.randint(1, 4))) for _ in range(50)]

    def attempt(wanted: list[int]) -> Callable[[], tuple[int, dict]]:
        def go():
            response = Api(Client()).post(f"/api/v1/shows/{show.id}/holds", {"seats": wanted})
            return response.status_code, response.json()
        return go

    results = run_together([attempt(wanted) for wanted in requests])
    assert not [r for r in results if isinstance(r, Exception)], results
    wins = [(wanted, body) for wanted, (status, body) in zip(requests, results, strict=True)
            if status == 201]
    losses = [(wanted, body) for wanted, (status, body) in zip(requests, results, strict=True)
              if status != 201]
    assert wins, "somebody must win"
    assert all(status in (201, 409) for status, _ in results)
    # Every loser was told which of its seats were taken, and they really were.
    won_seats = {seat for wanted, _ in wins for seat in wanted}
    for wanted, body in losses:
        named = {s["id"] for s in body["seats"]}
        assert named and named <= set(wanted) and named <= won_seats
    # Winners are disjoint and each got exactly what it asked for.
    assert len(won_seats) == sum(len(wanted) for wanted, _ in wins)
    for wanted, body in wins:
        assert sorted(s["id"] for s in body["seats"]) == wanted
        assert sorted(ShowSeat.objects.filter(hold_id=body["id"])
                      .values_list("seat_id", flat=True)) == wanted
    # Failures left nothing behind; held seats are exactly the union of the wins.
    assert Hold.objects.count() == len(wins)
    assert set(ShowSeat.objects.filter(hold__isnull=False)
               .values_list("seat_id", flat=True)) == won_seats


def test_overlapping_best_available_requests_never_share_a_seat():
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss", "B: ssssssss"]))

    def attempt():
        response = Api(Client()).post(f"/api/v1/shows/{show.id}/holds", {"count": 3})
        return response.status_code, response.json()

    results = run_together([attempt for _ in range(12)])
    wins = [body for status, body in results if status == 201]
    seats = [s["id"] for body in wins for s in body["seats"]]
    assert len(seats) == len(set(seats))
    assert len(wins) == 5  # 16 seats: five parties of three fit, the rest are told no
    assert all(status in (201, 409) for status, _ in results)


def _hold(api: Api, show, *labels) -> tuple[str, str]:
    body = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, *labels)}).json()
    return body["id"], body["token"]


def test_payment_in_flight_keeps_the_hold_then_refunds_if_it_lands_too_late(settings):
    settings.HOLD_TTL_SECONDS = 1
    settings.PAYMENT_GRACE_SECONDS = 1
    settings.TEST_GATEWAY_SLOW_SECONDS = 3
    show = ShowFactory()
    api = Api(Client())
    hold_id, token = _hold(api, show, "A1")
    outcome: dict = {}

    def pay():
        outcome["response"] = Api(Client()).post(
            f"/api/v1/holds/{hold_id}/checkout", checkout_body(CARD_SLOW), token=token)
        connection.close()

    payer = threading.Thread(target=pay)
    payer.start()
    time.sleep(0.5)
    # The gateway is called outside any transaction: the "paying" state is already visible.
    assert Hold.objects.get(pk=hold_id).state == "paying"
    assert api.delete(f"/api/v1/holds/{hold_id}", token=token).status_code == 409
    time.sleep(1.2)  # the grace runs out while the charge is still in flight
    expire_holds()
    rival = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")})
    assert rival.status_code == 201
    payer.join(timeout=10)
    response = outcome["response"]
    assert response.status_code == 410 and "refunded" in response.json()["detail"]
    assert Payment.objects.get().status == "refunded"
    assert TestGatewayCharge.objects.get().status == "refunded"
    assert Booking.objects.count() == 0
    assert ShowSeat.objects.filter(hold_id=rival.json()["id"]).count() == 1  # rival unharmed


def test_slow_payment_within_the_grace_is_honoured_after_the_hold_time(settings):
    settings.HOLD_TTL_SECONDS = 1
    settings.PAYMENT_GRACE_SECONDS = 10
    settings.TEST_GATEWAY_SLOW_SECONDS = 2
    show = ShowFactory()
    api = Api(Client())
    hold_id, token = _hold(api, show, "A1")
    results = run_together([
        lambda: Api(Client()).post(f"/api/v1/holds/{hold_id}/checkout",
                                   checkout_body(CARD_SLOW), token=token),
        lambda: (time.sleep(1.5), Api(Client()).post(
            f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}))[1],
    ])
    paid, rival = results
    assert paid.status_code == 201, paid.json()
    assert rival.status_code == 409  # the seat was still held while the charge was in flight
    assert ShowSeat.objects.get(seat__in=seat_ids(show, "A1"), show=show).booking_id


SAME_KEY, CRASH_KEY = str(uuid.uuid4()), str(uuid.uuid4())


def test_two_checkouts_with_one_key_at_once_charge_once():
    show = ShowFactory()
    hold_id, token = _hold(Api(Client()), show, "A1", "A2")

    def pay():
        return Api(Client()).post(f"/api/v1/holds/{hold_id}/checkout", checkout_body(),
                                  token=token, headers={"Idempotency-Key": SAME_KEY})

    results = run_together([pay for _ in range(6)])
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409} and 201 in statuses
    assert TestGatewayCharge.objects.count() == 1 and Booking.objects.count() == 1
    references = {r.json()["reference"] for r in results if r.status_code == 201}
    assert len(references) == 1


def _crash_after_charging(show, api: Api, settings) -> tuple[str, str, Payment]:
    """Run checkout up to and including the charge, then 'crash' before finishing."""
    hold_id, token = _hold(api, show, "B1", "B2")
    hold = Hold.objects.get(pk=hold_id)
    customer, card = payment_details.parse_checkout(checkout_body())
    payment = checkout._start_payment(hold=hold, hold_token=token, customer=customer,
                                      card=card, key=f"{hold_id}:{CRASH_KEY}")
    get_gateway().charge(amount=payment.amount, currency=payment.currency, card=card,
                         idempotency_key=payment.idempotency_key)
    return hold_id, token, payment


def test_recovery_confirms_a_charge_that_a_crash_left_unfinished(settings):
    show = ShowFactory()
    api = Api(Client())
    hold_id, token, payment = _crash_after_charging(show, api, settings)
    assert Hold.objects.get(pk=hold_id).state == "paying"
    assert recover_payments(older_than_seconds=0) == 1
    payment.refresh_from_db()
    assert payment.status == "captured" and payment.booking.state == "confirmed"
    assert Hold.objects.get(pk=hold_id).state == "confirmed"
    # The customer comes back with the same key and gets the booking, with a working token.
    replay = api.post(f"/api/v1/holds/{hold_id}/checkout", checkout_body(), token=token,
                      headers={"Idempotency-Key": CRASH_KEY})
    assert replay.status_code == 201
    assert api.get(f"/api/v1/bookings/{replay.json()['reference']}",
                   token=replay.json()["token"]).status_code == 200
    assert recover_payments(older_than_seconds=0) == 0  # nothing done twice


def test_recovery_refunds_a_charge_whose_seats_are_gone(settings):
    show = ShowFactory()
    api = Api(Client())
    hold_id, _, payment = _crash_after_charging(show, api, settings)
    Hold.objects.filter(pk=hold_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    ShowSeat.objects.filter(hold_id=hold_id).update(
        held_until=timezone.now() - timedelta(seconds=1))
    expire_holds()
    assert recover_payments(older_than_seconds=0) == 1
    payment.refresh_from_db()
    assert payment.status == "refunded" and Booking.objects.count() == 0
    assert TestGatewayCharge.objects.get().status == "refunded"


def test_recovery_frees_a_hold_whose_charge_never_happened(settings):
    show = ShowFactory()
    api = Api(Client())
    hold_id, token = _hold(api, show, "A1")
    customer, card = payment_details.parse_checkout(checkout_body())
    checkout._start_payment(hold=Hold.objects.get(pk=hold_id), hold_token=token,
                            customer=customer, card=card, key=f"{hold_id}:lost")
    assert recover_payments(older_than_seconds=0) == 1
    assert Payment.objects.get().status == "failed"
    assert Hold.objects.get(pk=hold_id).state == "active"  # back to its own expiry
    assert api.post(f"/api/v1/holds/{hold_id}/checkout", checkout_body(),
                    token=token).status_code == 201


def test_two_tabs_of_one_browser_holding_at_once_lose_no_hold(monkeypatch):
    """Both tabs share the session cookie. The second hold request waits for the first, then
    replaces the hold the first one made: one live hold, and the session can reach it."""
    from booking import holds as services

    show = ShowFactory(hall=HallFactory(layout=["A: ssssss"]))
    tab_one = Client()
    assert tab_one.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A1")}).status_code \
        == 302
    tab_two = Client()
    tab_two.cookies = tab_one.cookies
    real = services.hold_seats

    def slow_hold(**kwargs):  # widen the window in which both tabs are inside the view
        time.sleep(0.3)
        return real(**kwargs)

    monkeypatch.setattr(services, "hold_seats", slow_hold)
    results = run_together([
        lambda: tab_one.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A2")}),
        lambda: tab_two.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A3")}),
    ])
    assert [r.status_code for r in results] == [302, 302], results
    live = Hold.objects.filter(show=show, state="active")
    assert live.count() == 1  # the later request replaced the earlier one's hold
    browser = Client()
    browser.cookies = tab_one.cookies
    for hold in Hold.objects.filter(show=show):
        assert browser.get(f"/holds/{hold.pk}/").status_code == 200  # every hold reachable


def test_refund_paths_racing_for_one_payment_refund_it_once(monkeypatch):
    """Cancelling, a second cancel and two recovery runs all reach the refund at once."""
    from booking.models import TestGatewayRefund
    from booking.payments import TestGateway

    show = ShowFactory()
    api = Api(Client())
    hold_id, token = _hold(api, show, "A1", "A2")
    paid = api.post(f"/api/v1/holds/{hold_id}/checkout", checkout_body(), token=token)
    assert paid.status_code == 201
    booking = Booking.objects.get()
    real = TestGateway.refund

    def slow_refund(self, **kwargs):  # a gateway that takes its time: the paths overlap
        time.sleep(0.3)
        return real(self, **kwargs)

    monkeypatch.setattr(TestGateway, "refund", slow_refund)

    def later(job):
        def run():
            time.sleep(0.1)  # the cancel has committed "refund owed" by now
            return job()
        return run

    results = run_together([
        lambda: bookings.cancel_booking(booking=booking),
        lambda: bookings.cancel_booking(booking=booking),
        later(recover_payments), later(recover_payments),
    ])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert TestGatewayRefund.objects.count() == 1
    assert TestGatewayCharge.objects.get().status == "refunded"
    assert Payment.objects.get().status == "refunded"


def test_two_tabs_opened_by_a_browser_with_no_session_yet_share_one(monkeypatch):
    """The show page gives a new browser its session, so the tabs' first holds take turns."""
    from booking import holds as services

    show = ShowFactory(hall=HallFactory(layout=["A: ssssss"]))
    browser = Client()
    browser.get("/bookings/find")  # a page with a form: the browser gets our CSRF cookie
    assert browser.get(f"/shows/{show.id}/").status_code == 200
    assert "sessionid" in browser.cookies  # before any hold
    tab_two = Client()
    tab_two.cookies = browser.cookies
    real = services.hold_seats

    def slow_hold(**kwargs):
        time.sleep(0.3)
        return real(**kwargs)

    monkeypatch.setattr(services, "hold_seats", slow_hold)
    results = run_together([
        lambda: browser.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A1")}),
        lambda: tab_two.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A2")}),
    ])
    assert [r.status_code for r in results] == [302, 302]
    assert Hold.objects.filter(show=show, state="active").count() == 1
    for hold in Hold.objects.filter(show=show):
        assert browser.get(f"/holds/{hold.pk}/").status_code == 200


def test_one_client_racing_many_holds_at_once_stays_within_its_cap(settings):
    settings.RATE_LIMIT_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "holds": "1000/min"}
    settings.HOLDS_PER_CLIENT_PER_SHOW = 2
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))

    def attempt(label: str):
        return lambda: Api(Client()).client.post(
            f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, label)},
            content_type="application/json", REMOTE_ADDR="2001:db8:5:5::1").status_code

    results = run_together([attempt(f"A{n}") for n in range(1, 9)])
    assert sorted(results) == [201, 201] + [429] * 6, results
    assert Hold.objects.filter(show=show).count() == 2
