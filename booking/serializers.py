"""Response shapes of holds and bookings (also what the OpenAPI schema documents)."""

from django.utils import timezone
from rest_framework import serializers

from booking.models import Booking, Hold
from catalog.layout import SEAT_CATEGORIES


class HeldSeatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    category = serializers.CharField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2,
                                     help_text="All-in: the booking fee is included")
    ticket_type = serializers.CharField(
        allow_null=True, help_text="The chosen ticket type's code; null until one is chosen "
        "(the seat is then at the show's default_ticket_type), and for shows that sell one "
        "kind of ticket")
    type_name = serializers.CharField(allow_null=True)
    fee = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True,
                                   help_text="The booking fee within the price")


class TicketChoiceSerializer(serializers.Serializer):
    seat_id = serializers.IntegerField()
    ticket_type = serializers.CharField(help_text="A code from the show's ticket_types")


class TicketChoicesSerializer(serializers.Serializer):
    """Seats left out keep their type; all of them change, or none."""

    tickets = TicketChoiceSerializer(many=True)


class HoldSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()
    seats = HeldSeatSerializer(many=True)
    seconds_left = serializers.SerializerMethodField()
    show = serializers.IntegerField(source="show_id")

    class Meta:
        model = Hold
        fields = ["id", "show", "state", "seats", "total", "currency", "expires_at",
                  "seconds_left"]

    def get_state(self, hold: Hold) -> str:
        return hold.effective_state()

    def get_seconds_left(self, hold: Hold) -> int:
        if not hold.is_live():
            return 0
        return max(0, int((hold.expires_at - timezone.now()).total_seconds()))


class GivenToken(serializers.CharField):
    """The bearer token handed out once, at creation; it comes from the serializer context."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return self.context["token"]


class NewHoldSerializer(HoldSerializer):
    token = GivenToken(help_text="Keep it: send it as 'Authorization: Bearer <token>'")

    class Meta(HoldSerializer.Meta):
        fields = ["id", "token", *HoldSerializer.Meta.fields[1:]]


class TicketSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="seat_id")
    row = serializers.CharField(source="seat.row_label")
    number = serializers.IntegerField(source="seat.number")
    category = serializers.CharField(source="seat.category")
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    ticket_type = serializers.CharField(help_text="The ticket type's name; blank for a show "
                                        "that sells one kind of ticket")
    fee = serializers.DecimalField(max_digits=8, decimal_places=2,
                                   help_text="The booking fee within the price")


class CustomerSerializer(serializers.Serializer):
    name = serializers.CharField(source="customer_name")
    email = serializers.EmailField(source="customer_email")


class BookingSerializer(serializers.ModelSerializer):
    show = serializers.IntegerField(source="show_id")
    seats = TicketSerializer(many=True, source="tickets")
    customer = CustomerSerializer(source="*")

    class Meta:
        model = Booking
        fields = ["reference", "show", "state", "seats", "total", "currency", "customer",
                  "created_at", "cancelled_at"]


class NewBookingSerializer(BookingSerializer):
    token = GivenToken(help_text="Keep it: it is the only way to see or cancel the booking")

    class Meta(BookingSerializer.Meta):
        fields = ["reference", "token", *BookingSerializer.Meta.fields[1:]]


class HoldRequestSerializer(serializers.Serializer):
    """Either ``seats`` (ids) or ``count`` (best available), not both."""

    seats = serializers.ListField(child=serializers.IntegerField(), required=False,
                                  min_length=1, max_length=10)
    count = serializers.IntegerField(required=False, min_value=1, max_value=10)
    category = serializers.ChoiceField(choices=["standard", "premium", "accessible"],
                                       required=False)


class CheckoutCustomerSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()


class CheckoutPaymentSerializer(serializers.Serializer):
    """With the test gateway (PAYMENT_GATEWAY=test): the card's four fields. With Stripe: no
    card fields ever; either ``payment_method`` (an id Stripe.js or a Stripe SDK gave for the
    card: we confirm the payment, 201 or 202 for a 3-D Secure challenge), or no ``payment`` at
    all (202 with the client secret to confirm with, then POST .../checkout/complete)."""

    card_number = serializers.CharField(required=False, help_text="test gateway only")
    exp_month = serializers.IntegerField(required=False, help_text="test gateway only")
    exp_year = serializers.IntegerField(required=False, help_text="test gateway only")
    cvc = serializers.CharField(required=False, help_text="test gateway only")
    payment_method = serializers.CharField(required=False, help_text="Stripe only: pm_...")


class CheckoutRequestSerializer(serializers.Serializer):
    customer = CheckoutCustomerSerializer()
    payment = CheckoutPaymentSerializer(required=False)


class ProviderPaymentSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text="stripe")
    payment_intent = serializers.CharField()
    client_secret = serializers.CharField(
        help_text="For Stripe.js or a Stripe SDK: confirmCardPayment or handleNextAction")
    publishable_key = serializers.CharField()
    next_step = serializers.ChoiceField(
        choices=["confirm", "authenticate", "wait"],
        help_text="confirm: confirm the payment with a card; authenticate: complete the 3-D "
        "Secure challenge; wait: the provider is processing it. Then POST .../checkout/complete "
        "(or wait for the booking: the provider's webhook makes it too).")


class PaymentActionSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="awaiting_customer")
    hold = serializers.UUIDField()
    payment = ProviderPaymentSerializer()


class SeatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    category = serializers.ChoiceField(choices=list(SEAT_CATEGORIES))
    state = serializers.ChoiceField(choices=["available", "held", "booked", "blocked"])
    grid_row = serializers.IntegerField()
    grid_col = serializers.IntegerField()


class SeatMapSerializer(serializers.Serializer):
    show = serializers.IntegerField()
    seats = SeatSerializer(many=True)
