from booking.models import Hold, ShowSeat
from catalog.models import Show

CARD_OK = "4242 4242 4242 4242"
CARD_DECLINED = "4000 0000 0000 0002"
CARD_NO_FUNDS = "4000 0000 0000 9995"
CARD_SLOW = "4000 0000 0000 0077"


def seat_ids(show: Show, *labels: str) -> list[int]:
    seats = {s.label: s.id for s in show.hall.seats.all()}
    return [seats[label] for label in labels]


def inventory(show: Show) -> list[tuple]:
    """Everything about the show's seats that a hold or a booking could change."""
    return list(ShowSeat.objects.filter(show=show).order_by("pk")
                .values_list("pk", "hold_id", "held_until", "booking_id"))


def state_of(show: Show) -> tuple:
    return inventory(show), list(Hold.objects.filter(show=show).values_list("pk", "state"))


def checkout_body(card: str = CARD_OK, **payment) -> dict:
    return {"customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
            "payment": {"card_number": card, "exp_month": 12, "exp_year": 2031, "cvc": "123",
                        **payment}}
