"""Paying for a hold, and recovering payments a crash left in flight.

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
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from booking import passes, seats
from booking.emails import email_booking_confirmation
from booking.errors import PaymentDeclined, PaymentUnavailable
from booking.events import announce_hold_ended, seats_changed
from booking.holds import release_hold
from booking.models import COUNTER_PREFIX, Booking, BookingSeat, Hold, Payment
from booking.payment_details import Customer
from booking.payments import (
    AmountNotChargeable,
    Card,
    Charge,
    GatewayUnavailable,
    PaymentMethodRefused,
    ProviderConfirmedGateway,
    RefundRefused,
    get_gateway,
)
from booking.ticket_types import ticket_lines
from catalog.models import Show
from catalog.templatetags.catalog_tags import money
from ticketing import audit, metrics
from ticketing.errors import Conflict, Gone, InvalidRequest
from ticketing.i18n import _
from ticketing.tasks import enqueue
from ticketing.tokens import derived_token, hash_token

log = logging.getLogger(__name__)
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: easy to read out


@dataclass(frozen=True)
class Confirmed:
    booking: Booking
    token: str
    replayed: bool = False


@dataclass(frozen=True)
class AwaitingCustomer:
    """A provider-confirmed payment that needs the customer's part at the provider: confirming
    it with a card (``confirm``), a 3-D Secure challenge (``authenticate``), or only time while
    the provider processes it (``wait``). The hold stays ``paying`` meanwhile."""

    payment_intent: str
    client_secret: str
    next_step: str


def provider_confirms() -> bool:
    """Whether payments are confirmed at the provider (Stripe) rather than charged with a card
    posted to us (the test gateway)."""
    return not get_gateway().takes_cards


def browser_settings() -> dict[str, str]:
    """What the browser needs to load the provider's card fields (Stripe.js and its key)."""
    return _provider_gateway().browser_settings()


def customer_step(awaiting: AwaitingCustomer) -> dict[str, str]:
    """What the customer's browser or app needs for its part at the provider."""
    settings = _provider_gateway().browser_settings()
    return {"provider": settings["provider"], "publishable_key": settings["publishable_key"],
            "payment_intent": awaiting.payment_intent, "client_secret": awaiting.client_secret,
            "next_step": awaiting.next_step}


def _provider_gateway() -> ProviderConfirmedGateway:
    gateway = get_gateway()
    if gateway.takes_cards:
        raise InvalidRequest(_("This site's payment gateway takes the card with the checkout: "
                               "send payment.card_number, exp_month, exp_year and cvc."),
                             field="payment")
    return gateway


def confirm_checkout(*, hold: Hold, hold_token: str, customer: Customer, card: Card,
                     idempotency_key: str | None = None,
                     expected_total: Decimal | None = None) -> Confirmed:
    """Charge for the hold and turn it into a booking, all or nothing (see the module doc).
    With ``expected_total`` (what the buyer was shown), a hold whose total is now different
    is refused and nothing is charged."""
    gateway = get_gateway()
    if not gateway.takes_cards:
        raise InvalidRequest(_("Card details go to the payment provider, never to us: send "
                               "payment.payment_method (an id from Stripe.js), or no payment "
                               "to get the client secret to confirm with."), field="payment")
    key = f"{hold.pk}:{idempotency_key or uuid.uuid4().hex}"
    payment = _start_payment(hold=hold, hold_token=hold_token, customer=customer, card=card,
                             key=key, expected_total=expected_total)
    if not isinstance(payment, Payment):
        return payment  # an idempotent replay
    try:
        charge = gateway.charge(amount=payment.amount, currency=payment.currency, card=card,
                                idempotency_key=key)
    except GatewayUnavailable:
        charge = _ask_gateway(key)
        if charge is None:
            _fail_payment(payment)
            raise PaymentUnavailable(_("The payment service did not answer and nothing was "
                                       "charged. Please try again.")) from None
    return _finish_payment(payment=payment, charge=charge, hold_token=hold_token)


