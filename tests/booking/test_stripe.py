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
from booking.payments import AmountNotChargeable
from booking.stripe_gateway import minor_units
from tests.booking_helpers import checkout_body, seat_ids, state_of
from tests.factories import ShowFactory, price_card
from tests.stripe_server import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_OK,
    WEBHOOK_SECRET,
    sign,
    signed_event,
)

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
    for amount, currency in ((Decimal("12.505"), "EUR"), (Decimal("1.255"), "KWD")):
        with pytest.raises(AmountNotChargeable):
            minor_units(amount, currency)


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
    past = timezone.now() - timedelta(seconds=1)  # and the hold's time has run out
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=10),
                           hold_expires_at=past)
    Hold.objects.filter(pk=hold[0]).update(expires_at=past)
    ShowSeat.objects.filter(hold_id=hold[0]).update(held_until=past)
    with django_capture_on_commit_callbacks(execute=True):
        assert recover_payments() == 1
    assert Payment.objects.get().status == "failed" and hold_state(hold) == "expired"
    assert stripe_mode.intent(step["payment_intent"]).status == "canceled"


def paid_elsewhere(stripe_mode, **metadata):
    intent = stripe_mode.client.v1.payment_intents.create(params={
        "amount": 500, "currency": "usd", "payment_method": stripe_mode.payment_method(),
        "payment_method_types": ["card"], "metadata": metadata})
    return stripe_mode.client.v1.payment_intents.confirm(intent.id)


def test_the_accounts_other_payments_are_left_alone(client, stripe_mode):
    intent = paid_elsewhere(stripe_mode, shop="popcorn")  # a kiosk on the same Stripe account
    assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    assert not stripe_mode.intent(intent.id).latest_charge.refunded


def test_a_success_of_ours_that_no_payment_started_is_refunded(client, stripe_mode):
    intent = paid_elsewhere(stripe_mode, app="reel-seats", payment="999999")
    assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    assert stripe_mode.intent(intent.id).latest_charge.refunded


def test_a_signed_event_without_its_object_is_400(client, stripe_mode):
    payload = signed_event("payment_intent.succeeded", {})[0]
    payload = payload.replace(b'"data": {"object": {}}', b'"data": 7')
    response = client.post(WEBHOOK, payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=sign(payload))
    assert response.status_code == 400 and response.json()["code"] == "invalid_event"


def test_a_card_retried_on_a_declined_payment_books_while_the_seats_are_held(
        api, client, show, hold, stripe_mode):
    """A Stripe SDK may retry another card on the same PaymentIntent after a decline, before
    our cancel reaches Stripe: the money then lands on a payment we wrote off."""
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    stripe_mode.authenticate(step["payment_intent"], step["client_secret"], success=False)
    assert complete(api, hold).status_code == 402  # (the cancel waits for a commit here)
    stripe_mode.confirm_with_card(step["payment_intent"], CARD_OK)
    intent = stripe_mode.intent(step["payment_intent"])
    assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    assert hold_state(hold) == "confirmed" and Booking.objects.count() == 1
    assert Payment.objects.get().status == "captured"


def test_a_late_payment_for_tickets_since_changed_is_refunded_not_booked(
        api, client, stripe_mode):
    """As above, but the buyer changed a ticket's type after the decline: the money that
    lands is for the old total, so it cannot become a booking of the new one."""
    show = ShowFactory(price_card=price_card())
    body = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}).json()
    hold = body["id"], body["token"]
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    stripe_mode.authenticate(step["payment_intent"], step["client_secret"], success=False)
    assert complete(api, hold).status_code == 402
    changed = api.put(f"/api/v1/holds/{hold[0]}/tickets", {"tickets": [
        {"seat_id": seat_ids(show, "A1")[0], "ticket_type": "child"}]}, token=hold[1])
    assert changed.status_code == 200 and changed.json()["total"] == "8.00"
    stripe_mode.confirm_with_card(step["payment_intent"], CARD_OK)
    intent = stripe_mode.intent(step["payment_intent"])
    assert webhook(client, "payment_intent.succeeded", intent).status_code == 200
    assert not Booking.objects.exists() and hold_state(hold) == "active"
    assert stripe_mode.intent(intent.id).latest_charge.refunded


def test_every_call_that_changes_money_carries_an_idempotency_key(api, show, hold, stripe_mode,
                                                                  monkeypatch):
    """localstripe ignores Idempotency-Key, so this is checked where the library sends it."""
    import stripe

    sent = []
    request = stripe.RequestsClient.request

    def spy(self, method, url, headers, post_data=None):
        if method == "post":
            sent.append((url.split("/v1/")[-1], headers.get("Idempotency-Key", "")))
        return request(self, method, url, headers, post_data)

    monkeypatch.setattr(stripe.RequestsClient, "request", spy)
    body = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_OK)},
                    key=str(uuid.uuid4())).json()
    api.post(f"/api/v1/bookings/{body['reference']}/cancel", token=body["token"])
    ours = {path.split("/")[-1] if "/" in path else path: key for path, key in sent
            if not path.startswith("payment_methods")}
    payment = Payment.objects.get()
    assert ours["payment_intents"] == f"create:{payment.idempotency_key}"
    assert ours["confirm"] == f"confirm:{payment.idempotency_key}"
    assert ours["refunds"] == f"refund:{payment.idempotency_key}"
    assert payment.idempotency_key.startswith(f"{hold[0]}:")  # derived from the hold


