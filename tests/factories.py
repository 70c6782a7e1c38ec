from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from catalog.models import (
    Cinema,
    City,
    Hall,
    Movie,
    PriceCard,
    PriceCardPrice,
    PriceCardSurcharge,
    Show,
    TicketType,
)
from catalog.services import save_show, set_hall_layout

SMALL_LAYOUT = ["A: ss_ss", "B: pp_pa", "C: sx_ss"]


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"city-{n}")
    name = factory.Sequence(lambda n: f"City {n}")


class CinemaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cinema

    slug = factory.Sequence(lambda n: f"cinema-{n}")
    city = factory.SubFactory(CityFactory)
    name = factory.Sequence(lambda n: f"Cinema {n}")
    address = "1 Main St"
    timezone = "America/Chicago"
    # The rule against stranded seats is on for real cinemas; the tests of other rules pick
    # seats freely, and tests/booking/test_stranding.py turns it on where it is the subject.
    no_stranded_seats = False


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie

    slug = factory.Sequence(lambda n: f"movie-{n}")
    title = factory.Sequence(lambda n: f"Movie {n}")
    duration_minutes = 120
    rating = "PG-13"
    genres = factory.LazyFunction(lambda: ["Drama"])


class HallFactory(factory.django.DjangoModelFactory):
    """A hall whose seats are made from its layout, as the admin and the import do."""

    class Meta:
        model = Hall

    cinema = factory.SubFactory(CinemaFactory)
    name = factory.Sequence(lambda n: f"Screen {n}")

    @classmethod
    def _create(cls, model_class, *args, layout=None, **kwargs):
        hall = model_class(**kwargs)
        set_hall_layout(hall=hall, layout=layout or SMALL_LAYOUT)
        return hall


class ShowFactory(factory.django.DjangoModelFactory):
    """A validated show with its seat inventory, made through the catalog service."""

    class Meta:
        model = Show

    movie = factory.SubFactory(MovieFactory)
    hall = factory.SubFactory(HallFactory)
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    )
    currency = "USD"
    price_standard = Decimal("12.50")
    price_premium = Decimal("16.00")
    price_accessible = Decimal("12.50")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return save_show(show=model_class(**kwargs))


# (code, name, for_children, carer), in the chain's order
TICKET_TYPES = [("adult", "Adult", False, False), ("child", "Child", True, False),
                ("senior", "Senior", False, False), ("carer", "Carer", False, True)]


def ticket_types() -> dict[str, TicketType]:
    return {code: TicketType.objects.get_or_create(
        code=code, defaults={"name": name, "position": i, "for_children": kids,
                             "needs_wheelchair_space": carer})[0]
            for i, (code, name, kids, carer) in enumerate(TICKET_TYPES)}


def price_card(*, name: str = "Evening", currency: str = "USD", fee: str = "0",
               prices: dict[str, dict[str, str]] | None = None,
               surcharges: dict[str, str] | None = None) -> PriceCard:
    """A card over the factory hall's categories: adult 12.00/15.00/12.00, child 8.00/11.00/
    8.00, senior 9.00/12.00/9.00, carer free; a 3D surcharge of 2.00; unless told otherwise."""
    types = ticket_types()
    prices = prices or {
        "adult": {"standard": "12.00", "premium": "15.00", "accessible": "12.00"},
        "child": {"standard": "8.00", "premium": "11.00", "accessible": "8.00"},
        "senior": {"standard": "9.00", "premium": "12.00", "accessible": "9.00"},
        "carer": {"standard": "0.00", "premium": "0.00", "accessible": "0.00"},
    }
    card = PriceCard.objects.create(name=name, currency=currency, booking_fee=Decimal(fee))
    PriceCardPrice.objects.bulk_create(
        PriceCardPrice(card=card, ticket_type=types[code], category=category,
                       amount=Decimal(amount))
        for code, by_category in prices.items() for category, amount in by_category.items())
    PriceCardSurcharge.objects.bulk_create(
        PriceCardSurcharge(card=card, format=format_, amount=Decimal(amount))
        for format_, amount in (surcharges if surcharges is not None else {"3d": "2.00"}).items())
    return card