def pay_at_provider(*, hold: Hold, hold_token: str, customer: Customer,
                    payment_method: str | None, idempotency_key: str | None = None,
                    expected_total: Decimal | None = None) -> Confirmed | AwaitingCustomer:
    """Pay for the hold with a provider-confirmed gateway (Stripe), all or nothing.

    The same three steps as a card charge (see the module doc), with the provider's payment in
    step 2: it is created for the hold's total (and its id recorded, under the locks, before
    anyone can confirm it), then confirmed here when the client sent a payment method, or left
    for the client to confirm with the secret returned. The booking is made once, by whichever
    of the customer's return (settle_payment) and the provider's webhook (settle_by_reference)
    comes first.
    """
    gateway = _provider_gateway()
    key = f"{hold.pk}:{idempotency_key or uuid.uuid4().hex}"
    earlier = (Payment.objects.filter(hold=hold, status=Payment.Status.PENDING)
               .exclude(gateway_reference="").first())
    if earlier is not None and earlier.idempotency_key == key:  # a retry of this attempt
        charge = _ask_gateway(key, earlier.gateway_reference)
        if (payment_method and charge is not None and charge.status == "awaiting_customer"
                and charge.customer_step == "confirm"):
            charge = _confirm(gateway, earlier)  # our confirm never reached the provider
        return _settle(earlier, charge, hold_token)
    if earlier is not None:
        # A new attempt while an earlier one waits on the customer (a 3-D Secure challenge
        # they walked away from, say): call the earlier one off at the provider first. If it
        # went through meanwhile, that is the answer; if it is processing, wait for it.
        with contextlib.suppress(Gone):  # refunded: the new attempt then finds the hold gone
            _settle(earlier, _cancel_or_outcome(earlier.gateway_reference), None)
        earlier.refresh_from_db()
        if earlier.status == Payment.Status.CAPTURED:
            return _replay(earlier, hold_token)
        if earlier.status == Payment.Status.PENDING:
            raise Conflict(_("A payment for this hold is still being processed; try again in "
                             "a moment."), retry_after=2)
    payment = _start_payment(hold=hold, hold_token=hold_token, customer=customer, card=None,
                             key=key,
                             expected_total=expected_total)
    if not isinstance(payment, Payment):
        return payment  # an idempotent replay
    try:
        created = gateway.create_payment(
            amount=payment.amount, currency=payment.currency, idempotency_key=f"create:{key}",
            payment_method=payment_method,
            metadata={"hold": str(hold.pk), "payment": str(payment.pk)})
    except (GatewayUnavailable, PaymentMethodRefused, AmountNotChargeable) as exc:
        _fail_payment(payment)
        if isinstance(exc, PaymentMethodRefused):
            raise InvalidRequest(_("The payment method was refused: {exc}", exc=exc),
                                 field="payment.payment_method") from None
        if isinstance(exc, AmountNotChargeable):
            raise Conflict(str(exc), reason="amount_not_chargeable") from None
        raise PaymentUnavailable(_("The payment service did not answer and nothing was "
                                   "charged. Please try again.")) from None
    if not _record_reference(payment, created.reference):
        # Recovery gave up on this payment while the provider was slow to answer: its seats
        # may be someone else's by now, so this one is called off before anyone confirms it.
        _cancel_quietly(created.reference)
        raise PaymentUnavailable(_("The payment service took too long and nothing was "
                                   "charged. Please try again."))
    if not payment_method:
        return _settle(payment, created, hold_token)
    return _settle(payment, _confirm(gateway, payment), hold_token)


def _record_reference(payment: Payment, reference: str) -> bool:
    """Record the provider's id for a payment still pending, under its hold's lock (the order
    every settling step takes them in). False: it is no longer pending (recovery failed it)."""
    with transaction.atomic():
        Hold.objects.select_for_update().filter(pk=payment.hold_id).first()
        recorded = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            gateway_reference=reference, updated_at=timezone.now())
    payment.gateway_reference = reference
    return bool(recorded)


def _confirm(gateway: ProviderConfirmedGateway, payment: Payment) -> Charge | None:
    try:
        return gateway.confirm(reference=payment.gateway_reference,
                               idempotency_key=f"confirm:{payment.idempotency_key}")
    except GatewayUnavailable:
        return _ask_gateway(payment.idempotency_key, payment.gateway_reference)  # None: later


def settle_payment(*, hold: Hold, hold_token: str) -> Confirmed | AwaitingCustomer:
    """The customer is back from the provider (their browser after Stripe.js, or an API client
    after confirming): settle the hold's latest provider payment from the provider's state."""
    _provider_gateway()
    payment = (Payment.objects.filter(hold=hold).exclude(gateway_reference="")
               .order_by("-created_at", "-pk").first())
    if payment is None:
        raise Conflict(_("No payment has been started for this hold."), reason="no_payment")
    return _settle(payment, _ask_gateway(payment.idempotency_key, payment.gateway_reference),
                   hold_token)


