"""The payment gateway interface and the built-in test gateway.

The gateway is called outside any database transaction, always with an idempotency key, so a
retry never charges (or refunds) twice and crash recovery can ask what became of a charge.
"""

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Literal, Protocol

from django.conf import settings
from django.db import IntegrityError
from django.utils.module_loading import import_string

from booking.models import TestGatewayCharge, TestGatewayRefund


@dataclass(frozen=True)
class Card:
    number: str  # digits only; never stored, never logged
    exp_month: int
    exp_year: int
    cvc: str

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        n = self.number
        if n.startswith("4"):
            return "visa"
        if n[:2] in {"51", "52", "53", "54", "55"} or "2221" <= n[:4] <= "2720":
            return "mastercard"
        if n[:2] in {"34", "37"}:
            return "amex"
        if n.startswith(("6011", "65")):
            return "discover"
        return "card"

    def __repr__(self) -> str:  # keep the number and CVC out of logs and tracebacks
        return f"Card({self.brand} ending {self.last4})"


def luhn_valid(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@dataclass(frozen=True)
class Charge:
    """What became of a payment at the gateway.

    ``awaiting_customer``: the customer's part is due at the provider (confirming the payment,
    or a 3-D Secure challenge), with the ``client_secret`` their browser or app needs for it.
    ``pending``: the provider is still processing it. ``failed``: it ended without money moving
    (cancelled). Card gateways only ever answer captured, declined or refunded.
    """

    status: Literal["captured", "declined", "refunded", "pending", "awaiting_customer",
                    "failed"]
    reference: str
    decline_reason: str = ""
    client_secret: str = ""
    customer_step: str = ""  # awaiting_customer: "confirm" (give a card) or "authenticate"
    card_brand: str = ""
    card_last4: str = ""


class GatewayUnavailable(Exception):
    """The gateway could not be reached or did not answer; the outcome is unknown."""


class PaymentMethodRefused(Exception):
    """The gateway refused the payment method the client named (unknown, or not usable)."""


class AmountNotChargeable(Exception):
    """The gateway cannot charge this amount in this currency (its minor unit)."""


class RefundRefused(Exception):
    """The gateway answered that this charge cannot be refunded (disputed, say): a person has
    to look at it; asking again will not change the answer."""


class PaymentGateway(Protocol):
    # True: the card is posted to us and charged in one call (charge()). False: the card
    # fields are the provider's own, in the customer's browser; see ProviderConfirmedGateway.
    takes_cards: bool

    def refund(self, *, reference: str, idempotency_key: str) -> None: ...

    def find_charge(self, *, idempotency_key: str, reference: str = "") -> Charge | None: ...


class CardGateway(PaymentGateway, Protocol):
    def charge(self, *, amount: Decimal, currency: str, card: Card,
               idempotency_key: str) -> Charge: ...


class ProviderConfirmedGateway(PaymentGateway, Protocol):
    """A gateway whose payments the customer confirms at the provider (Stripe's
    PaymentIntents): we create the payment, and confirm it for them when their browser or app
    has given the provider a card and sent us only the payment method's id."""

    def create_payment(self, *, amount: Decimal, currency: str, idempotency_key: str,
                       payment_method: str | None, metadata: dict[str, str]) -> Charge: ...

    def confirm(self, *, reference: str, idempotency_key: str) -> Charge: ...

    def cancel(self, *, reference: str) -> Charge: ...

    def browser_settings(self) -> dict[str, str]: ...


class TestGateway:
    """A gateway whose documented test cards decide the outcome:

    - 4242 4242 4242 4242 succeeds
    - 4000 0000 0000 0002 is declined (card_declined)
    - 4000 0000 0000 9995 is declined (insufficient_funds)
    - 4000 0000 0000 0077 succeeds after TEST_GATEWAY_SLOW_SECONDS (a slow gateway)
    - any other number that passes the Luhn check succeeds
    """

    __test__ = False  # not a pytest test class
    takes_cards = True
    DECLINES = {"4000000000000002": "card_declined", "4000000000009995": "insufficient_funds"}
    SLOW = "4000000000000077"

    def charge(self, *, amount: Decimal, currency: str, card: Card,
               idempotency_key: str) -> Charge:
        existing = self.find_charge(idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        if card.number == self.SLOW:
            time.sleep(settings.TEST_GATEWAY_SLOW_SECONDS)
        reason = self.DECLINES.get(card.number, "")
        try:
            record = TestGatewayCharge.objects.create(
                reference=f"ch_{uuid.uuid4().hex}", idempotency_key=idempotency_key,
                amount=amount, currency=currency, status="declined" if reason else "captured",
                decline_reason=reason, card_last4=card.last4,
            )
        except IntegrityError:  # the same key raced in from another process: one charge only
            return self.find_charge(idempotency_key=idempotency_key)
        return Charge(record.status, record.reference, record.decline_reason)

    def refund(self, *, reference: str, idempotency_key: str) -> None:
        """Refund the charge in full. Like many real gateways it takes every refund request at
        its word: only the idempotency key makes a repeated request refund once."""
        charge = TestGatewayCharge.objects.filter(reference=reference).first()
        if charge is None or charge.status == "declined":
            return
        try:
            TestGatewayRefund.objects.create(charge=charge, idempotency_key=idempotency_key,
                                             amount=charge.amount)
        except IntegrityError:  # this key was refunded already (perhaps a moment ago)
            return
        TestGatewayCharge.objects.filter(pk=charge.pk).update(status="refunded")

    def find_charge(self, *, idempotency_key: str, reference: str = "") -> Charge | None:
        record = TestGatewayCharge.objects.filter(idempotency_key=idempotency_key).first()
        if record is None:
            return None
        return Charge(record.status, record.reference, record.decline_reason)


@cache
def _gateway_class(path: str) -> type:
    return import_string(path)


def get_gateway() -> CardGateway | ProviderConfirmedGateway:
    return _gateway_class(settings.PAYMENT_GATEWAY)()
