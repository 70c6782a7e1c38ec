import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalog.models import Seat, Show


class SeatState(models.TextChoices):
    AVAILABLE = "available"
    HELD = "held"
    BOOKED = "booked"
    BLOCKED = "blocked"


class Hold(models.Model):
    """Seats set aside for whoever has the token, until ``expires_at``.

    Which seats a hold *owns* is recorded on the inventory rows (``ShowSeat.hold``); ``seats``
    here is the receipt (labels and prices at the time of holding), kept after the hold ends.
    A hold past ``expires_at`` is expired everywhere at once, whether or not a sweeper ran.
    """

    class State(models.TextChoices):
        ACTIVE = "active"
        PAYING = "paying"  # a charge is in flight; expires_at was pushed out by a bounded grace
        CONFIRMED = "confirmed"
        RELEASED = "released"
        EXPIRED = "expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="holds")
    token_hash = models.CharField(max_length=64, editable=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # The receipt: [{id, row, number, category, price}] as they were when held, and for a
    # show with a price card the chosen ticket_type (its code), type_name and fee; a seat
    # with none is at the default type (booking.ticket_types).
    seats = models.JSONField(default=list)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    # Who asked, as the per-client caps count (ticketing.clients.client_network: an address,
    # an IPv6 /64, or "unknown"); empty for waiting-list offers.
    client = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["state", "expires_at"], name="hold_sweep"),
                   models.Index(fields=["client", "state"], name="hold_client")]

    def __str__(self) -> str:
        return f"hold {self.id} ({self.state})"

    def is_live(self, now: datetime | None = None) -> bool:
        """Still owns its seats: active or paying, and not past its time."""
        live_states = (self.State.ACTIVE, self.State.PAYING)
        return self.state in live_states and self.expires_at > (now or timezone.now())

    def effective_state(self, now: datetime | None = None) -> str:
        live_states = (self.State.ACTIVE, self.State.PAYING)
        if self.state in live_states and not self.is_live(now):
            return self.State.EXPIRED
        return self.state


# A payment taken at a cinema's counter (booking.checkout.sell_at_counter) has a gateway
# reference starting so: the cinema took the money itself, and pays it back itself.
COUNTER_PREFIX = "counter:"


class Booking(models.Model):
    class State(models.TextChoices):
        CONFIRMED = "confirmed"
        CANCELLED = "cancelled"

    reference = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, editable=False)
    # The emailed link's token, hashed (booking.emails.link_token: every email, the same link).
    link_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    show = models.ForeignKey(Show, on_delete=models.PROTECT, related_name="bookings")
    hold = models.OneToOneField(Hold, on_delete=models.PROTECT, related_name="booking")
    state = models.CharField(max_length=16, choices=State.choices, default=State.CONFIRMED)
    customer_name = models.CharField(max_length=200)
    customer_email = models.EmailField()
    total = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The language the customer booked in: their emails speak it (ticketing.i18n).
    language = models.CharField(max_length=8, blank=True, default="")

    def __str__(self) -> str:
        return self.reference

    def refund_route(self) -> str | None:
        """How a cancelled booking's money goes back: "counter" (it was paid at the box office),
        "card", or None (nothing was paid)."""
        paid = list(self.payments.exclude(status__in=[
            Payment.Status.PENDING, Payment.Status.DECLINED, Payment.Status.FAILED,
        ]).values_list("gateway_reference", flat=True))
        if not self.total or not paid:
            return None
        return "counter" if any(ref.startswith(COUNTER_PREFIX) for ref in paid) else "card"


