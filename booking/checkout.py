"""Paying for a hold, cancelling a booking, and recovering payments a crash left in flight.

The slow-payment race is handled by design, in three steps:

1. In a transaction: lock the hold, check it, mark it ``paying`` and push its expiry out by
   PAYMENT_GRACE_SECONDS (so it cannot expire under a slow gateway), record a pending Payment
   with its idempotency key. Commit.
2. Outside any transaction: charge through the gateway with that idempotency key.
3. In a transaction: lock the hold and its seats again. Captured and the seats are still this
   hold's: create the booking. Captured but the seats are gone (the grace ran out and the hold
   was swept): record a refund owed, and refund after commit. Declined: the hold goes back to
   ``active`` with its original expiry, so the customer can try another card.

A crash between 1 and 3 leaves a pending Payment; ``recover_payments`` asks the gateway by the
idempotency key and finishes it (confirm, or refund) or fails it and frees the hold.
"""

import contextlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from booking.emails import email_booking_confirmation, email_show_cancelled
from booking.errors import PaymentDeclined, PaymentUnavailable
from booking.events import announce_hold_ended, seats_changed
from booking.holds import release_hold
from booking.models import Booking, BookingSeat, Hold, Payment, ShowSeat
from booking.payments import Card, Charge, GatewayUnavailable, get_gateway, luhn_valid
from catalog.models import Show
from ticketing import metrics
from ticketing.errors import Conflict, Gone, InvalidRequest, NotFound
from ticketing.tasks import enqueue
from ticketing.tokens import derived_token, hash_token, token_matches

log = logging.getLogger(__name__)
# One limit for an email address, the column's (RFC 5321's 254): the form, the API and the
# database agree, so an address that passes validation always fits.
EMAIL_MAX_LENGTH = Booking._meta.get_field("customer_email").max_length
NAME_MAX_LENGTH = Booking._meta.get_field("customer_name").max_length
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: easy to read out


@dataclass(frozen=True)
class Customer:
    name: str
    email: str


@dataclass(frozen=True)
class Confirmed:
    booking: Booking
    token: str
    replayed: bool = False


def parse_checkout(data: object) -> tuple[Customer, Card]:
    """Validate a checkout body; every problem is reported at once, by field."""
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object with customer and payment")
    errors = checkout_errors(data)
    if errors:
        raise InvalidRequest("Some details need fixing.", errors=errors)
    customer, payment = data["customer"], data["payment"]
    card = Card(number=re.sub(r"[ -]", "", payment["card_number"]),
                exp_month=payment["exp_month"], exp_year=payment["exp_year"],
                cvc=payment["cvc"])
    return Customer(name=customer["name"].strip(), email=customer["email"].strip()), card


def checkout_errors(data: dict) -> dict[str, str]:
    """What is wrong with a checkout body, by field (empty when it is fine)."""
    errors: dict[str, str] = {}
    customer = data.get("customer")
    payment = data.get("payment")
    if not isinstance(customer, dict):
        errors["customer"] = "an object with name and email is required"
        customer = {}
    if not isinstance(payment, dict):
        errors["payment"] = "an object with card_number, exp_month, exp_year and cvc is required"
        payment = {}
    name = customer.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX_LENGTH:
        errors["customer.name"] = ("enter the name for the booking "
                                   f"(up to {NAME_MAX_LENGTH} characters)")
    email = customer.get("email")
    try:
        if not isinstance(email, str):
            raise ValidationError("not a string")
        validate_email(email.strip())
    except ValidationError:
        errors["customer.email"] = "enter a valid email address; the tickets are sent there"
    else:
        if len(email.strip()) > EMAIL_MAX_LENGTH:
            errors["customer.email"] = (f"an email address is at most {EMAIL_MAX_LENGTH} "
                                        "characters; enter a shorter one")
    number = payment.get("card_number")
    digits = re.sub(r"[ -]", "", number) if isinstance(number, str) else ""
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
        errors["payment.card_number"] = "enter a valid card number"
    month, year = payment.get("exp_month"), payment.get("exp_year")
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        errors["payment.exp_month"] = "enter the expiry month, 1 to 12"
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["payment.exp_year"] = "enter the expiry year, e.g. 2030"
    cvc = payment.get("cvc")
    if not isinstance(cvc, str) or not cvc.isdigit() or len(cvc) not in (3, 4):
        errors["payment.cvc"] = "enter the 3 or 4 digit security code"
    if "payment.exp_month" not in errors and "payment.exp_year" not in errors:
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            errors["payment.exp_year"] = "this card has expired"
    return errors