def test_a_refund_stripe_refuses_is_kept_for_staff_and_stops_nothing_else(api, show,
                                                                           stripe_mode,
                                                                           monkeypatch):
    """localstripe refunds anything, so Stripe's refusal (a disputed charge) is made at the
    library's edge, and the gateway's own handling of it runs."""
    import stripe

    from booking.payments import get_gateway
    from staff.services import cancel_show

    bookings = []
    for labels in (["A1"], ["A2"]):
        made = api.post(f"/api/v1/shows/{show.id}/holds",
                        {"seats": seat_ids(show, *labels)}).json()
        bookings.append(checkout(api, (made["id"], made["token"]),
                                 {"payment_method": stripe_mode.payment_method()}).json())
    first = Payment.objects.get(booking__reference=bookings[0]["reference"])
    refunds = get_gateway().client.v1.refunds
    create = refunds.create

    def disputed(params, options=None):
        if params["payment_intent"] == first.gateway_reference:
            raise stripe.InvalidRequestError("This charge is disputed.", param=None,
                                             code="charge_disputed")
        return create(params=params, options=options)

    monkeypatch.setattr(refunds, "create", disputed)
    cancel_show(show=show)
    statuses = dict(Payment.objects.values_list("booking__reference", "status"))
    assert statuses == {bookings[0]["reference"]: "refund_refused",
                        bookings[1]["reference"]: "refunded"}
    assert "charge_disputed" in Payment.objects.get(pk=first.pk).decline_reason
    assert recover_payments() == 0  # not retried: a person has to look at it


def test_recovery_leaves_a_payment_alone_while_stripe_cannot_be_reached(api, show, hold,
                                                                        stripe_mode, settings):
    checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)})
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    from bench.cluster import free_port

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert recover_payments() == 0
    assert Payment.objects.get().status == "pending" and hold_state(hold) == "paying"


def test_recovery_leaves_a_payment_stripe_is_still_processing(api, show, hold, stripe_mode,
                                                              monkeypatch):
    """localstripe has no processing state for cards: the gateway's answer is faked here."""
    from booking.payments import Charge
    from booking.stripe_gateway import StripeGateway

    checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)})
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    Hold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(StripeGateway, "find_charge",
                        lambda self, **kw: Charge("pending", kw["reference"]))
    assert recover_payments() == 0
    assert Payment.objects.get().status == "pending"


def test_recovery_gives_a_slow_challenge_the_holds_time(api, show, hold, stripe_mode):
    step = checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_3DS)}
                    ).json()["payment"]
    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert Hold.objects.get(pk=hold[0]).expires_at > timezone.now()
    assert recover_payments() == 0
    assert stripe_mode.intent(step["payment_intent"]).status == "requires_action"
    assert hold_state(hold) == "paying"


def test_cancelling_a_show_refunds_its_bookings_at_stripe(api, show, hold, stripe_mode):
    from staff.services import cancel_show

    checkout(api, hold, {"payment_method": stripe_mode.payment_method(CARD_OK)})
    cancel_show(show=show)
    payment = Payment.objects.get()
    assert payment.status == "refunded"
    assert stripe_mode.intent(payment.gateway_reference).latest_charge.refunded


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


def test_the_checkout_page_has_stripes_card_fields_and_refuses_ours(client, show, stripe_mode):
    response = client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A1")})
    hold_url = response["Location"]
    page = client.get(hold_url).content.decode()
    assert f'<script src="{stripe_mode.url}/js.stripe.com/v3/"></script>' in page
    assert 'data-stripe-key="pk_test_' in page and 'id="card-element"' in page
    assert 'name="card_number"' not in page and 'name="cvc"' not in page
    assert "Test mode" not in page
    posted = client.post(hold_url + "pay", {
        "name": "Ada", "email": "ada@example.com", "card_number": "4242 4242 4242 4242",
        "expiry": "12/34", "cvc": "123", "payment_method": stripe_mode.payment_method()})
    assert posted.status_code == 400
    assert "never to this site" in posted.content.decode()
    assert Payment.objects.count() == 0
    paid = client.post(hold_url + "pay", {"name": "Ada", "email": "ada@example.com",
                                          "payment_method": stripe_mode.payment_method()})
    assert paid.status_code == 302 and paid["Location"].startswith("/bookings/")
