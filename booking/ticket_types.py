"""Choosing a ticket type for each seat of a hold, and reading a hold's seats as tickets.

A hold is made at the show's default type (its category prices); the buyer then chooses a type
per seat. All of a hold's choices change at once under the hold's row lock, or none do, and
only while nobody is paying for it, so a payment always charges the total that was shown.
"""

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise

from booking.models import Hold
from catalog.layout import ACCESSIBLE
from catalog.models import Show
from catalog.pricing import PriceList, TicketPrice, price_list
from ticketing.errors import Conflict, InvalidRequest
from ticketing.i18n import _

CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")  # a ticket type's code (a slug)


@dataclass(frozen=True, slots=True)
class TicketLine:
    seat_id: int
    row: str
    number: int
    category: str
    ticket_type: str  # the type's code; blank for a show that sells one kind of ticket
    type_name: str
    price: Decimal  # all-in
    fee: Decimal


def ticket_lines(*, hold: Hold, prices: PriceList | None = None) -> list[TicketLine]:
    """The hold's seats as tickets: type and price per seat, from the receipt (a seat with no
    type chosen is at the default type it was priced at)."""
    # The show's price list is read only for seats still at the default type (checkout books
    # a hold whose types were all chosen without reading it).
    if (prices is None and any("ticket_type" not in seat for seat in hold.seats)
            and hold.show.price_card_id is not None):
        prices = price_list(hold.show)
    default = prices.default if prices else None
    lines = []
    for seat in hold.seats:
        code = seat.get("ticket_type") or (default.code if default else "")
        name = seat.get("type_name") or (default.name if default else "")
        fee = Decimal(seat["fee"]) if "fee" in seat else (prices.fee if prices else Decimal(0))
        lines.append(TicketLine(seat["id"], seat["row"], seat["number"], seat["category"],
                                code, name, Decimal(seat["price"]), fee))
    return lines


def ticket_options(*, lines: list[TicketLine], prices: PriceList
                   ) -> dict[int, list[TicketPrice]]:
    """Per seat, the types (with their prices) a buyer may choose: a carer's ticket only on
    a seat that is not a wheelchair space, in a hold that has one."""
    has_space = any(line.category == ACCESSIBLE for line in lines)
    options = {}
    for line in lines:
        options[line.seat_id] = [
            price for t in prices.types
            if (price := prices.price(t.code, line.category)) is not None
            and (not t.needs_wheelchair_space or (has_space and line.category != ACCESSIBLE))]
    return options


def choices_by_count(*, lines: list[TicketLine], prices: PriceList,
                     counts: Mapping[str, int]) -> dict[int, str]:
    """How many of each type (the box office: "2 Adult, 1 Child") as a type per seat, in
    seat order; carers' tickets go on the seats that are not wheelchair spaces. The rules are
    still choose_ticket_types's to check."""
    wanted = {code: n for code, n in counts.items() if n}
    if any(n < 0 for n in wanted.values()) or sum(wanted.values()) != len(lines):
        raise InvalidRequest(_("The ticket counts ({value}) must add up to the seats "
                               "({number_of_lines}).", value=sum(wanted.values()),
                               number_of_lines=len(lines)), field="tickets")
    carers = [code for code in wanted if (t := prices.type_named(code)) is not None
              and t.needs_wheelchair_space]
    ordered = sorted(lines, key=lambda line: line.category == ACCESSIBLE)  # spaces last
    queue = [code for code in carers for _ in range(wanted[code])]
    queue += [code for code in wanted if code not in carers for _ in range(wanted[code])]
    return {line.seat_id: code for line, code in zip(ordered, queue, strict=True)}


def parse_choices(raw: object) -> dict[int, str]:
    """``[{"seat_id": 12, "ticket_type": "child"}, ...]`` (the API's shape) as seat -> code."""
    if not isinstance(raw, list) or not raw:
        raise InvalidRequest(
            _("tickets must be a list of {{seat_id, ticket_type}}"), field="tickets"
        )
    choices: dict[int, str] = {}
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"seat_id", "ticket_type"}:
            raise InvalidRequest(_("each ticket is {{seat_id, ticket_type}}"), field="tickets")
        seat_id, code = item["seat_id"], item["ticket_type"]
        if isinstance(seat_id, bool) or not isinstance(seat_id, int) or not isinstance(code, str):
            raise InvalidRequest(_("seat_id is a number and ticket_type a code"), field="tickets")
        if seat_id in choices:
            raise InvalidRequest(
                _("seat {seat_id} is given twice", seat_id=seat_id), field="tickets"
            )
        choices[seat_id] = code
    return choices