def settle_by_reference(*, reference: str, payment_id: int | None = None) -> None:
    """The provider told us (a verified webhook about a payment of ours) that it changed:
    settle it from the provider's own state, whatever the event said, so events in any order,
    twice or late, come to the same thing. ``payment_id`` (from the provider's metadata) finds
    a payment whose reference was never recorded; one that no payment of ours matches, yet was
    captured, is refunded."""
    payment = (Payment.objects.filter(gateway_reference=reference).first()
               or (payment_id and Payment.objects.filter(pk=payment_id, gateway_reference="")
                   .first()) or None)
    charge = get_gateway().find_charge(idempotency_key=payment.idempotency_key if payment
                                       else "", reference=reference)
    if charge is None:
        raise GatewayUnavailable(f"could not read {reference}")
    if payment is None:
        if charge.status == "captured":
            log.warning("refunding %s: captured, but no payment of ours started it", reference)
            try:
                get_gateway().refund(reference=reference, idempotency_key=f"refund:{reference}")
            except RefundRefused as exc:
                log.error("refund of %s refused by the gateway: %s", reference, exc)
        return
    with contextlib.suppress(Gone, PaymentDeclined, PaymentUnavailable):
        _settle(payment, charge, None)


def _settle(payment: Payment, charge: Charge | None,
            hold_token: str | None) -> Confirmed | AwaitingCustomer | None:
    if charge is None:  # the provider could not be asked: the payment stays pending
        if hold_token is None:
            return None
        raise PaymentUnavailable(_("The payment service did not answer; your payment is being "
                                   "checked and your seats stay held meanwhile. Try again in "
                                   "a moment."), retry_after=2)
    if charge.status in ("awaiting_customer", "pending"):
        payment.refresh_from_db(fields=["status"])
        if payment.status == Payment.Status.PENDING:
            if hold_token is None:
                return None
            step = "wait" if charge.status == "pending" else charge.customer_step or "confirm"
            return AwaitingCustomer(charge.reference, charge.client_secret, step)
    return _finish_payment(payment=payment, charge=charge, hold_token=hold_token)


# Paid at a cinema's counter (booking.checkout.sell_at_counter): money the cinema took itself.
COUNTER_METHODS = {"cash": "cash", "card_present": "card at the counter"}


def sell_at_counter(*, hold: Hold, hold_token: str, customer: Customer, method: str,
                    actor: str) -> Confirmed:
    """The box office: the hold is paid at the counter (cash, or a card on the counter's own
    terminal), recorded as such, and becomes a booking by the same steps and locks as any
    other payment; in the audit trail with who sold it."""
    if method not in COUNTER_METHODS:
        raise InvalidRequest(_("payment method must be one of {value}",
                               value=', '.join(COUNTER_METHODS)),
                             field="method")
    # The customer's emails are in the site's language, not the staff browser's.
    payment = _start_payment(hold=hold, hold_token=hold_token, customer=customer, card=None,
                             key=f"{hold.pk}:counter", language=settings.LANGUAGE_CODE)
    if not isinstance(payment, Payment):
        return payment  # the same sale again
    charge = Charge("captured", f"{COUNTER_PREFIX}{method}:{payment.pk}", card_brand=method)
    with transaction.atomic():  # the sale and its audit entry commit together
        confirmed = _finish_payment(payment=payment, charge=charge, hold_token=hold_token)
        audit.record(actor=actor, action="box_office_sale",
                     subject=f"booking {confirmed.booking.reference}", show=hold.show_id,
                     method=method, seats=[f"{s['row']}{s['number']}" for s in hold.seats],
                     total=str(hold.total), currency=hold.currency)
    return confirmed


def _start_payment(*, hold: Hold, hold_token: str, customer: Customer, card: Card | None,
                   key: str, expected_total: Decimal | None = None,
                   language: str | None = None) -> Payment | Confirmed:
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        existing = Payment.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, hold_token)
        now = timezone.now()
        if hold.state == Hold.State.CONFIRMED:
            raise Conflict(_("This hold has already been paid for."),
                           booking=hold.booking.reference)
        if hold.state == Hold.State.PAYING and hold.is_live(now):
            raise Conflict(_("A payment for this hold is already in progress; try again in a "
                             "moment."), retry_after=2)
        if hold.state != Hold.State.ACTIVE or not hold.is_live(now):
            raise Gone(_("This hold has expired and its seats were released. Choose seats "
                         "again."))
        if expected_total is not None and expected_total != hold.total:
            raise Conflict(_("Your tickets changed (in another window?): the total is now "
                             "{total}. Check them and pay again; nothing was charged.",
                             total=money(hold.total, hold.currency)),
                           total=str(hold.total))
        started = Show.objects.filter(pk=hold.show_id, starts_at__lte=now).exists()
        if not started:
            return _record_payment(
                hold=hold, hold_token=hold_token, customer=customer, card=card, key=key, now=now,
                language=language,
            )
    # A hold made just before the show began cannot be paid once it has: nothing is charged,
    # and the seats go back at once rather than when the hold would have run out.
    release_hold(hold=hold)
    raise Conflict(
        _(
            "This show has already started, so it can no longer be booked. Your hold "
            "was released and nothing was charged."
        ),
        reason="show_started",
    )