def confirm_checkout(*, hold: Hold, hold_token: str, customer: Customer, card: Card,
                     idempotency_key: str | None = None) -> Confirmed:
    """Charge for the hold and turn it into a booking, all or nothing (see the module doc)."""
    key = f"{hold.pk}:{idempotency_key or uuid.uuid4().hex}"
    payment = _start_payment(hold=hold, hold_token=hold_token, customer=customer, card=card,
                             key=key)
    if not isinstance(payment, Payment):
        return payment  # an idempotent replay
    gateway = get_gateway()
    try:
        charge = gateway.charge(amount=payment.amount, currency=payment.currency, card=card,
                                idempotency_key=key)
    except GatewayUnavailable:
        charge = _ask_gateway(key)
        if charge is None:
            _fail_payment(payment)
            raise PaymentUnavailable("The payment service did not answer and nothing was "
                                     "charged. Please try again.") from None
    return _finish_payment(payment=payment, charge=charge, hold_token=hold_token)


def _start_payment(*, hold: Hold, hold_token: str, customer: Customer, card: Card,
                   key: str) -> Payment | Confirmed:
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        existing = Payment.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, hold_token)
        now = timezone.now()
        if hold.state == Hold.State.CONFIRMED:
            raise Conflict("This hold has already been paid for.",
                           booking=hold.booking.reference)
        if hold.state == Hold.State.PAYING and hold.is_live(now):
            raise Conflict("A payment for this hold is already in progress; try again in a "
                           "moment.", retry_after=2)
        if hold.state != Hold.State.ACTIVE or not hold.is_live(now):
            raise Gone("This hold has expired and its seats were released. Choose seats again.")
        started = Show.objects.filter(pk=hold.show_id, starts_at__lte=now).exists()
        if not started:
            return _record_payment(hold=hold, hold_token=hold_token, customer=customer,
                                   card=card, key=key, now=now)
    # A hold made just before the show began cannot be paid once it has: nothing is charged,
    # and the seats go back at once rather than when the hold would have run out.
    release_hold(hold=hold)
    raise Conflict("This show has already started, so it can no longer be booked. Your hold "
                   "was released and nothing was charged.", reason="show_started")


def _record_payment(*, hold: Hold, hold_token: str, customer: Customer, card: Card, key: str,
                    now: datetime) -> Payment:
    """Step 1 (see the module doc), under the hold's lock: a pending payment, and the hold kept
    through the charge."""
    payment = Payment.objects.create(
        hold=hold, idempotency_key=key, amount=hold.total, currency=hold.currency,
        card_brand=card.brand, card_last4=card.last4, hold_expires_at=hold.expires_at,
        customer_name=customer.name, customer_email=customer.email,
        booking_token_hash=hash_token(derived_token("booking", hold_token)),
    )
    paying_until = max(hold.expires_at, now + timedelta(seconds=settings.PAYMENT_GRACE_SECONDS))
    Hold.objects.filter(pk=hold.pk).update(state=Hold.State.PAYING, expires_at=paying_until)
    ShowSeat.objects.filter(hold=hold).update(held_until=paying_until)
    return payment


def _replay(payment: Payment, hold_token: str) -> Confirmed:
    """The answer a retry with the same idempotency key gets: the first attempt's outcome."""
    if payment.status == Payment.Status.CAPTURED and payment.booking is not None:
        return Confirmed(payment.booking, derived_token("booking", hold_token), replayed=True)
    if payment.status == Payment.Status.DECLINED:
        raise PaymentDeclined(_decline_message(payment.decline_reason),
                              reason=payment.decline_reason)
    if payment.status == Payment.Status.PENDING:
        raise Conflict("This payment is still being processed; try again in a moment.",
                       retry_after=1)
    if payment.status == Payment.Status.FAILED:
        raise PaymentUnavailable("That payment attempt failed and nothing was charged. "
                                 "Try again with a new attempt.")
    raise Gone("The hold ran out before the payment completed; the charge was refunded.")


def _decline_message(reason: str) -> str:
    if reason == "insufficient_funds":
        return "The card was declined for insufficient funds. Try another card."
    return "The card was declined. Try another card; your seats are still held."


def _ask_gateway(key: str) -> Charge | None:
    try:
        return get_gateway().find_charge(idempotency_key=key)
    except GatewayUnavailable:
        return None