def choose_ticket_types(*, hold: Hold, choices: Mapping[int, str]) -> Hold:
    """Give the hold's seats these ticket types (seat id -> type code; seats left out keep
    theirs) and re-price it. Refused, changing nothing, if a seat is not the hold's, a type is
    not sold for the show (a child's ticket for a film its rating closes to children), the
    carer rule is broken, the hold has ended, or a payment is under way."""
    with transaction.atomic():
        hold = (
            Hold.objects.select_for_update(of=("self",))
            .select_related("show__price_card", "show__movie")
            .get(pk=hold.pk)
        )
        now = timezone.now()  # after the lock
        if hold.state == Hold.State.PAYING and hold.is_live(now):
            raise Conflict(_("A payment for this hold is in progress; its tickets cannot change."))
        if not (hold.state == Hold.State.ACTIVE and hold.is_live(now)):
            raise Conflict(_("This hold has ended; hold the seats again."))
        prices = price_list(hold.show)
        if prices is None:
            raise InvalidRequest(_("This show sells one kind of ticket."), field="tickets")
        if hold.currency != hold.show.currency:
            raise Conflict(
                _("This show's prices have changed since the seats were held; hold them again.")
            )
        lines = {line.seat_id: line for line in ticket_lines(hold=hold, prices=prices)}
        unknown = sorted(set(choices) - set(lines))
        if unknown:
            raise InvalidRequest(
                _("seat {unknown} is not in this hold", unknown=unknown[0]), field="tickets"
            )
        chosen = {
            seat_id: choices.get(seat_id, line.ticket_type) for seat_id, line in lines.items()
        }
        for code in chosen.values():
            if prices.type_named(code) is None:
                raise InvalidRequest(
                    _not_sold(code, hold.show)
                    if CODE.match(code)
                    else _("that is not a ticket type"),
                    field="tickets",
                )
        _check_carers(chosen, lines, prices)
        receipt, total = [], Decimal(0)
        for seat in hold.seats:
            ticket_type = prices.type_named(chosen[seat["id"]])
            price = prices.price(ticket_type.code, seat["category"])
            receipt.append(
                {
                    **seat,
                    "ticket_type": ticket_type.code,
                    "type_name": ticket_type.name,
                    "price": str(price.amount),
                    "fee": str(price.fee),
                }
            )
            total += price.amount
        hold.seats, hold.total = receipt, total
        hold.save(update_fields=["seats", "total"])
    return hold


def _not_sold(code: str, show: Show) -> Promise:
    card = show.price_card
    if card.prices.filter(ticket_type__code=code, ticket_type__for_children=True).exists():
        return _("{movie} is rated {rating}, which does not admit children: no {code} tickets",
                 movie=show.movie.title, rating=show.movie.rating, code=code)
    return _("{code!r} is not a ticket type sold for this show", code=code)


def _check_carers(
    chosen: Mapping[int, str], lines: Mapping[int, TicketLine], prices: PriceList
) -> None:
    """A carer's ticket comes with a wheelchair space in the same booking: one per space, on a
    seat that is not the space itself."""
    carers = [
        seat_id
        for seat_id, code in chosen.items()
        if prices.type_named(code).needs_wheelchair_space
    ]
    if not carers:
        return
    by_category = Counter(line.category for line in lines.values())
    for seat_id in carers:
        if lines[seat_id].category == ACCESSIBLE:
            line = lines[seat_id]
            raise InvalidRequest(
                _(
                    "{row}{number} is a wheelchair space: a carer's ticket is "
                    "for the seat beside it",
                    row=line.row,
                    number=line.number,
                ),
                field="tickets",
            )
    if len(carers) > by_category[ACCESSIBLE]:
        name = prices.type_named(chosen[carers[0]]).name
        raise InvalidRequest(
            _(
                "a {name} ticket comes with a wheelchair space in the same "
                "booking: {spaces} space(s), {carers} {name} ticket(s)",
                name=name,
                spaces=by_category[ACCESSIBLE],
                carers=len(carers),
            ),
            field="tickets",
        )