def _record_payment(
    *, hold: Hold, hold_token: str, customer: Customer, card: Card | None, key: str,
    now: datetime, language: str | None = None,
) -> Payment:
    """Step 1 (see the module doc), under the hold's lock: a pending payment, and the hold kept
    through the charge."""
    payment = Payment.objects.create(
        hold=hold,
        idempotency_key=key,
        amount=hold.total,
        currency=hold.currency,
        card_brand=card.brand if card else "",
        card_last4=card.last4 if card else "",
        hold_expires_at=hold.expires_at,
        customer_name=customer.name,
        customer_email=customer.email,
        booking_token_hash=hash_token(derived_token("booking", hold_token)),
        language=language or translation.get_language() or "",
    )
    paying_until = max(hold.expires_at, now + timedelta(seconds=settings.PAYMENT_GRACE_SECONDS))
    Hold.objects.filter(pk=hold.pk).update(state=Hold.State.PAYING, expires_at=paying_until)
    seats.hold_until(hold, paying_until)
    return payment


def _replay(payment: Payment, hold_token: str) -> Confirmed:
    """The answer a retry with the same idempotency key gets: the first attempt's outcome."""
    if payment.status == Payment.Status.CAPTURED and payment.booking is not None:
        return Confirmed(payment.booking, derived_token("booking", hold_token), replayed=True)
    if payment.status == Payment.Status.DECLINED:
        raise PaymentDeclined(
            _decline_message(payment.decline_reason), reason=payment.decline_reason
        )
    if payment.status == Payment.Status.PENDING:
        raise Conflict(
            _("This payment is still being processed; try again in a moment."), retry_after=1
        )
    if payment.status == Payment.Status.FAILED:
        raise PaymentUnavailable(
            _("That payment attempt failed and nothing was charged. Try again with a new attempt.")
        )
    raise Gone(_("The hold ran out before the payment completed; the charge was refunded."))


def _decline_message(reason: str) -> Promise:
    if reason == "insufficient_funds":
        return _("The card was declined for insufficient funds. Try another card.")
    return _("The card was declined. Try another card; your seats are still held.")


def _ask_gateway(key: str, reference: str = "") -> Charge | None:
    try:
        return get_gateway().find_charge(idempotency_key=key, reference=reference)
    except GatewayUnavailable:
        return None


def _finish_payment(
    *, payment: Payment, charge: Charge, hold_token: str | None
) -> Confirmed | None:
    owed: str | None = None  # a refund owed, by the charge's reference
    outcome: Booking | Payment | None = None
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=payment.hold_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        now = timezone.now()
        if payment.status == Payment.Status.PENDING:
            if charge.status == "declined":
                _decline(payment, hold, charge, now)
                outcome = payment
            elif charge.status == "failed":
                _fail(payment, hold, now)
            elif charge.status == "captured" and _seats_still_ours(hold):
                outcome = _book(payment, hold, charge, now)
            elif charge.status in ("captured", "refunded"):
                owed = _owe_refund(payment, hold, charge)
        elif (
            payment.status in (Payment.Status.FAILED, Payment.Status.DECLINED)
            and charge.status == "captured"
        ):
            # The money landed after we had written the attempt off: recovery gave up on it,
            # or the customer retried another card on a declined payment before our cancel
            # reached the provider. While the hold still owns its seats and nothing else is
            # paying for it, that is simply the booking; otherwise it is refunded.
            if _still_bookable(hold, payment, now):
                outcome = _book(payment, hold, charge, now)
            else:
                owed = _owe_refund(payment, hold, charge)
    if owed is not None:
        refund(payment)
        raise Gone(
            _(
                "Your hold ran out while the payment was processing and the seats were "
                "released. The charge has been refunded in full."
            )
        )
    if isinstance(outcome, Booking):
        token = derived_token("booking", hold_token) if hold_token else ""
        return Confirmed(outcome, token)
    if hold_token is None:
        return None  # recovery: nothing to answer
    return _replay(Payment.objects.select_related("booking").get(pk=payment.pk), hold_token)


