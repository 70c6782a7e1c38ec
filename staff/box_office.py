"""The box office: staff sell seats at the counter on the same seat map, through the same hold
and booking services as the site (so the counter can never sell a seat held or booked online,
and does not jump the waiting list). Needs the sell role at the show's cinema."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from booking import checkout, holds, payment_details, ticket_types
from booking import house_seats as house
from booking.inventory import seat_map, seat_map_drawing
from booking.models import Booking
from booking.payment_details import Customer
from booking.ticket_codes import ticket_qr_svg
from catalog.models import Show
from catalog.pricing import price_list
from catalog.templatetags.catalog_tags import STATE_SYMBOLS
from staff.permissions import cinemas_for, show_for
from ticketing.errors import DomainError, InvalidRequest

SOLD = "box-office-sold"  # the bookings this staff session sold, to show their tickets


@require_GET
@staff_member_required
def box_office_home(request: HttpRequest) -> HttpResponse:
    shows = (Show.objects.on_sale().filter(hall__cinema__in=cinemas_for(request.user, "sell"))
             .select_related("movie", "hall__cinema").order_by("starts_at")[:200])
    return render(request, "staff/box_office_home.html", {"shows": shows})


@require_http_methods(["GET", "POST"])
@staff_member_required
def box_office_show(request: HttpRequest, show_id: int) -> HttpResponse:
    show = show_for(request.user, "sell", show_id)
    form = {key: request.POST.get(key, "") for key in ("name", "email", "method")}
    form["counts"] = {name.removeprefix("count-"): value for name, value in request.POST.items()
                      if name.startswith("count-")}
    action = request.POST.get("action", "")
    if request.method == "POST" and action in ("house", "return"):
        try:
            _house_seats(request, show)
        except DomainError as exc:
            return _render(request, show, form=form, error=exc, status=exc.status)
        return redirect("box-office-show", show_id=show.pk)
    if request.method == "POST":
        try:
            if action != "sell":
                raise InvalidRequest("Choose Sell seats, or Take out of sale.")
            if request.POST.get("reason", "").strip():
                # Enter in the reason field submits the form's first button, Sell seats.
                raise InvalidRequest("You gave a reason to take seats out of sale: press Take "
                                     "out of sale, or clear the reason to sell the seats.")
            booking = _sell(request, show, form)
        except DomainError as exc:
            return _render(request, show, form=form, error=exc, status=exc.status)
        request.session.setdefault(SOLD, []).append(booking.reference)
        request.session.modified = True
        return redirect("box-office-ticket", reference=booking.reference)
    return _render(request, show, form=form)


def _seat_ids(request: HttpRequest) -> list[int]:
    try:
        seat_ids = [int(value) for value in request.POST.getlist("seat")]
    except ValueError:
        raise InvalidRequest("Choose seats on the map.") from None
    if not seat_ids:
        raise InvalidRequest("Choose at least one seat on the map.")
    if not all(0 < seat_id < 2**31 for seat_id in seat_ids):
        raise InvalidRequest("Choose seats on the map.")
    return holds.validate_seat_ids(seat_ids)


def _house_seats(request: HttpRequest, show: Show) -> None:
    """Take the chosen seats out of sale (with the reason), or put one back."""
    actor = request.user.get_username()
    if request.POST["action"] == "house":
        house.take_out_of_sale(show=show, seat_ids=_seat_ids(request),
                               reason=request.POST.get("reason", ""), actor=actor)
    else:
        house.return_to_sale(show=show, seat_ids=_seat_ids(request), actor=actor)


def _sell(request: HttpRequest, show: Show, form: dict) -> Booking:
    seat_ids = _seat_ids(request)
    customer = _customer(form)
    actor = request.user.get_username()
    # The counter's hold waits in the same line as everyone's (ticketing.line).
    counts = _ticket_counts(request)  # before holding: a bad count holds nothing
    new = holds.hold_seats(show=show, seat_ids=seat_ids, client=f"box office {actor}"[:64],
                           at_counter=True)
    try:
        hold = new.hold
        prices = price_list(show)
        if prices is not None and counts:
            lines = ticket_types.ticket_lines(hold=hold, prices=prices)
            choices = ticket_types.choices_by_count(lines=lines, prices=prices, counts=counts)
            hold = ticket_types.choose_ticket_types(hold=hold, choices=choices)
        sold = checkout.sell_at_counter(hold=hold, hold_token=new.token, customer=customer,
                                        method=form["method"], actor=actor)
    except DomainError:
        holds.release_hold(hold=new.hold)  # nothing sold: the seats go straight back
        raise
    return sold.booking


def _ticket_counts(request: HttpRequest) -> dict[str, int]:
    """``count-<type code>`` fields: how many tickets of each type (blank is none)."""
    counts = {}
    for name, value in request.POST.items():
        if name.startswith("count-") and value.strip():
            if not (value.strip().isascii() and value.strip().isdigit()):
                raise InvalidRequest("Ticket counts are whole numbers.", field="tickets")
            counts[name.removeprefix("count-")] = int(value)
    return counts


def _customer(form: dict) -> Customer:
    """A name is needed for the booking; an email only if the customer wants the tickets."""
    if "\x00" in form["name"] + form["email"]:
        raise InvalidRequest("Some details need fixing.", errors={"customer.name": "invalid"})
    body = {"customer": {"name": form["name"] or "Box office",
                         "email": form["email"] or "box-office@invalid.example"}}
    errors = {key: value for key, value in payment_details.checkout_errors(
        {**body, "payment": {}}).items() if key.startswith("customer")}
    if errors:
        raise InvalidRequest("Some details need fixing.", errors=errors)
    return Customer(name=body["customer"]["name"].strip(), email=form["email"].strip())


def _render(request: HttpRequest, show: Show, *, form: dict, error: DomainError | None = None,
            status: int = 200) -> HttpResponse:
    snapshot = seat_map(show, timezone.now())
    prices = price_list(show)
    context = {"show": show, "cinema": show.hall.cinema, "form": form, "error": error,
               "ticket_types": prices.types if prices else [],
               "methods": checkout.COUNTER_METHODS, "seat_symbols": STATE_SYMBOLS,
               "max_seats": settings.MAX_SEATS_PER_HOLD,
               "house_seats": house.house_seats_of(show),
               **seat_map_drawing(snapshot, disabled=False)}
    return render(request, "staff/box_office.html", context, status=status)


@require_GET
@staff_member_required
def box_office_ticket(request: HttpRequest, reference: str) -> HttpResponse:
    if reference not in request.session.get(SOLD, []):
        raise Http404("Not a sale of this box office session")
    booking = Booking.objects.select_related("show__movie", "show__hall__cinema").get(
        reference=reference)
    tickets = booking.tickets.select_related("seat")
    return render(request, "staff/box_office_ticket.html", {
        "booking": booking, "show": booking.show, "cinema": booking.show.hall.cinema,
        "tickets": tickets, "qr": mark_safe(ticket_qr_svg(reference)),  # noqa: S308 - segno SVG
        "paid_by": checkout.COUNTER_METHODS.get(booking.payments.filter(
            status="captured").values_list("card_brand", flat=True).first() or "")})
