"""A Stripe-compatible server for the Stripe gateway's tests: localstripe, started by the tests
(installed by `make install`), spoken to through the real `stripe` library over real HTTP."""

import contextlib
import json
import subprocess
import sys
import time

import httpx
import pytest
import stripe

from bench.cluster import free_port

SECRET_KEY = "sk_test_reelseats"
PUBLISHABLE_KEY = "pk_test_reelseats"
WEBHOOK_SECRET = "whsec_reelseats_tests"
GATEWAY = "booking.stripe_gateway.StripeGateway"
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"  # localstripe declines this one on charging
CARD_3DS = "4000002760003184"  # needs a 3-D Secure challenge


class LocalStripe:
    def __init__(self, tmp_path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp_path / "localstripe.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            cwd=tmp_path, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{self.url}/js.stripe.com/v3/", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    pytest.fail(f"localstripe did not start: {self.log.name}", pytrace=False)
                time.sleep(0.1)
        self.client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.url})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()

    def payment_method(self, number: str = CARD_OK) -> str:
        """What Stripe.js does with the card a customer typed: a payment method at Stripe."""
        return self.client.v1.payment_methods.create(params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }).id

    def intent(self, reference: str) -> stripe.PaymentIntent:
        return self.client.v1.payment_intents.retrieve(reference,
                                                       params={"expand": ["latest_charge"]})

    def authenticate(self, reference: str, client_secret: str, *, success: bool = True) -> dict:
        """What Stripe.js does in the customer's browser for a 3-D Secure challenge."""
        response = httpx.post(
            f"{self.url}/v1/payment_intents/{reference}/_authenticate",
            params={"success": "true" if success else "false"},
            json={"key": PUBLISHABLE_KEY, "client_secret": client_secret})
        response.raise_for_status()
        return response.json()

    def confirm_with_card(self, reference: str, number: str = CARD_OK) -> None:
        """What a client's Stripe SDK does with the client secret: attach a card, confirm."""
        self.client.v1.payment_intents.update(
            reference, params={"payment_method": self.payment_method(number)})
        with contextlib.suppress(stripe.CardError):  # a decline is the intent's to report
            self.client.v1.payment_intents.confirm(reference)


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header for the payload: t=<unix time>,v1=HMAC-SHA256(secret, t.body)"""
    at = int(time.time()) if at is None else at
    signature = stripe.WebhookSignature._compute_signature(f"{at}.{payload.decode()}", secret)
    return f"t={at},v1={signature}"


def signed_event(event_type: str, intent: dict, *, secret: str = WEBHOOK_SECRET,
                 at: int | None = None, event_id: str = "evt_test") -> tuple[bytes, str]:
    """A webhook as Stripe signs it (t=<unix time>,v1=HMAC-SHA256(secret, "t.payload"))."""
    at = int(time.time()) if at is None else at
    payload = json.dumps({"id": event_id, "object": "event", "type": event_type,
                          "created": at, "api_version": "2024-06-20",
                          "data": {"object": intent}}).encode()
    return payload, sign(payload, secret=secret, at=at)