def _still_bookable(hold: Hold, payment: Payment, now: datetime) -> bool:
    """Under the hold's lock: a payment written off can still become the booking, if it
    paid what the hold costs now (its tickets may have been changed since)."""
    if hold.state != Hold.State.ACTIVE or not hold.is_live(now):
        return False
    if payment.amount != hold.total:
        return False
    others = (
        Payment.objects.filter(hold=hold)
        .exclude(pk=payment.pk)
        .filter(status__in=[Payment.Status.PENDING, Payment.Status.CAPTURED])
    )
    if others.exists():
        return False
    if Show.objects.filter(pk=hold.show_id, cancelled_at__isnull=False).exists():
        return False
    return seats.still_held_by(hold)


def _seats_still_ours(hold: Hold) -> bool:
    if hold.state != Hold.State.PAYING:
        return False
    if Show.objects.filter(pk=hold.show_id, cancelled_at__isnull=False).exists():
        return False  # the show was called off while the charge was in flight: refund it
    return seats.still_held_by(hold)


def _book(payment: Payment, hold: Hold, charge: Charge, now: datetime) -> Booking:
    booking = Booking.objects.create(
        reference=_new_reference(),
        token_hash=payment.booking_token_hash,
        show_id=hold.show_id,
        hold=hold,
        customer_name=payment.customer_name,
        customer_email=payment.customer_email,
        total=hold.total,
        currency=hold.currency,
        created_at=now,
        language=payment.language,
    )
    rows = seats.book(hold=hold, booking=booking)
    BookingSeat.objects.bulk_create(
        BookingSeat(
            booking=booking,
            show_seat=rows[line.seat_id],
            seat_id=line.seat_id,
            price=line.price,
            ticket_type=line.type_name,
            fee=line.fee,
        )
        for line in ticket_lines(hold=hold)
    )
    Hold.objects.filter(pk=hold.pk).update(state=Hold.State.CONFIRMED)
    seats_changed(hold.show_id, dict.fromkeys(rows, "booked"))
    # A waiting room's pass is used. After the seat-map state row (seats_changed), as the
    # waiting list takes it: the fairness log's head is always locked last.
    passes.end_for_booking(hold, now)
    transaction.on_commit(lambda: announce_hold_ended(hold.show_id))  # paid: it ended
    payment.status = Payment.Status.CAPTURED
    payment.gateway_reference = charge.reference
    payment.booking = booking
    payment.card_brand = charge.card_brand or payment.card_brand
    payment.card_last4 = charge.card_last4 or payment.card_last4
    payment.save(
        update_fields=[
            "status",
            "gateway_reference",
            "booking",
            "card_brand",
            "card_last4",
            "updated_at",
        ]
    )
    if booking.customer_email:  # a box-office sale may have no email address
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
    _cancel_after_commit(payment)


def _fail(payment: Payment, hold: Hold, now: datetime) -> None:
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED, updated_at=now)
    _unpause_hold(hold, payment, now)
    transaction.on_commit(lambda: metrics.inc("ticketing_payments", outcome="failed"))
    _cancel_after_commit(payment)


def _cancel_after_commit(payment: Payment) -> None:
    """A provider-confirmed payment that ended without money moving is cancelled at the
    provider too, so the client secret it gave out can confirm nothing later (if it ever did,
    the captured charge with no pending payment is refunded: see _finish_payment)."""
    if payment.gateway_reference and not get_gateway().takes_cards:
        transaction.on_commit(lambda: _cancel_quietly(payment.gateway_reference))


def _cancel_quietly(reference: str) -> None:
    """Cancel at the provider; if it went through before the cancel did, settle that."""
    try:
        charge = get_gateway().cancel(reference=reference)
    except GatewayUnavailable:
        log.warning("could not cancel payment %s at the gateway", reference)
        return
    if charge.status == "captured":
        payment = Payment.objects.filter(gateway_reference=reference).first()
        if payment is not None:
            with contextlib.suppress(Gone):
                _finish_payment(payment=payment, charge=charge, hold_token=None)