class BookingSeat(models.Model):
    """A ticket. The partial unique index makes a second confirmed sale of a seat impossible."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="tickets")
    show_seat = models.ForeignKey("ShowSeat", on_delete=models.PROTECT, related_name="+")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(max_digits=8, decimal_places=2)  # all-in
    # The ticket type's name as sold (blank for a show that sells one kind of ticket), and the
    # booking fee within the price.
    ticket_type = models.CharField(max_length=40, blank=True, default="")
    fee = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    active = models.BooleanField(default=True)
    # At the door (booking.checkin): when, where and by whom this seat's holder was let in.
    admitted_at = models.DateTimeField(null=True, blank=True)
    admitted_door = models.CharField(max_length=40, blank=True)
    admitted_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["seat__grid_row", "seat__grid_col"]
        constraints = [
            models.UniqueConstraint(
                fields=["show_seat"], condition=Q(active=True), name="one_active_ticket_per_seat"
            )
        ]

    def __str__(self) -> str:
        return f"{self.booking_id}: seat {self.seat_id}"


class ShowSeatQuerySet(models.QuerySet["ShowSeat"]):
    def free(self, now: datetime | None = None) -> "ShowSeatQuerySet":
        """Seats nobody owns: not blocked (by the hall, or taken out of sale as house seats),
        not booked, not in a live hold."""
        now = now or timezone.now()
        return self.filter(seat__blocked=False, house_reason="", booking__isnull=True).filter(
            Q(hold__isnull=True) | Q(held_until__lte=now)
        )

    def held_or_booked(self, now: datetime | None = None) -> "ShowSeatQuerySet":
        now = now or timezone.now()
        return self.filter(Q(booking__isnull=False) | Q(held_until__gt=now))


class ShowSeat(models.Model):
    """One seat of one show: the row that is locked, checked and changed when selling it.

    ``held_until`` mirrors the owning hold's ``expires_at`` so that reading a seat map needs no
    join; a seat whose ``held_until`` has passed is available, whether or not it was swept.
    """

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="inventory")
    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="+")
    hold = models.ForeignKey(
        Hold, on_delete=models.SET_NULL, null=True, blank=True, related_name="show_seats"
    )
    held_until = models.DateTimeField(null=True, blank=True)
    booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="show_seats"
    )
    # Taken out of sale for this show by staff (booking.house_seats), and why: a broken seat,
    # press, VIP. Blocked for everyone until it is put back.
    house_reason = models.CharField(max_length=200, blank=True, default="")

    objects = ShowSeatQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["show", "seat"], name="one_inventory_row_per_seat"),
            models.CheckConstraint(
                condition=Q(hold__isnull=True, held_until__isnull=True)
                | Q(hold__isnull=False, held_until__isnull=False),
                name="held_until_goes_with_hold",
            ),
            models.CheckConstraint(
                condition=Q(hold__isnull=True) | Q(booking__isnull=True),
                name="seat_held_or_booked_not_both",
            ),
            models.CheckConstraint(
                condition=Q(house_reason="") | Q(hold__isnull=True, booking__isnull=True),
                name="house_seat_is_nobodys",
            ),
        ]

    def __str__(self) -> str:
        return f"show {self.show_id} seat {self.seat_id}"

    def state(self, now: datetime, *, reserved: bool = False) -> str:
        """The seat's state at ``now``; ``reserved`` when people are waiting for this show."""
        if self.seat.blocked or self.house_reason:
            return SeatState.BLOCKED
        if self.booking_id is not None:
            return SeatState.BOOKED
        if self.hold_id is not None and self.held_until is not None and self.held_until > now:
            return SeatState.HELD
        return SeatState.HELD if reserved else SeatState.AVAILABLE

    def is_free(self, now: datetime) -> bool:
        """Owned by nobody (it may still be reserved for the waiting list)."""
        return self.state(now) == SeatState.AVAILABLE