def _finish_payment(
    *, payment: Payment, charge: Charge, hold_token: str | None
) -> Confirmed | None:
    refund: str | None = None
    outcome: Booking | Payment | None = None
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=payment.hold_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        now = timezone.now()
        if payment.status == Payment.Status.PENDING:
            if charge.status == "declined":
                _decline(payment, hold, charge, now)
                outcome = payment
            elif charge.status == "captured" and _seats_still_ours(hold):
                outcome = _book(payment, hold, charge, now)
            else:
                refund = _owe_refund(payment, hold, charge)
        elif payment.status == Payment.Status.FAILED and charge.status == "captured":
            refund = _owe_refund(payment, hold, charge)  # recovery gave up on it; it landed
    if refund is not None:
        _refund(payment)
        raise Gone("Your hold ran out while the payment was processing and the seats were "
                   "released. The charge has been refunded in full.")
    if isinstance(outcome, Booking):
        token = derived_token("booking", hold_token) if hold_token else ""
        return Confirmed(outcome, token)
    if hold_token is None:
        return None  # recovery: nothing to answer
    return _replay(Payment.objects.select_related("booking").get(pk=payment.pk), hold_token)


def _seats_still_ours(hold: Hold) -> bool:
    if hold.state != Hold.State.PAYING:
        return False
    if Show.objects.filter(pk=hold.show_id, cancelled_at__isnull=False).exists():
        return False  # the show was called off while the charge was in flight: refund it
    wanted = [seat["id"] for seat in hold.seats]
    rows = list(
        ShowSeat.objects.select_for_update(of=("self",))
        .filter(show_id=hold.show_id, seat_id__in=wanted)
        .order_by("pk")
    )
    return len(rows) == len(wanted) and all(row.hold_id == hold.pk for row in rows)


def _book(payment: Payment, hold: Hold, charge: Charge, now: datetime) -> Booking:
    booking = Booking.objects.create(
        reference=_new_reference(), token_hash=payment.booking_token_hash, show_id=hold.show_id,
        hold=hold, customer_name=payment.customer_name, customer_email=payment.customer_email,
        total=hold.total, currency=hold.currency, created_at=now,
    )
    rows = {row.seat_id: row for row in ShowSeat.objects.filter(hold=hold)}
    BookingSeat.objects.bulk_create(
        BookingSeat(booking=booking, show_seat=rows[seat["id"]], seat_id=seat["id"],
                    price=seat["price"])
        for seat in hold.seats
    )
    ShowSeat.objects.filter(hold=hold).update(hold=None, held_until=None, booking=booking)
    Hold.objects.filter(pk=hold.pk).update(state=Hold.State.CONFIRMED)
    seats_changed(hold.show_id, dict.fromkeys(rows, "booked"))
    transaction.on_commit(lambda: announce_hold_ended(hold.show_id))  # paid: it ended
    payment.status = Payment.Status.CAPTURED
    payment.gateway_reference = charge.reference
    payment.booking = booking
    payment.save(update_fields=["status", "gateway_reference", "booking", "updated_at"])
    transaction.on_commit(lambda: enqueue(email_booking_confirmation, booking.pk))
    transaction.on_commit(lambda: metrics.inc("ticketing_bookings", state="confirmed"))
    transaction.on_commit(lambda: metrics.inc("ticketing_payments", outcome="captured"))
    return booking


def _decline(payment: Payment, hold: Hold, charge: Charge, now: datetime) -> None:
    payment.status = Payment.Status.DECLINED
    payment.decline_reason = charge.decline_reason or "declined"
    payment.gateway_reference = charge.reference
    payment.save(update_fields=["status", "decline_reason", "gateway_reference", "updated_at"])
    _unpause_hold(hold, payment, now)
    transaction.on_commit(lambda: metrics.inc("ticketing_payments", outcome="declined"))


def _unpause_hold(hold: Hold, payment: Payment, now: datetime) -> None:
    """After a payment that did not go through, the hold resumes with its own expiry."""
    if hold.state != Hold.State.PAYING:
        return
    if payment.hold_expires_at > now:
        Hold.objects.filter(pk=hold.pk).update(state=Hold.State.ACTIVE,
                                               expires_at=payment.hold_expires_at)
        ShowSeat.objects.filter(hold=hold).update(held_until=payment.hold_expires_at)
    else:
        _expire_paying_hold(hold)


