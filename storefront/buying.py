"""The browser's booking pages: hold, pay, see the ticket. Thin: they call booking."""

import re
import uuid
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from booking import bookings, checkout, holds, payment_details, ticket_types
from booking.calendar import booking_calendar
from booking.emails import email_booking_confirmation
from booking.models import Booking, Hold
from booking.ticket_codes import ticket_qr_svg
from catalog import queries
from catalog.models import Show
from catalog.pricing import price_list
from storefront.browse import render_show_page
from storefront.session import (
    active_hold_for_show,
    booking_token,
    hold_token,
    remember_booking,
    remember_hold,
    room_token,
)
from ticketing import ratelimit
from ticketing.clients import client_id
from ticketing.errors import DomainError, InvalidRequest, NotFound, RateLimited
from ticketing.i18n import _
from ticketing.sessions import locked_session
from ticketing.tasks import enqueue

CHECKOUT_FIELDS = {"customer.name": "name", "customer.email": "email",
                   "payment.card_number": "card_number", "payment.exp_month": "expiry",
                   "payment.exp_year": "expiry", "payment.cvc": "cvc",
                   "payment.payment_method": "card", "payment": "card"}


def with_retry_after(response: HttpResponse, error: DomainError) -> HttpResponse:
    if "retry_after" in error.extra:
        response["Retry-After"] = str(error.extra["retry_after"])
    return response


def _int_list(values: list[str]) -> list[int]:
    try:
        return [int(value) for value in values]
    except ValueError:
        raise InvalidRequest(_("Choose seats on the map.")) from None


@require_POST
def hold_seats(request: HttpRequest, show_id: int) -> HttpResponse:
    """Hold the selected seats (or the best N), replacing this browser's hold for the show."""
    show = queries.get_show(show_id)
    client = client_id(request)
    # One hold request per browser session at a time: a second tab then replaces the hold the
    # first one just made, instead of both replacing the same old one.
    with locked_session(request):
        current = active_hold_for_show(request, show)
        try:
            ratelimit.enforce("holds", request)
            if request.POST.get("count"):
                count = _int_list([request.POST["count"]])[0]
                new = holds.hold_best_available(
                    show=show, count=count, category=request.POST.get("category") or None,
                    replacing=current, client=client, room_token=room_token(request, show))
            else:
                seat_ids = _int_list(request.POST.getlist("seat"))
                if not seat_ids:
                    raise InvalidRequest(_("Choose at least one seat on the map first."))
                new = holds.hold_seats(show=show, seat_ids=seat_ids, replacing=current,
                                          client=client, room_token=room_token(request, show))
        except DomainError as exc:
            if exc.code == "queue_required":  # not let in (yet): to the waiting room
                return redirect("room-page", show_id=show.pk)
            return with_retry_after(
                render_show_page(request, show, error=exc, status=exc.status), exc)
        remember_hold(request, new)
    return redirect("hold-page", hold_id=new.hold.pk)


def _my_hold(request: HttpRequest, hold_id: uuid.UUID) -> Hold:
    try:
        return holds.get_hold(hold_id=hold_id, token=hold_token(request, hold_id))
    except NotFound:
        raise Http404("No such hold") from None


