"""Ticket types and price cards: what a seat of a show costs for each kind of ticket.

A show with a price card sells the card's ticket types. A ticket's price is all-in: the card's
price for the seat's category and the ticket type, plus the show format's surcharge, plus the
card's booking fee (UK and US rules on drip pricing: the price first shown is the price paid).
The default type is the first one the card offers with neither rule (children, carer); the
show's own category prices hold its all-in prices, so a hold is priced at it until the buyer
chooses other types. A show without a card sells one kind of ticket at its category prices.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from catalog.layout import CATEGORIES, price_category
from catalog.models import PRICE_FIELDS, PriceCard, Rating, Show, TicketType
from catalog.validators import validate_amount

MAX_PRICE = Decimal("1000000")  # what a price column (8 digits, 2 decimals) can hold


@dataclass(frozen=True, slots=True)
class TicketPrice:
    ticket_type: TicketType
    category: str
    amount: Decimal  # all-in
    fee: Decimal  # the booking fee within it


@dataclass(frozen=True)
class PriceList:
    """What one show sells: its ticket types in order and each one's price per category."""

    types: list[TicketType]
    prices: dict[tuple[str, str], TicketPrice]
    default: TicketType
    fee: Decimal
    surcharge: Decimal

    def price(self, code: str, category: str) -> TicketPrice | None:
        """The type's price for a seat of this category (a companion seat's is standard's)."""
        return self.prices.get((code, price_category(category)))

    def type_named(self, code: str) -> TicketType | None:
        return next((t for t in self.types if t.code == code), None)


def children_allowed(rating: str) -> bool:
    """Whether child tickets may be sold for a film of this rating (a rating not configured
    admits children)."""
    allowed = Rating.objects.filter(code=rating).values_list("children_allowed", flat=True)
    return next(iter(allowed), True)


def card_problems(*, currency: str, booking_fee: Decimal,
                  amounts: Iterable[tuple[TicketType, str, Decimal]],
                  surcharges: Iterable[Decimal] = ()) -> list[str]:
    """What is wrong with a card's contents, in words; empty when it can be used. Every type
    it lists needs a price in every category it lists (no missing combination), at least one
    type must be sellable to anyone, and every amount must be chargeable in the currency."""
    surcharges = list(surcharges)
    amounts = list(amounts)
    problems = []
    if not amounts:
        return ["a price card needs at least one price"]
    types = {t.code: t for t, _, _ in amounts}
    categories = sorted({c for _, c, _ in amounts}, key=CATEGORIES.index)
    given = {(t.code, c) for t, c, _ in amounts}
    for code, ticket_type in sorted(types.items(), key=lambda item: item[1].position):
        for category in categories:
            if (code, category) not in given:
                problems.append(f"{ticket_type.name} has no {category} price")
    if all(t.restricted for t in types.values()):
        problems.append("a price card needs a ticket type anyone may buy (not a child's or "
                        "a carer's)")
    # A carer's ticket may be free (it always comes with a paid wheelchair space); a fee or
    # a surcharge may be nothing; every other ticket costs something.
    checks = [*((a, t.needs_wheelchair_space) for t, _, a in amounts), (booking_fee, True),
              *((s, True) for s in surcharges)]
    top = max((a for _, _, a in amounts), default=Decimal(0)) + booking_fee + max(
        surcharges, default=Decimal(0))
    if top >= MAX_PRICE:
        problems.append(f"an all-in price must be under {MAX_PRICE} (this card reaches {top})")
    for amount, zero_allowed in checks:
        try:
            validate_amount(amount, currency, zero_allowed=zero_allowed)
        except ValidationError as exc:
            problems.extend(f"{message} ({currency})" for message in exc.messages)
    return problems


def card_categories(card: PriceCard) -> set[str]:
    return set(card.prices.values_list("category", flat=True))


def _surcharge(card: PriceCard, format_: str) -> Decimal:
    return next(iter(card.surcharges.filter(format=format_).values_list("amount", flat=True)),
                Decimal("0"))


def _card_prices(card: PriceCard) -> list:
    """The card's prices with their types, in the chain's order of types."""
    return list(card.prices.select_related("ticket_type")
                .order_by("ticket_type__position", "ticket_type_id"))


def price_list(show: Show) -> PriceList | None:
    """The show's ticket types and prices, or None when it sells one kind of ticket."""
    if show.price_card_id is None:
        return None
    card = show.price_card
    surcharge = _surcharge(card, show.format)
    kids = children_allowed(show.movie.rating)
    prices: dict[tuple[str, str], TicketPrice] = {}
    types: list[TicketType] = []
    for row in _card_prices(card):
        ticket_type = row.ticket_type
        if ticket_type.for_children and not kids:
            continue  # the rating does not admit children: their tickets are not offered
        if not any(t.pk == ticket_type.pk for t in types):
            types.append(ticket_type)
        prices[(ticket_type.code, row.category)] = TicketPrice(
            ticket_type, row.category, row.amount + surcharge + card.booking_fee,
            card.booking_fee)
    if not types:
        return None  # every type the card has is closed to this film: no carded sale
    # A card always has an open type (card_problems), unless a type's rules changed since.
    default = next((t for t in types if not t.restricted), types[0])
    return PriceList(types, prices, default, card.booking_fee, surcharge)


def fill_show_prices(show: Show) -> None:
    """Set a carded show's currency and category prices from its card: the default type's
    all-in prices (what a hold is priced at until other types are chosen)."""
    if show.price_card_id is None:
        return
    card = show.price_card
    show.currency = card.currency
    surcharge = _surcharge(card, show.format)
    rows = _card_prices(card)
    default = next((r.ticket_type for r in rows if not r.ticket_type.restricted),
                   rows[0].ticket_type if rows else None)
    for category, field in PRICE_FIELDS.items():
        amount = next((r.amount for r in rows
                       if r.ticket_type == default and r.category == category), None)
        setattr(show, field, None if amount is None
                else amount + surcharge + card.booking_fee)