class Payment(models.Model):
    """One charge attempt for a hold. Only the card's brand and last four digits are kept."""

    class Status(models.TextChoices):
        PENDING = "pending"  # sent (or about to be sent) to the gateway; outcome not known yet
        CAPTURED = "captured"
        DECLINED = "declined"
        FAILED = "failed"  # never captured (gateway unreachable, or a crash before charging)
        REFUNDING = "refunding"  # captured but cannot be honoured, or cancelled: refund owed
        REFUNDED = "refunded"
        # The gateway will not refund it (a disputed charge, say): for staff to settle by hand.
        REFUND_REFUSED = "refund_refused"
        # Paid at the box office and called off: the money is owed back there, by staff.
        OWED_AT_COUNTER = "owed_at_counter"

    hold = models.ForeignKey(Hold, on_delete=models.PROTECT, related_name="payments")
    booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    gateway_reference = models.CharField(max_length=100, blank=True)
    decline_reason = models.CharField(max_length=200, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    # What the hold's expiry was before the payment grace pushed it out, to restore on decline.
    hold_expires_at = models.DateTimeField()
    customer_name = models.CharField(max_length=200)
    customer_email = models.EmailField()
    # Hash of the booking token the customer will hold, fixed when the payment starts, so
    # whoever finishes the payment (the request, or crash recovery) creates the same booking.
    booking_token_hash = models.CharField(max_length=64, editable=False)
    # The language the customer paid in, for the booking (and its emails) made from it.
    language = models.CharField(max_length=8, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="payment_recovery"),
                   # the provider's webhooks name a payment by its reference
                   models.Index(fields=["gateway_reference"], name="payment_gateway_reference")]

    def __str__(self) -> str:
        return f"payment {self.pk} {self.status} {self.amount} {self.currency}"


class TestGatewayCharge(models.Model):
    """The built-in test gateway's own ledger: stands in for the payment provider's records,
    so crash recovery can ask "did the charge with this idempotency key go through?"."""

    __test__ = False  # not a pytest test class, despite its name

    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16)  # captured | declined | refunded
    decline_reason = models.CharField(max_length=200, blank=True)
    card_last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.reference} {self.status}"



class TestGatewayRefund(models.Model):
    """The test gateway's refunds: one row per refund it made, so tests can count them."""

    __test__ = False

    charge = models.ForeignKey(TestGatewayCharge, on_delete=models.CASCADE,
                               related_name="refunds")
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"refund of {self.charge_id}: {self.amount}"


class SeatMapState(models.Model):
    """Per-show facts every seat-state read needs, kept in one small row.

    ``version`` is bumped by every committed seat change, in the same transaction (it is the
    last row a change locks, so versions follow commit order per show and grow by one); live
    messages carry it so a client that sees a gap refetches, and it keys seat-map caches.
    ``waiting`` counts waiting-list entries still waiting: while it is above zero every free
    seat is reserved for the line, so it reads as held and newcomers cannot take it.
    """

    show = models.OneToOneField(Show, on_delete=models.CASCADE, primary_key=True,
                                related_name="seat_map_state")
    version = models.BigIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"show {self.show_id} v{self.version} ({self.waiting} waiting)"


class RoomPass(models.Model):
    """A waiting room's pass (booking.passes): whoever has the token of the room entry it was
    given to (``holder``, the entry's public id) may hold seats of the show until
    ``expires_at``, or until it ends (the holder booked or left)."""

    class Ended(models.TextChoices):
        BOOKED = "booked"
        LEFT = "left"
        EXPIRED = "expired"

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="room_passes")
    holder = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, db_index=True, editable=False)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended = models.CharField(max_length=8, choices=Ended.choices, blank=True)
    # The holds made with it: booking one of them ends the pass.
    holds = models.ManyToManyField(Hold, blank=True, related_name="room_passes")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["show", "holder"],
                                               name="one_pass_per_holder")]
        indexes = [models.Index(fields=["show", "ended_at", "expires_at"], name="pass_active")]

    def __str__(self) -> str:
        return f"pass for {self.holder} at show {self.show_id}"

    def is_valid(self, now: datetime | None = None) -> bool:
        return self.ended_at is None and self.expires_at > (now or timezone.now())
