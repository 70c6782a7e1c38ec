import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Booking, BookingSeat, Hold, Payment, ShowSeat, TestGatewayCharge
from catalog.models import Show
from tests.booking_helpers import (
    CARD_DECLINED,
    CARD_NO_FUNDS,
    checkout_body,
    seat_ids,
    state_of,
)
from tests.factories import ShowFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def show():
    return ShowFactory()


@pytest.fixture
def hold(api, show):
    body = api.post(f"/api/v1/shows/{show.id}/holds",
                    {"seats": seat_ids(show, "A1", "B2")}).json()
    return body["id"], body["token"]


ORDER_1, ORDER_2, DECLINE_KEY = (str(uuid.uuid4()) for _ in range(3))


def pay(api, hold, body=None, key=None, token=None):
    hold_id, hold_token = hold
    headers = {"Idempotency-Key": key} if key else None
    return api.post(f"/api/v1/holds/{hold_id}/checkout", body or checkout_body(),
                    token=token or hold_token, headers=headers)


def test_checkout_turns_the_hold_into_a_booking(api, show, hold):
    response = pay(api, hold)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "confirmed" and body["show"] == show.id
    assert body["total"] == "28.50" and body["currency"] == "USD"
    assert [(s["row"], s["number"], s["price"]) for s in body["seats"]] == [
        ("A", 1, "12.50"), ("B", 2, "16.00")]
    assert len(body["reference"]) == 8 and len(body["token"]) >= 43
    states = {s["id"]: s["state"] for s in api.get(f"/api/v1/shows/{show.id}/seats")
              .json()["seats"]}
    assert {states[i] for i in seat_ids(show, "A1", "B2")} == {"booked"}
    assert api.get(f"/api/v1/holds/{hold[0]}", token=hold[1]).json()["state"] == "confirmed"
    payment = Payment.objects.get()
    assert payment.status == "captured" and payment.card_brand == "visa"
    assert payment.card_last4 == "4242" and payment.amount == payment.booking.total
    # Only brand and last four digits anywhere: no column holds the number or the CVC.
    for row in [*Payment.objects.values(), *TestGatewayCharge.objects.values()]:
        assert not any("4242424242424242" in str(v) or v == "123" for v in row.values())