def _expire_paying_hold(hold: Hold) -> None:
    Hold.objects.filter(pk=hold.pk).update(state=Hold.State.EXPIRED)
    freed = list(ShowSeat.objects.filter(hold=hold).values_list("seat_id", flat=True))
    ShowSeat.objects.filter(hold=hold).update(hold=None, held_until=None)
    seats_changed(hold.show_id, dict.fromkeys(freed, "available"), freed=True)
    if not freed:
        transaction.on_commit(lambda: announce_hold_ended(hold.show_id))


def _owe_refund(payment: Payment, hold: Hold, charge: Charge) -> str:
    payment.status = Payment.Status.REFUNDING
    payment.gateway_reference = charge.reference
    payment.save(update_fields=["status", "gateway_reference", "updated_at"])
    if hold.state == Hold.State.PAYING:
        _expire_paying_hold(hold)
    return charge.reference


def _refund(payment: Payment) -> bool:
    """Refund through the gateway (outside any transaction); on failure recovery retries.

    Cancelling, settling a late charge and recovery may each reach here for one payment, even
    at once: the key is the payment's own, so the gateway refunds it once whoever asks."""
    try:
        get_gateway().refund(reference=payment.gateway_reference,
                             idempotency_key=f"refund:{payment.idempotency_key}")
    except GatewayUnavailable:
        log.warning("refund for payment %s deferred: gateway unavailable", payment.pk)
        return False
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.REFUNDING).update(
        status=Payment.Status.REFUNDED, updated_at=timezone.now()
    )
    metrics.inc("ticketing_payments", outcome="refunded")
    return True


def _fail_payment(payment: Payment) -> None:
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=payment.hold_id)
        updated = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, updated_at=timezone.now()
        )
        if updated:
            _unpause_hold(hold, payment, timezone.now())
            transaction.on_commit(lambda: metrics.inc("ticketing_payments", outcome="failed"))


def _new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def recover_payments(*, older_than_seconds: float | None = None) -> int:
    """Finish payments that a crash left in flight, and retry refunds that are owed.

    Pending payments older than the grace are settled by asking the gateway by idempotency key:
    captured -> confirm (or refund if the seats are gone); unknown -> failed, hold freed.
    Safe to run in several processes at once: every step re-checks under the hold's lock.
    """
    age = settings.PAYMENT_GRACE_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = timezone.now() - timedelta(seconds=age)
    settled = 0
    for payment in Payment.objects.filter(status=Payment.Status.PENDING, created_at__lte=cutoff):
        charge = _ask_gateway(payment.idempotency_key)
        if charge is None:
            _fail_payment(payment)
        else:
            with contextlib.suppress(Gone):  # refunded; the customer is told when they return
                _finish_payment(payment=payment, charge=charge, hold_token=None)
        settled += 1
    for payment in Payment.objects.filter(status=Payment.Status.REFUNDING):
        settled += _refund(payment)
    return settled


def get_booking(*, reference: str, token: str | None) -> Booking:
    booking = (Booking.objects.select_related("show__movie", "show__hall__cinema")
               .filter(reference=reference).first())
    if booking is None or not (token_matches(token, booking.token_hash) or (
            booking.link_token_hash and token_matches(token, booking.link_token_hash))):
        raise NotFound("No such booking.")
    return booking


def cancel_booking(*, booking: Booking, by_cinema: bool = False) -> Booking:
    """Cancel before the show starts: the seats are freed at once and the charge refunded.
    ``by_cinema``: the show was called off, so the customer is emailed about it."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("show").get(pk=booking.pk)
        if booking.state == Booking.State.CANCELLED:
            return booking
        if booking.show.has_started() and not by_cinema:
            raise Conflict("This show has already started, so the booking cannot be cancelled.")
        booking.state = Booking.State.CANCELLED
        booking.cancelled_at = timezone.now()
        booking.save(update_fields=["state", "cancelled_at"])
        BookingSeat.objects.filter(booking=booking).update(active=False)
        freed = list(ShowSeat.objects.filter(booking=booking).values_list("seat_id", flat=True))
        ShowSeat.objects.filter(booking=booking).update(booking=None)
        seats_changed(booking.show_id, dict.fromkeys(freed, "available"), freed=not by_cinema)
        transaction.on_commit(lambda: metrics.inc("ticketing_bookings", state="cancelled"))
        if by_cinema:
            transaction.on_commit(lambda: enqueue(email_show_cancelled, booking.pk))
        refunds = list(booking.payments.filter(status=Payment.Status.CAPTURED))
        for payment in refunds:
            payment.status = Payment.Status.REFUNDING
            payment.save(update_fields=["status", "updated_at"])
    for payment in refunds:
        _refund(payment)
    return booking
