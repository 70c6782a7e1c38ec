"""Stripe as the payment gateway: PaymentIntents, through the official `stripe` library.

Card details never reach our servers: the browser gives them to Stripe.js (Stripe's own card
fields) and sends us only the payment method's id; we create the PaymentIntent for the hold's
total and confirm it; a 3-D Secure challenge is then the browser's to complete with Stripe.js.
Webhooks tell us of outcomes we did not wait for. Every call that changes anything carries an
idempotency key derived from the payment (and so from its hold).
"""

import logging
from decimal import Decimal
from functools import cache

import stripe
from django.conf import settings

from booking.payments import (
    AmountNotChargeable,
    Charge,
    GatewayUnavailable,
    PaymentMethodRefused,
    RefundRefused,
)
from ticketing.i18n import _

log = logging.getLogger(__name__)
# Every PaymentIntent we create says so in its metadata: a Stripe account's webhooks report all
# of its payments (a shop's, a terminal's), and only ours are ours to settle or refund.
METADATA_APP = "reel-seats"
# One call, with the library's retries, stays well inside PAYMENT_GRACE_SECONDS (90 by default).
TIMEOUT_SECONDS = 10

# Stripe's own lists (docs.stripe.com/currencies): amounts are in the currency's smallest unit,
# which has no decimals for these and three for those (where Stripe wants the last digit 0).
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF",
                          "UGX", "VND", "VUV", "XAF", "XOF", "XPF"})
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def minor_units(amount: Decimal, currency: str) -> int:
    """12.50 EUR -> 1250; 1800 JPY -> 1800; 1.250 KWD -> 1250."""
    code = currency.upper()
    exponent = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    units = amount.scaleb(exponent)
    if units != units.to_integral_value() or (exponent == 3 and units % 10):
        raise AmountNotChargeable(_("{amount} {code} cannot be charged through Stripe (its "
                                    "amounts are whole minor units; three-decimal currencies "
                                    "in tens of them)", amount=amount, code=code))
    return int(units)


class InvalidWebhook(Exception):
    """A webhook whose signature does not verify (forged, altered, or too old: replayed)."""


@cache
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    # The library retries network failures itself, with the same idempotency key.
    return stripe.StripeClient(secret_key, base_addresses={"api": api_base},
                               max_network_retries=2,
                               http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS))


def _charge(intent: dict, card: dict | None = None) -> Charge:
    """A PaymentIntent's state (as a plain dict) in the gateway interface's words."""
    card = card or {}
    brand, last4 = card.get("brand", ""), card.get("last4", "")
    reference, status = intent["id"], intent["status"]
    if status == "succeeded":
        latest = intent.get("latest_charge")
        refunded = isinstance(latest, dict) and bool(latest.get("refunded"))
        return Charge("refunded" if refunded else "captured", reference,
                      card_brand=brand, card_last4=last4)
    if status == "processing":
        return Charge("pending", reference, card_brand=brand, card_last4=last4)
    if status == "canceled":
        return Charge("failed", reference)
    error = intent.get("last_payment_error")
    if status == "requires_payment_method" and error:
        reason = error.get("decline_code") or error.get("code") or "card_declined"
        return Charge("declined", reference, decline_reason=reason)
    # requires_payment_method (no attempt yet), requires_confirmation, requires_action,
    # requires_capture (we never ask for manual capture): the customer's turn.
    step = "authenticate" if status == "requires_action" else "confirm"
    return Charge("awaiting_customer", reference, client_secret=intent.get("client_secret") or "",
                  customer_step=step, card_brand=brand, card_last4=last4)


