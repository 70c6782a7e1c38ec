"""JSON endpoints for seat maps, holds, checkout and bookings. Thin: parse, call a service,
answer."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import bookings, checkout, holds, payment_details, ticket_types
from booking.inventory import SeatMap, seat_map
from booking.models import Booking, Hold
from booking.serializers import (
    BookingSerializer,
    CheckoutRequestSerializer,
    HoldRequestSerializer,
    HoldSerializer,
    NewBookingSerializer,
    NewHoldSerializer,
    PaymentActionSerializer,
    SeatMapSerializer,
    TicketChoicesSerializer,
)
from catalog.models import Show
from ticketing import ratelimit
from ticketing.arrival import arrived_at
from ticketing.cache import Recent
from ticketing.clients import client_id
from ticketing.errors import InvalidRequest, NotFound
from ticketing.i18n import _
from ticketing.idempotency import idempotent
from ticketing.representation import represent
from ticketing.tokens import bearer_token

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER,
    description="A secret only you know, of at least 128 random bits: a random UUID (version "
    "4) or 22 to 100 random URL-safe base64 characters; anything else is 400. Retries with the "
    "same key and request replay the first final answer (24 hours); the same key with another "
    "request is 422; while the first is running, 409 with Retry-After.")


def show_for_seats_or_404(show_id: int) -> Show:
    """The show, read lean (``ShowQuerySet.for_seats``), for holds and the seat map."""
    show = Show.objects.for_seats().filter(pk=show_id).first()
    if show is None:
        raise NotFound(_("No show with id {show_id}.", show_id=show_id))
    return show



class ShowSeatMap(APIView):
    """Every seat of the show's hall with its state right now."""

    @extend_schema(responses=SeatMapSerializer)
    def get(self, request: Request, show_id: int) -> HttpResponse:
        snapshot = seat_map(show_for_seats_or_404(show_id))
        return HttpResponse(_seat_map_body(snapshot, show_id), content_type="application/json")


_seat_map_bodies = Recent(size=64)


@dataclass(frozen=True, slots=True)
class SeatMapBody:
    """A seat map's encoded answer, with what it was read at: the body does not depend on the
    prices, so the map's version and the line's state say whether it is still the answer
    (until ``valid_until``, when a hold in it runs out)."""

    version: int
    reserved: bool
    valid_until: datetime | None
    body: bytes

    def answers(self, version: int, waiting: int, now: datetime) -> bool:
        return (self.version == version and self.reserved == (waiting > 0)
                and (self.valid_until is None or now < self.valid_until))


latest_seat_maps = Recent(size=512)  # show id -> its last SeatMapBody (booking.lean_api)


def _seat_map_body(snapshot: SeatMap, show_id: int) -> bytes:
    """The hottest read, built by hand (SeatMapSerializer documents it) and encoded once per
    version of the map (and once more when a hold in it runs out: another valid_until)."""
    key = (snapshot.key, snapshot.valid_until)
    body = _seat_map_bodies.get(key)
    if body is None:
        seats = [{"id": s.id, "row": s.row, "number": s.number, "category": s.category,
                  "state": s.state, "grid_row": s.grid_row, "grid_col": s.grid_col}
                 for s in snapshot.seats]
        body = json.dumps({"show": show_id, "seats": seats}, separators=(",", ":")).encode()
        _seat_map_bodies.put(key, body)
    latest_seat_maps.put(show_id, SeatMapBody(snapshot.version, snapshot.reserved,
                                              snapshot.valid_until, body))
    return body


def _hold(request: Request, hold_id: str) -> Hold:
    try:
        parsed = uuid.UUID(hold_id)
    except ValueError:
        raise NotFound(_("No such hold.")) from None
    return holds.get_hold(hold_id=parsed, token=bearer_token(request))