@require_GET
def hold_page(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    hold = _my_hold(request, hold_id)
    if hold.state == Hold.State.CONFIRMED:
        booking = Booking.objects.filter(hold=hold).first()
        if booking and booking_token(request, booking.reference):
            return redirect("booking-page", reference=booking.reference)
    return _render_hold(request, hold)


def _render_hold(request: HttpRequest, hold: Hold, *, error: DomainError | None = None,
                 form: dict | None = None, status: int = 200,
                 awaiting: checkout.AwaitingCustomer | None = None) -> HttpResponse:
    show = queries.get_show(hold.show_id)
    field_errors = {}
    if error is not None and "errors" in error.extra:
        for key, message in error.extra["errors"].items():
            field_errors.setdefault(CHECKOUT_FIELDS.get(key, key), message)
    now = timezone.now()
    left = max(0, int((hold.expires_at - now).total_seconds())) if hold.is_live(now) else 0
    context = {
        **_tickets_context(hold, show, now),
        "hold": hold, "show": show, "cinema": show.hall.cinema,
        "state": hold.effective_state(now), "error": error, "field_errors": field_errors,
        # A fresh key per rendered form: a double-clicked Pay charges once.
        "form": form or {}, "attempt": uuid.uuid4().hex, "server_now": now,
        "clock": f"{left // 60}:{left % 60:02d}",
        "email_max_length": payment_details.EMAIL_MAX_LENGTH,
        "name_max_length": payment_details.NAME_MAX_LENGTH,
        # With Stripe the card fields are Stripe.js's own; the page posts only the payment
        # method's id, and completes a 3-D Secure challenge with the awaiting payment's secret.
        "stripe": checkout.browser_settings() if checkout.provider_confirms() else None,
        "awaiting": awaiting,
    }
    return render(request, "booking/hold.html", context, status=status)


def _tickets_context(hold: Hold, show: Show, now: datetime) -> dict:
    """The hold's seats as tickets, with the types each may be changed to while it is live."""
    prices = price_list(show)
    lines = ticket_types.ticket_lines(hold=hold, prices=prices)
    choosing = prices is not None and hold.state == Hold.State.ACTIVE and hold.is_live(now)
    if choosing:
        options = ticket_types.ticket_options(lines=lines, prices=prices)
        lines = [{**asdict(line), "options": [
            {"code": o.ticket_type.code, "name": o.ticket_type.name, "amount": o.amount}
            for o in options[line.seat_id]]} for line in lines]
    fee_total = sum((line["fee"] if choosing else line.fee for line in lines), Decimal(0))
    fees = {"each": prices.fee, "total": fee_total} if prices and prices.fee else None
    return {"lines": lines, "prices": prices, "choosing": choosing, "fees": fees}


@require_POST
def choose_tickets(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    """The hold page's ticket types: with htmx the table and total are swapped in place."""
    hold = _my_hold(request, hold_id)
    choices = {int(name[5:]): code for name, code in request.POST.items()
               if name.startswith("type-") and name[5:].isascii() and name[5:].isdigit()}
    try:
        hold = ticket_types.choose_ticket_types(hold=hold, choices=choices)
    except DomainError as exc:
        hold.refresh_from_db()
        if not request.htmx:
            return _render_hold(request, hold, error=exc, status=exc.status)
        error, status = exc, exc.status
    else:
        if not request.htmx:
            return redirect("hold-page", hold_id=hold.pk)
        error, status = None, 200
    show = queries.get_show(hold.show_id)
    context = {**_tickets_context(hold, show, timezone.now()), "hold": hold,
               "ticket_error": error, "oob": True}
    return render(request, "booking/_tickets.html", context, status=status)


@require_POST
def release(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    hold = _my_hold(request, hold_id)
    try:
        holds.release_hold(hold=hold)
    except DomainError as exc:
        return _render_hold(request, hold, error=exc, status=exc.status)
    return redirect("show-detail", show_id=hold.show_id)


def _expiry(text: str) -> tuple[object, object]:
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", text or "")
    if not match:
        return None, None
    month, year = int(match[1]), int(match[2])
    return month, year + 2000 if year < 100 else year


def _checkout_body(request: HttpRequest) -> tuple[dict, dict]:
    """The checkout form as the API's body (and what to put back in the form)."""
    form = {key: request.POST.get(key, "") for key in ("name", "email", "card_number", "expiry")}
    month, year = _expiry(form["expiry"])
    body = {"customer": {"name": form["name"], "email": form["email"]},
            "payment": {"card_number": form["card_number"], "exp_month": month,
                        "exp_year": year, "cvc": request.POST.get("cvc", "")}}
    return body, form


@require_POST
def validate_field(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    """Inline validation (htmx): the error for one field of the checkout form, or nothing."""
    _my_hold(request, hold_id)
    field = request.POST.get("field", "")
    if field not in set(CHECKOUT_FIELDS.values()):
        raise Http404("No such field")
    body, _form = _checkout_body(request)
    errors = {CHECKOUT_FIELDS[k]: v for k, v in payment_details.checkout_errors(body).items()
              if k in CHECKOUT_FIELDS}
    return render(request, "booking/_field_error.html",
                  {"field": field, "message": errors.get(field, "")})


@require_POST
def pay(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    hold = _my_hold(request, hold_id)
    body, form = _checkout_body(request)
    token = hold_token(request, hold_id)
    attempt = request.POST.get("attempt") or None
    try:
        ratelimit.enforce("checkout", request)
        shown = _shown_total(request)
        if checkout.provider_confirms():
            if any(request.POST.get(field) for field in ("card_number", "expiry", "cvc")):
                raise InvalidRequest(_("Card details go to Stripe, never to this site."),
                                     errors={"payment": _("card details must not be sent here")})
            method = request.POST.get("payment_method", "")
            customer, method = payment_details.parse_provider_checkout(
                {"customer": body["customer"], "payment": {"payment_method": method or None}})
            if method is None:
                raise InvalidRequest(_("Enter your card details."),
                                     errors={"payment.payment_method": _("enter your card")})
            outcome = checkout.pay_at_provider(hold=hold, hold_token=token, customer=customer,
                                               payment_method=method, idempotency_key=attempt,
                                               expected_total=shown)
        else:
            customer, card = payment_details.parse_checkout(body)
            outcome = checkout.confirm_checkout(hold=hold, hold_token=token, customer=customer,
                                                card=card, idempotency_key=attempt,
                                                expected_total=shown)
    except DomainError as exc:
        hold.refresh_from_db()
        return with_retry_after(
            _render_hold(request, hold, error=exc, form=form, status=exc.status), exc)
    return _after_payment(request, hold, outcome, form=form)


def _shown_total(request: HttpRequest) -> Decimal | None:
    """The total the pay form showed: checkout charges it or nothing."""
    raw = request.POST.get("total", "")
    if not raw:
        return None
    try:
        total = Decimal(raw)
    except InvalidOperation:
        total = None
    if total is None or not total.is_finite():
        raise InvalidRequest(_("The form's total is not an amount; reload the page."))
    return total


@require_POST
def pay_return(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    """Back from Stripe.js (a 3-D Secure challenge done, failed or still processing): settle
    from Stripe's own state. Stripe's webhook may have made the booking already: same answer."""
    hold = _my_hold(request, hold_id)
    try:
        ratelimit.enforce("payment_status", request)
        outcome = checkout.settle_payment(hold=hold, hold_token=hold_token(request, hold_id))
    except DomainError as exc:
        hold.refresh_from_db()
        return with_retry_after(_render_hold(request, hold, error=exc, status=exc.status), exc)
    return _after_payment(request, hold, outcome)


def _after_payment(request: HttpRequest, hold: Hold,
                   outcome: checkout.Confirmed | checkout.AwaitingCustomer, *,
                   form: dict | None = None) -> HttpResponse:
    if isinstance(outcome, checkout.AwaitingCustomer):
        hold.refresh_from_db()
        return _render_hold(request, hold, form=form, awaiting=outcome)
    remember_booking(request, outcome.booking.reference, outcome.token)
    return redirect("booking-page", reference=outcome.booking.reference)


def _my_booking(request: HttpRequest, reference: str) -> Booking:
    try:
        return bookings.get_booking(reference=reference,
                                    token=booking_token(request, reference))
    except NotFound:
        raise Http404("No such booking") from None


@require_GET
def booking_page(request: HttpRequest, reference: str) -> HttpResponse:
    booking = _my_booking(request, reference)
    return _render_booking(request, booking)


def _render_booking(request: HttpRequest, booking: Booking, *,
                    error: DomainError | None = None, status: int = 200) -> HttpResponse:
    # The code is signed: a door can tell a forged or altered one (booking.ticket_codes).
    qr = ticket_qr_svg(booking.reference)
    tickets = list(booking.tickets.select_related("seat"))
    cancelled = booking.state == Booking.State.CANCELLED
    context = {"booking": booking, "show": booking.show, "cinema": booking.show.hall.cinema,
               "tickets": tickets, "qr": mark_safe(qr), "error": error,  # noqa: S308 - segno SVG
               "refund_route": booking.refund_route() if cancelled else None,
               "fees": sum(t.fee for t in tickets)}
    return render(request, "booking/booking.html", context, status=status)


@require_GET
def calendar_file(request: HttpRequest, reference: str) -> HttpResponse:
    """The booking as an iCalendar file: "Add to calendar"."""
    booking = _my_booking(request, reference)
    response = HttpResponse(booking_calendar(booking), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    return response


@require_POST
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    booking = _my_booking(request, reference)
    try:
        booking = bookings.cancel_booking(booking=booking)
    except DomainError as exc:
        return _render_booking(request, booking, error=exc, status=exc.status)
    return redirect("booking-page", reference=booking.reference)


def open_booking(request: HttpRequest) -> HttpResponse:
    """The emailed link lands here; its token is in the URL fragment, which the page's script
    posts (browsers never send fragments to servers, so tokens stay out of URLs and logs)."""
    if request.method == "POST":
        reference = request.POST.get("reference", "").strip().upper()
        token = request.POST.get("token", "").strip()
        try:
            bookings.get_booking(reference=reference, token=token)
        except NotFound:
            return render(request, "booking/open.html", {"failed": True}, status=404)
        remember_booking(request, reference, token)
        return redirect("booking-page", reference=reference)
    return render(request, "booking/open.html", {})


def find_booking(request: HttpRequest) -> HttpResponse:
    """Lost the email? Give the reference and the email address and we send the link again.
    The answer is the same whether or not they match, so nothing can be fished out."""
    if request.method != "POST":
        return render(request, "booking/find.html", {"sent": False})
    try:
        ratelimit.enforce("find_booking", request)
    except DomainError as exc:
        return with_retry_after(render(request, "booking/find.html", {"error": exc},
                                       status=exc.status), exc)
    reference = request.POST.get("reference", "").strip().upper()
    email = request.POST.get("email", "").strip()
    booking = Booking.objects.filter(reference=reference, customer_email__iexact=email).first()
    if booking is not None and reference and email:
        try:
            # Per booking too, whoever asks: nobody can flood a customer's inbox. Past the
            # limit nothing is sent, and the answer stays the same (it reveals nothing).
            ratelimit.hit("booking_email", booking.reference)
            enqueue(email_booking_confirmation, booking.pk)
        except RateLimited:
            pass
    return render(request, "booking/find.html", {"sent": True})