class StripeGateway:
    takes_cards = False

    def __init__(self) -> None:
        self.client = _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)

    def browser_settings(self) -> dict[str, str]:
        return {"provider": "stripe", "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
                "js_url": settings.STRIPE_JS_URL}

    def create_payment(self, *, amount: Decimal, currency: str, idempotency_key: str,
                       payment_method: str | None, metadata: dict[str, str]) -> Charge:
        params: dict = {"amount": minor_units(amount, currency), "currency": currency.lower(),
                        "payment_method_types": ["card"],
                        "metadata": {**metadata, "app": METADATA_APP}}
        if payment_method:
            params["payment_method"] = payment_method
        with _stripe_errors(payment_method=payment_method):
            intent = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key})
        return _charge(intent.to_dict())

    def confirm(self, *, reference: str, idempotency_key: str) -> Charge:
        try:
            with _stripe_errors():
                intent = self.client.v1.payment_intents.confirm(
                    reference, options={"idempotency_key": idempotency_key})
        except stripe.CardError:
            # Declined: the intent now says so (last_payment_error), which is what we report.
            return self._state(reference)
        return self._with_card(intent)

    def cancel(self, *, reference: str) -> Charge:
        """Cancel a payment that will not be completed (declined, abandoned, given up on), so
        its client secret can confirm nothing later. One that succeeded meanwhile stays so."""
        try:
            with _stripe_errors(expected=True):
                intent = self.client.v1.payment_intents.cancel(reference)
        except stripe.InvalidRequestError:  # not cancellable any more: it has an outcome
            return self._state(reference)
        return _charge(intent.to_dict())

    def find_charge(self, *, idempotency_key: str, reference: str = "") -> Charge | None:
        if not reference:
            return None  # never created, or its id was never recorded: its secret went nowhere
        return self._state(reference)

    def refund(self, *, reference: str, idempotency_key: str) -> None:
        if self._state(reference).status == "refunded":
            return  # refunded already (a second asker, or a retry after a lost answer)
        try:
            with _stripe_errors(expected=True):
                self.client.v1.refunds.create(params={"payment_intent": reference},
                                              options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            if exc.code != "charge_already_refunded":
                # (kept for staff, in words that do not depend on who was asking)
                raise RefundRefused(f"{exc.code or 'refused'}: {exc.user_message or exc}"
                                    ) from exc

    def verified_event(self, *, payload: bytes, signature: str) -> dict:
        """The event, as a plain dict, once its signature and timestamp verify."""
        try:
            event = self.client.construct_event(payload, signature,
                                                settings.STRIPE_WEBHOOK_SECRET)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise InvalidWebhook(str(exc)) from None
        return event.to_dict()

    def _state(self, reference: str) -> Charge:
        with _stripe_errors():
            intent = self.client.v1.payment_intents.retrieve(
                reference, params={"expand": ["latest_charge"]})
        return self._with_card(intent)

    def _with_card(self, intent: stripe.PaymentIntent) -> Charge:
        """The intent's state, with the card's brand and last four digits once it has paid."""
        data = intent.to_dict()
        card = None
        method = data.get("payment_method")
        if data["status"] in ("succeeded", "processing") and method:
            if isinstance(method, str):
                with _stripe_errors():
                    method = self.client.v1.payment_methods.retrieve(method).to_dict()
            # A PaymentMethod has its card's details under "card"; a Card (a token's, which
            # Stripe also takes as a payment method) is the card itself.
            card = method.get("card") or (method if method.get("object") == "card" else None)
        return _charge(data, card)


class _stripe_errors:
    """Stripe's failures in the gateway interface's words: unreachable or failing -> outcome
    unknown (GatewayUnavailable); a payment method it refuses -> PaymentMethodRefused. Card
    declines pass through for the caller to read the intent; so do invalid requests where the
    caller expects them (``expected``: cancelling or refunding what is past it)."""

    def __init__(self, *, payment_method: str | None = None, expected: bool = False) -> None:
        self.payment_method = payment_method
        self.expected = expected

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, stripe.CardError):
            return False
        if isinstance(exc, stripe.InvalidRequestError):
            if self.payment_method:
                raise PaymentMethodRefused(exc.user_message or str(exc)) from exc
            if self.expected:
                return False
        if isinstance(exc, stripe.StripeError):
            log.warning("stripe failed: %s %s", type(exc).__name__, exc.code or "")
            raise GatewayUnavailable(str(exc)) from exc
        return False