def _body(request: Request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidRequest(_("The body must be a JSON object."))
    return request.data


@idempotent
@extend_schema(request=HoldRequestSerializer, responses={201: NewHoldSerializer},
               parameters=[IDEMPOTENCY_KEY])
@api_view(["POST"])
def create_hold(request: Request, show_id: int) -> Response:
    """Hold 1 to 10 seats for five minutes: all of them, or none (409 names the taken seats).

    A show with a waiting room (``waiting_room: true``) is held only with the pass its room
    gives: send the room entry's token as ``Authorization: Bearer`` (403 ``queue_required``
    without it). Before the show's ``on_sale_at``: 409 ``not_on_sale``."""
    body = _body(request)
    show = show_for_seats_or_404(show_id)
    ratelimit.enforce("holds", request)
    client = client_id(request)
    unknown = sorted(set(body) - {"seats", "count", "category"})
    if unknown:
        raise InvalidRequest(_("unknown field {unknown!r}", unknown=unknown[0]), field=unknown[0])
    if ("seats" in body) == ("count" in body):
        raise InvalidRequest(_("send either seats (a list of seat ids) or count (best "
                               "available)"))
    if "seats" in body:
        if "category" in body:
            raise InvalidRequest(_("category goes with count, not with seats"), field="category")
        new = holds.hold_seats(show=show, seat_ids=holds.validate_seat_ids(body["seats"]),
                               client=client, arrived_at=arrived_at(request),
                               room_token=bearer_token(request))
    else:
        new = holds.hold_best_available(show=show, count=body["count"],
                                           category=body.get("category"), client=client,
                                           room_token=bearer_token(request))
    return Response(represent(NewHoldSerializer, new.hold, token=new.token), status=201)


@extend_schema(responses=HoldSerializer, methods=["GET", "DELETE"])
@api_view(["GET", "DELETE"])
def hold_detail(request: Request, hold_id: str) -> Response:
    """A hold (with its token). DELETE releases it: the seats are available at once."""
    hold = _hold(request, hold_id)
    if request.method == "DELETE":
        hold = holds.release_hold(hold=hold)
    return Response(HoldSerializer(hold).data)


@extend_schema(request=TicketChoicesSerializer, responses=HoldSerializer)
@api_view(["PUT"])
def hold_tickets(request: Request, hold_id: str) -> Response:
    """Choose a ticket type per seat (codes from the show's ticket_types) and re-price the
    hold. 400 for a type the show does not sell (a child's ticket for a film its rating closes
    to children) or a carer's ticket without a wheelchair space; 409 while paying."""
    hold = _hold(request, hold_id)
    body = _body(request)
    unknown = sorted(set(body) - {"tickets"})
    if unknown:
        raise InvalidRequest(_("unknown field {unknown!r}", unknown=unknown[0]), field=unknown[0])
    choices = ticket_types.parse_choices(body.get("tickets"))
    return Response(HoldSerializer(ticket_types.choose_ticket_types(hold=hold,
                                                                    choices=choices)).data)


@idempotent
@extend_schema(request=CheckoutRequestSerializer,
               responses={201: NewBookingSerializer, 202: PaymentActionSerializer},
               parameters=[IDEMPOTENCY_KEY])
@api_view(["POST"])
def checkout_hold(request: Request, hold_id: str) -> Response:
    """Pay for a hold; it becomes a booking (201). With Stripe, 202 when the customer's part is
    due at Stripe (confirming, or 3-D Secure) with the client secret for it; the hold stays
    paying meanwhile. 402 declined, 409 already paid, 410 expired."""
    hold = _hold(request, hold_id)
    ratelimit.enforce("checkout", request)
    key = request.headers.get("Idempotency-Key") or None
    if checkout.provider_confirms():
        customer, method = payment_details.parse_provider_checkout(_body(request))
        return _payment_answer(hold, checkout.pay_at_provider(
            hold=hold, hold_token=bearer_token(request), customer=customer,
            payment_method=method, idempotency_key=key))
    customer, card = payment_details.parse_checkout(_body(request))
    confirmed = checkout.confirm_checkout(hold=hold, hold_token=bearer_token(request),
                                          customer=customer, card=card, idempotency_key=key)
    return _payment_answer(hold, confirmed)


@extend_schema(request=None,
               responses={201: NewBookingSerializer, 202: PaymentActionSerializer})
@api_view(["POST"])
def complete_checkout(request: Request, hold_id: str) -> Response:
    """With Stripe: after confirming the payment (or its 3-D Secure challenge) with the client
    secret, settle it from Stripe's state. 201 the booking (also if Stripe's webhook made it
    first), 202 still awaiting the customer or processing, 402 declined, 410 expired."""
    hold = _hold(request, hold_id)
    ratelimit.enforce("payment_status", request)
    return _payment_answer(hold, checkout.settle_payment(hold=hold,
                                                         hold_token=bearer_token(request)))


def _payment_answer(hold: Hold, outcome: checkout.Confirmed | checkout.AwaitingCustomer
                    ) -> Response:
    if isinstance(outcome, checkout.AwaitingCustomer):
        return Response({"status": "awaiting_customer", "hold": str(hold.pk),
                         "payment": checkout.customer_step(outcome)}, status=202)
    booking = _with_tickets(outcome.booking)
    return Response(NewBookingSerializer(booking, context={"token": outcome.token}).data,
                    status=201)


def _with_tickets(booking: Booking) -> Booking:
    return (Booking.objects.prefetch_related("tickets__seat")
            .get(pk=booking.pk))


@extend_schema(responses=BookingSerializer)
@api_view(["GET"])
def booking_detail(request: Request, reference: str) -> Response:
    booking = bookings.get_booking(reference=reference, token=bearer_token(request))
    return Response(BookingSerializer(_with_tickets(booking)).data)


@idempotent
@extend_schema(request=None, responses=BookingSerializer, parameters=[IDEMPOTENCY_KEY])
@api_view(["POST"])
def cancel_booking(request: Request, reference: str) -> Response:
    """Cancel before the show starts: refunded through the gateway, seats freed at once."""
    booking = bookings.get_booking(reference=reference, token=bearer_token(request))
    booking = bookings.cancel_booking(booking=booking)
    return Response(BookingSerializer(_with_tickets(booking)).data)
