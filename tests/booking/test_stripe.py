"""The Stripe gateway, through the public API and webhooks, against a Stripe-compatible server
(localstripe) over real HTTP with the real `stripe` library."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking.checkout import recover_payments
from booking.holds import expire_holds
from booking.models import Booking, Hold, Payment, ShowSeat
from booking.stripe_gateway import minor_units
from tests.booking_helpers import checkout_body, seat_ids, state_of
from tests.factories import ShowFactory
from tests.stripe_server import CARD_3DS, CARD_DECLINED, CARD_OK, WEBHOOK_SECRET, signed_event

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
CUSTOMER = {"name": "Ada Lovelace", "email": "ada@example.com"}
WEBHOOK = "/api/v1/payments/stripe/webhook"


@pytest.fixture
def show():
    return ShowFactory()


@pytest.fixture
def hold(api, show, stripe_mode):
    body = api.post(f"/api/v1/shows/{show.id}/holds",
                    {"seats": seat_ids(show, "A1", "B2")}).json()
    return body["id"], body["token"]


def checkout(api, hold, payment=None, *, key=None):
    hold_id, token = hold
    body = {"customer": CUSTOMER, **({"payment": payment} if payment is not None else {})}
    headers = {"Idempotency-Key": key} if key else None
    return api.post(f"/api/v1/holds/{hold_id}/checkout", body, token=token, headers=headers)


def complete(api, hold):
    return api.post(f"/api/v1/holds/{hold[0]}/checkout/complete", token=hold[1])


def webhook(client, event_type, intent, **signing):
    intent = intent.to_dict() if hasattr(intent, "to_dict") else intent
    payload, signature = signed_event(event_type, intent, **signing)
    return client.post(WEBHOOK, payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=signature)


def hold_state(hold):
    return Hold.objects.get(pk=hold[0]).state


def test_minor_units_follow_stripe_for_every_kind_of_currency():
    assert minor_units(Decimal("28.50"), "USD") == 2850
    assert minor_units(Decimal("1800"), "JPY") == 1800
    assert minor_units(Decimal("12000"), "krw") == 12000
    assert minor_units(Decimal("1.250"), "KWD") == 1250
    with pytest.raises(ValueError):
        minor_units(Decimal("12.505"), "EUR")


def test_a_payment_method_from_stripe_js_pays_and_books(api, show, hold, stripe_mode):
    response = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_OK)})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "confirmed" and body["total"] == "28.50" and body["token"]
    payment = Payment.objects.get()
    assert payment.status == "captured" and payment.card_last4 == "4242"
    intent = stripe_mode.intent(payment.gateway_reference)
    assert intent.status == "succeeded"
    assert (intent.amount, intent.currency) == (2850, "usd")
    assert intent.metadata["hold"] == hold[0]
    booking = api.get(f"/api/v1/bookings/{body['reference']}", token=body["token"]).json()
    assert booking["state"] == "confirmed"


def test_card_details_are_refused_in_stripe_mode_and_nothing_changes(api, show, hold):
    before = state_of(show)
    response = checkout(api, hold, checkout_body()["payment"])
    assert response.status_code == 400
    assert "card details must not be sent" in response.json()["errors"]["payment"]
    assert state_of(show) == before and Payment.objects.count() == 0


def test_a_payment_method_stripe_does_not_know_is_a_clear_400(api, show, hold):
    response = checkout(api, hold, {"payment_method": "pm_doesnotexist"})
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == "payment.payment_method"
    assert hold_state(hold) == "active"  # the hold is the customer's again, as it was


def test_a_declined_card_is_402_and_the_seats_stay_held(api, show, hold, stripe_mode,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout(api, hold,
                            {"payment_method": stripe_mode.payment_method(CARD_DECLINED)})
    assert response.status_code == 402, response.json()
    assert response.json()["reason"] == "card_declined"
    assert hold_state(hold) == "active" and Booking.objects.count() == 0
    payment = Payment.objects.get()
    assert payment.status == "declined"
    # Its client secret can confirm nothing later: the attempt is cancelled at Stripe.
    assert stripe_mode.intent(payment.gateway_reference).status == "canceled"
    # Another card, another attempt: it goes through.
    again = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_OK)})
    assert again.status_code == 201


def test_a_3d_secure_card_waits_for_the_challenge_then_books(api, show, hold, stripe_mode):
    response = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)})
    assert response.status_code == 202, response.json()
    step = response.json()["payment"]
    assert step["next_step"] == "authenticate" and step["provider"] == "stripe"
    assert step["client_secret"].startswith(step["payment_intent"])
    assert step["publishable_key"].startswith("pk_")
    assert hold_state(hold) == "paying"
    assert complete(api, hold).status_code == 202  # not authenticated yet: still waiting
    stripe_mode.authenticate(step["payment_intent"], step["client_secret"])
    done = complete(api, hold)
    assert done.status_code == 201, done.json()
    assert hold_state(hold) == "confirmed" and Booking.objects.count() == 1


def test_a_failed_3d_secure_challenge_is_a_decline(api, show, hold, stripe_mode):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    stripe_mode.authenticate(step["payment_intent"], step["client_secret"], success=False)
    response = complete(api, hold)
    assert response.status_code == 402, response.json()
    assert hold_state(hold) == "active" and Booking.objects.count() == 0


def test_a_new_attempt_calls_off_a_challenge_walked_away_from(api, show, hold, stripe_mode):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    again = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_OK)})
    assert again.status_code == 201, again.json()
    assert stripe_mode.intent(step["payment_intent"]).status == "canceled"
    assert sorted(Payment.objects.values_list("status", flat=True)) == ["captured", "failed"]


def test_a_new_attempt_after_the_challenge_was_passed_is_the_booking(api, show, hold,
                                                                     stripe_mode):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    stripe_mode.authenticate(step["payment_intent"], step["client_secret"])
    again = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_OK)})
    assert again.status_code == 201, again.json()
    assert Payment.objects.count() == 1 and Booking.objects.count() == 1  # charged once


def test_without_a_payment_method_the_client_confirms_with_the_secret(api, show, hold,
                                                                      stripe_mode):
    response = checkout(api, hold)
    assert response.status_code == 202
    step = response.json()["payment"]
    assert step["next_step"] == "confirm"
    stripe_mode.confirm_with_card(step["payment_intent"], CARD_OK)
    assert complete(api, hold).status_code == 201


def test_a_retry_with_the_same_key_answers_the_attempt_under_way(api, show, hold, stripe_mode):
    key = str(uuid.uuid4())
    method = stripe_mode.payment_method(CARD_3DS)
    first = checkout(api, hold, {"payment_method": method}, key=key)
    again = checkout(api, hold, {"payment_method": method}, key=key)
    assert first.status_code == again.status_code == 202
    assert first.json()["payment"]["payment_intent"] == again.json()["payment"]["payment_intent"]
    assert Payment.objects.count() == 1


def test_the_webhook_before_the_browser_returns_books_once(api, client, show, hold,
                                                           stripe_mode):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    intent = stripe_mode.authenticate(step["payment_intent"], step["client_secret"])
    assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    booking = Booking.objects.get()
    assert hold_state(hold) == "confirmed"
    # The customer returns afterwards and gets the booking, with its token.
    back = complete(api, hold)
    assert back.status_code == 201 and back.json()["reference"] == booking.reference
    seen = api.get(f"/api/v1/bookings/{booking.reference}", token=back.json()["token"])
    assert seen.status_code == 200
    # The same event again (Stripe delivers at least once): still one booking.
    assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    assert Booking.objects.count() == 1 and Payment.objects.get().status == "captured"


def test_the_webhook_after_the_browser_returned_changes_nothing(api, client, show, hold,
                                                                stripe_mode):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    intent = stripe_mode.authenticate(step["payment_intent"], step["client_secret"])
    assert complete(api, hold).status_code == 201
    for _ in range(2):
        assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    assert Booking.objects.count() == 1 and Payment.objects.get().status == "captured"


def test_forged_and_replayed_webhooks_are_400_and_change_nothing(api, client, show, hold,
                                                                 stripe_mode):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    intent = stripe_mode.authenticate(step["payment_intent"], step["client_secret"])
    forged = webhook(client, "payment_intent.succeeded", intent, secret="whsec_not_ours")
    old = webhook(client, "payment_intent.succeeded", intent, at=int(time.time()) - 3600)
    unsigned = client.post(WEBHOOK, b"{}", content_type="application/json")
    for response in (forged, old, unsigned):
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_signature"
    payload, signature = signed_event("payment_intent.succeeded", intent)
    altered = client.post(WEBHOOK, payload.replace(b"succeeded", b"succeeded "),
                          content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert altered.status_code == 400
    assert Booking.objects.count() == 0 and hold_state(hold) == "paying"
    assert WEBHOOK_SECRET  # the right secret still works:
    assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    assert Booking.objects.count() == 1


def test_a_payment_that_lands_after_the_seats_went_is_refunded(api, client, show, hold,
                                                               stripe_mode):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    # The customer sits on the challenge past the grace; the hold runs out and another
    # customer takes the seats.
    past = timezone.now() - timedelta(seconds=1)
    Hold.objects.filter(pk=hold[0]).update(expires_at=past)
    ShowSeat.objects.filter(hold_id=hold[0]).update(held_until=past)
    expire_holds()
    taken = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")})
    assert taken.status_code == 201
    intent = stripe_mode.authenticate(step["payment_intent"], step["client_secret"])
    assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    payment = Payment.objects.get()
    assert payment.status == "refunded" and Booking.objects.count() == 0
    assert stripe_mode.intent(payment.gateway_reference).latest_charge.refunded
    gone = complete(api, hold)
    assert gone.status_code == 410 and "refunded" in gone.json()["detail"]


def test_cancelling_a_booking_refunds_it_at_stripe(api, show, hold, stripe_mode):
    body = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_OK)}).json()
    cancelled = api.post(f"/api/v1/bookings/{body['reference']}/cancel", token=body["token"])
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    payment = Payment.objects.get()
    assert payment.status == "refunded"
    charge = stripe_mode.intent(payment.gateway_reference).latest_charge
    assert charge.refunded and charge.amount_refunded == 2850


def test_recovery_settles_a_stuck_intent_from_stripes_state(api, show, hold, stripe_mode):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    stripe_mode.authenticate(step["payment_intent"], step["client_secret"])
    # Neither the browser nor the webhook came back (a closed tab, a lost delivery).
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert recover_payments() == 1
    assert Payment.objects.get().status == "captured" and hold_state(hold) == "confirmed"


def test_recovery_calls_off_an_abandoned_challenge(api, show, hold, stripe_mode,
                                                   django_capture_on_commit_callbacks):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert recover_payments() == 1
    assert Payment.objects.get().status == "failed" and hold_state(hold) == "active"
    assert stripe_mode.intent(step["payment_intent"]).status == "canceled"


def test_a_success_we_never_started_is_refunded(client, stripe_mode):
    intent = stripe_mode.client.v1.payment_intents.create(params={
        "amount": 500, "currency": "usd", "payment_method": stripe_mode.payment_method(),
        "payment_method_types": ["card"]})
    intent = stripe_mode.client.v1.payment_intents.confirm(intent.id)
    assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    assert stripe_mode.intent(intent.id).latest_charge.refunded


def test_the_webhook_is_404_when_payments_do_not_go_through_stripe(client):
    response = client.post(WEBHOOK, b"{}", content_type="application/json")
    assert response.status_code == 404


def test_stripe_selected_without_its_keys_is_a_startup_error_naming_the_setting():
    env = {key: value for key, value in os.environ.items() if not key.startswith("STRIPE_")}
    env |= {"PAYMENT_GATEWAY": "stripe", "DJANGO_SETTINGS_MODULE": "ticketing.settings"}
    failed = subprocess.run([sys.executable, "manage.py", "check"], env=env,
                            capture_output=True, text=True)
    assert failed.returncode != 0 and "STRIPE_SECRET_KEY is required" in failed.stderr
    env |= {"STRIPE_SECRET_KEY": "sk_x", "STRIPE_PUBLISHABLE_KEY": "pk_x"}
    failed = subprocess.run([sys.executable, "manage.py", "check"], env=env,
                            capture_output=True, text=True)
    assert "STRIPE_WEBHOOK_SECRET is required" in failed.stderr
    env |= {"PAYMENT_GATEWAY": "paypal"}
    failed = subprocess.run([sys.executable, "manage.py", "check"], env=env,
                            capture_output=True, text=True)
    assert "choose test or stripe" in failed.stderr