def test_confirmation_email_is_sent_after_commit(api, show, hold, mailoutbox,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = pay(api, hold).json()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ada@example.com"] and body["reference"] in mail.subject
    assert f"Booking reference: {body['reference']}" in mail.body
    assert "Row A, seat 1 (standard) $12.50" in mail.body
    assert "4242" not in mail.body


def test_no_email_when_the_payment_is_declined(api, hold, mailoutbox,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pay(api, hold, checkout_body(CARD_DECLINED))
    assert mailoutbox == []


def test_booking_is_read_and_cancelled_with_its_own_token(api, show, hold):
    body = pay(api, hold).json()
    ref, token = body["reference"], body["token"]
    assert api.get(f"/api/v1/bookings/{ref}").status_code == 404
    assert api.get(f"/api/v1/bookings/{ref}", token=hold[1]).status_code == 404
    assert api.get("/api/v1/bookings/NOPE1234", token=token).status_code == 404
    got = api.get(f"/api/v1/bookings/{ref}", token=token).json()
    assert got["customer"] == {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert "token" not in got
    assert api.post(f"/api/v1/bookings/{ref}/cancel").status_code == 404
    cancelled = api.post(f"/api/v1/bookings/{ref}/cancel", token=token)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert Payment.objects.get().status == "refunded"
    assert TestGatewayCharge.objects.get().status == "refunded"
    assert not BookingSeat.objects.filter(active=True).exists()
    again = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1", "B2")})
    assert again.status_code == 201  # the seats are on sale again at once
    assert api.post(f"/api/v1/bookings/{ref}/cancel", token=token).json()["state"] == "cancelled"
    assert TestGatewayCharge.objects.filter(status="refunded").count() == 1


def test_cannot_cancel_after_the_show_started(api, show, hold):
    body = pay(api, hold).json()
    Show.objects.filter(pk=show.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    response = api.post(f"/api/v1/bookings/{body['reference']}/cancel", token=body["token"])
    assert response.status_code == 409 and "already started" in response.json()["detail"]
    assert Booking.objects.get().state == "confirmed"


def test_declined_card_is_402_and_the_hold_stays_for_another_card(api, show, hold):
    expires = Hold.objects.get(pk=hold[0]).expires_at
    response = pay(api, hold, checkout_body(CARD_DECLINED))
    assert response.status_code == 402
    assert response.json()["reason"] == "card_declined"
    assert "Try another card" in response.json()["detail"]
    held = Hold.objects.get(pk=hold[0])
    assert held.state == "active" and held.expires_at == expires
    assert set(ShowSeat.objects.filter(hold=held).values_list("held_until", flat=True)) == {
        expires}
    response = pay(api, hold, checkout_body(CARD_NO_FUNDS))
    assert response.status_code == 402 and response.json()["reason"] == "insufficient_funds"
    assert pay(api, hold).status_code == 201
    assert list(Payment.objects.order_by("id").values_list("status", flat=True)) == [
        "declined", "declined", "captured"]


def test_idempotent_retry_returns_the_same_booking_and_charges_once(api, hold):
    first = pay(api, hold, key=ORDER_1)
    second = pay(api, hold, key=ORDER_1)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert TestGatewayCharge.objects.count() == 1 and Booking.objects.count() == 1
    third = pay(api, hold, key=ORDER_2)
    assert third.status_code == 409 and "already been paid" in third.json()["detail"]
    assert third.json()["booking"] == first.json()["reference"]
    assert TestGatewayCharge.objects.count() == 1


def test_replayed_decline_is_the_same_decline(api, hold):
    assert pay(api, hold, checkout_body(CARD_DECLINED), key=DECLINE_KEY).status_code == 402
    assert pay(api, hold, checkout_body(CARD_DECLINED), key=DECLINE_KEY).status_code == 402
    assert TestGatewayCharge.objects.count() == 1


def test_expired_hold_is_410_and_nothing_is_charged(api, hold):
    Hold.objects.filter(pk=hold[0]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = pay(api, hold)
    assert response.status_code == 410 and "expired" in response.json()["detail"]
    assert TestGatewayCharge.objects.count() == 0 and Booking.objects.count() == 0


def test_released_hold_is_410(api, hold):
    api.delete(f"/api/v1/holds/{hold[0]}", token=hold[1])
    assert pay(api, hold).status_code == 410


def test_checkout_needs_the_hold_token(api, show, hold):
    other = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A2")}).json()
    for token in ["wrong", other["token"]]:
        assert pay(api, hold, token=token).status_code == 404
    assert api.post(f"/api/v1/holds/{hold[0]}/checkout", checkout_body()).status_code == 404
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"customer": {"name": "", "email": "ada@example.com"}}, "customer.name"),
    ({"customer": {"name": "Ada", "email": "not-an-email"}}, "customer.email"),
    ({"payment": {"card_number": "4242 4242 4242 4241"}}, "payment.card_number"),
    ({"payment": {"card_number": "abcd"}}, "payment.card_number"),
    ({"payment": {"exp_month": 13}}, "payment.exp_month"),
    ({"payment": {"exp_month": "12"}}, "payment.exp_month"),
    ({"payment": {"exp_year": 2020}}, "payment.exp_year"),
    ({"payment": {"cvc": "12"}}, "payment.cvc"),
    ({"payment": {"cvc": 123}}, "payment.cvc"),
    ({"customer": "Ada"}, "customer"),
    ({"payment": None}, "payment"),
])
def test_bad_checkout_input_is_400_by_field_and_changes_nothing(api, show, hold, body, field):
    full = checkout_body()
    for key, value in body.items():
        if isinstance(value, dict) and isinstance(full.get(key), dict):
            full[key] = {**full[key], **value}
        else:
            full[key] = value
    before = state_of(show)
    response = pay(api, hold, full)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert state_of(show) == before and Payment.objects.count() == 0


def test_malformed_checkout_body(api, show, hold):
    before = state_of(show)
    response = api.post(f"/api/v1/holds/{hold[0]}/checkout", raw="{oops", token=hold[1])
    assert response.status_code == 400
    response = api.post(f"/api/v1/holds/{hold[0]}/checkout", raw="[]", token=hold[1])
    assert response.status_code == 400
    for weak in ("x" * 101, "x" * 30, "retry-1", "123e4567-e89b-12d3-a456-426614174000"):
        response = pay(api, hold, key=weak)  # too long, not random, too short, not a UUIDv4
        assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]
    assert state_of(show) == before


def _long_email(length: int) -> str:
    domain = ".".join(["d" * 60] * 4)[: length - 65] + ".com"  # labels of at most 63
    return "a" * (length - len(domain) - 1) + "@" + domain


@pytest.mark.parametrize("length", [255, 300, 320])
def test_an_email_too_long_for_the_column_is_a_field_error(api, show, hold, length):
    email = _long_email(length)
    assert len(email) == length
    body = checkout_body()
    body["customer"]["email"] = email
    before = state_of(show)
    response = pay(api, hold, body)
    assert response.status_code == 400
    assert "at most 254" in response.json()["errors"]["customer.email"]
    assert state_of(show) == before and Payment.objects.count() == 0


def test_an_email_of_254_characters_is_booked(api, show, hold):
    body = checkout_body()
    body["customer"]["email"] = _long_email(254)
    response = pay(api, hold, body)
    assert response.status_code == 201, response.json()
    assert Booking.objects.get().customer_email == body["customer"]["email"]


def test_a_hold_cannot_be_paid_once_the_show_has_started(api, show, hold):
    Show.objects.filter(pk=show.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    response = pay(api, hold)
    assert response.status_code == 409 and response.json()["reason"] == "show_started"
    assert "nothing was charged" in response.json()["detail"]
    assert TestGatewayCharge.objects.count() == 0 and Booking.objects.count() == 0
    assert Hold.objects.get(pk=hold[0]).state == "released"
    assert not ShowSeat.objects.filter(show=show, hold__isnull=False).exists()