def _unpause_hold(hold: Hold, payment: Payment, now: datetime) -> None:
    """After a payment that did not go through, the hold resumes with its own expiry."""
    if hold.state != Hold.State.PAYING:
        return
    if payment.hold_expires_at > now:
        Hold.objects.filter(pk=hold.pk).update(
            state=Hold.State.ACTIVE, expires_at=payment.hold_expires_at
        )
        seats.hold_until(hold, payment.hold_expires_at)
    else:
        _expire_paying_hold(hold)


def _expire_paying_hold(hold: Hold) -> None:
    Hold.objects.filter(pk=hold.pk).update(state=Hold.State.EXPIRED)
    freed = seats.free(show_id=hold.show_id, hold=hold)
    if not freed:
        transaction.on_commit(lambda: announce_hold_ended(hold.show_id))


def _owe_refund(payment: Payment, hold: Hold, charge: Charge) -> str:
    payment.status = Payment.Status.REFUNDING
    payment.gateway_reference = charge.reference
    payment.save(update_fields=["status", "gateway_reference", "updated_at"])
    if hold.state == Hold.State.PAYING:
        _expire_paying_hold(hold)
    return charge.reference


def refund(payment: Payment) -> bool:
    """Refund through the gateway (outside any transaction); on failure recovery retries.

    Cancelling, settling a late charge and recovery may each reach here for one payment, even
    at once: the key is the payment's own, so the gateway refunds it once whoever asks. Money
    taken at the counter is given back at the counter: no gateway is asked."""
    if payment.gateway_reference.startswith(COUNTER_PREFIX):
        with transaction.atomic():
            owed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.REFUNDING).update(
                status=Payment.Status.OWED_AT_COUNTER, updated_at=timezone.now()
            )
            if owed:
                audit.record(
                    actor="system",
                    action="refund_owed_at_counter",
                    subject=f"payment {payment.pk}",
                    amount=str(payment.amount),
                    currency=payment.currency,
                )
        return True
    try:
        get_gateway().refund(
            reference=payment.gateway_reference, idempotency_key=f"refund:{payment.idempotency_key}"
        )
    except GatewayUnavailable:
        log.warning("refund for payment %s deferred: gateway unavailable", payment.pk)
        return False
    except RefundRefused as exc:
        # Asking again will not help (a disputed charge, say): staff see it in the admin.
        log.error("refund for payment %s refused by the gateway: %s", payment.pk, exc)
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.REFUNDING).update(
            status=Payment.Status.REFUND_REFUSED,
            decline_reason=str(exc)[:200],
            updated_at=timezone.now(),
        )
        metrics.inc("ticketing_payments", outcome="refund_refused")
        return False
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.REFUNDING).update(
        status=Payment.Status.REFUNDED, updated_at=timezone.now()
    )
    metrics.inc("ticketing_payments", outcome="refunded")
    return True


def _fail_payment(payment: Payment) -> None:
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=payment.hold_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == Payment.Status.PENDING:
            _fail(payment, hold, timezone.now())


def _cancel_or_outcome(reference: str) -> Charge:
    try:
        return get_gateway().cancel(reference=reference)
    except GatewayUnavailable:
        return Charge("pending", reference)  # unknown: leave it as it is for now


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
    now = timezone.now()
    pending = Payment.objects.filter(status=Payment.Status.PENDING, created_at__lte=cutoff)
    for payment in pending.select_related("hold"):
        try:
            charge = get_gateway().find_charge(
                idempotency_key=payment.idempotency_key, reference=payment.gateway_reference
            )
        except GatewayUnavailable:
            if payment.gateway_reference:
                continue  # it exists at the provider, outcome unknown: ask on the next run
            charge = None
        if charge is not None and charge.status == "awaiting_customer":
            if payment.hold.expires_at > now:
                continue  # the customer still has the hold's time (a slow bank app, say)
            # The customer never finished (confirming, or a 3-D Secure challenge) while the
            # hold lasted: call it off at the provider. If it succeeded just now, that is it.
            charge = _cancel_or_outcome(payment.gateway_reference)
        if charge is not None and charge.status in ("pending", "awaiting_customer"):
            continue  # still processing at the provider: its webhook (or a later run) settles it
        if charge is None:
            _fail_payment(payment)
        else:
            with contextlib.suppress(Gone):  # refunded; the customer is told when they return
                _finish_payment(payment=payment, charge=charge, hold_token=None)
        settled += 1
    for payment in Payment.objects.filter(status=Payment.Status.REFUNDING):
        settled += refund(payment)
    return settled
