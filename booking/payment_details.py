"""The customer's and the card's details of a checkout: validated by field, every problem at
once, with one length limit per field (the column's), so the form, the API and the database
agree. The checkout form's inline validation uses the same rules."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from booking.models import Booking
from booking.payments import Card, luhn_valid
from ticketing.errors import InvalidRequest
from ticketing.i18n import _

# One limit for an email address, the column's (RFC 5321's 254): the form, the API and the
# database agree, so an address that passes validation always fits.
EMAIL_MAX_LENGTH = Booking._meta.get_field("customer_email").max_length
NAME_MAX_LENGTH = Booking._meta.get_field("customer_name").max_length


@dataclass(frozen=True)
class Customer:
    name: str
    email: str


def parse_checkout(data: object) -> tuple[Customer, Card]:
    """Validate a checkout body; every problem is reported at once, by field."""
    if not isinstance(data, dict):
        raise InvalidRequest(_("the body must be a JSON object with customer and payment"))
    errors = checkout_errors(data)
    if errors:
        raise InvalidRequest(_("Some details need fixing."), errors=errors)
    customer, payment = data["customer"], data["payment"]
    card = Card(number=re.sub(r"[ -]", "", payment["card_number"]),
                exp_month=payment["exp_month"], exp_year=payment["exp_year"],
                cvc=payment["cvc"])
    return Customer(name=customer["name"].strip(), email=customer["email"].strip()), card


CARD_FIELDS = ("card_number", "exp_month", "exp_year", "cvc")
PAYMENT_METHOD_ID = re.compile(r"(pm|card|src)_[A-Za-z0-9_]{1,200}")


def parse_provider_checkout(data: object) -> tuple[Customer, str | None]:
    """Validate a checkout body for a provider-confirmed gateway (Stripe): the customer, and
    optionally ``payment.payment_method``, the id Stripe.js gave for the card. Card details
    themselves are refused: they go to the provider, never to us."""
    if not isinstance(data, dict):
        raise InvalidRequest(_("the body must be a JSON object with customer (and optionally "
                               "payment.payment_method)"))
    errors = _customer_errors(data.get("customer"))
    payment = data.get("payment", {})
    method = None
    if not isinstance(payment, dict):
        errors["payment"] = _("an object with payment_method, or leave it out")
    elif any(field in payment for field in CARD_FIELDS):
        errors["payment"] = (_("card details must not be sent here: give them to Stripe.js "
                               "and send the payment_method id it returns"))
    else:
        unknown = sorted(set(payment) - {"payment_method"})
        method = payment.get("payment_method")
        if unknown:
            errors[f"payment.{unknown[0]}"] = _("unknown field")
        elif method is not None and (not isinstance(method, str)
                                     or not PAYMENT_METHOD_ID.fullmatch(method)):
            errors["payment.payment_method"] = _("a Stripe payment method id, such as pm_...")
    if errors:
        raise InvalidRequest(_("Some details need fixing."), errors=errors)
    customer = data["customer"]
    return Customer(name=customer["name"].strip(), email=customer["email"].strip()), method


def checkout_errors(data: dict) -> dict[str, str]:
    """What is wrong with a checkout body, by field (empty when it is fine)."""
    errors = _customer_errors(data.get("customer"))
    payment = data.get("payment")
    if not isinstance(payment, dict):
        errors["payment"] = _("an object with card_number, exp_month, exp_year and cvc is "
                              "required")
        payment = {}
    return errors | _card_errors(payment)


def _customer_errors(customer: object) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(customer, dict):
        errors["customer"] = _("an object with name and email is required")
        customer = {}
    name = customer.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX_LENGTH:
        errors["customer.name"] = (_("enter the name for the booking (up to {NAME_MAX_LENGTH} "
                                     "characters)", NAME_MAX_LENGTH=NAME_MAX_LENGTH))
    email = customer.get("email")
    try:
        if not isinstance(email, str):
            raise ValidationError("not a string")
        validate_email(email.strip())
    except ValidationError:
        errors["customer.email"] = _("enter a valid email address; the tickets are sent there")
    else:
        if len(email.strip()) > EMAIL_MAX_LENGTH:
            errors["customer.email"] = (_("an email address is at most {EMAIL_MAX_LENGTH} "
                                          "characters; enter a shorter one",
                                          EMAIL_MAX_LENGTH=EMAIL_MAX_LENGTH))
    return errors


def _card_errors(payment: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    number = payment.get("card_number")
    digits = re.sub(r"[ -]", "", number) if isinstance(number, str) else ""
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
        errors["payment.card_number"] = _("enter a valid card number")
    month, year = payment.get("exp_month"), payment.get("exp_year")
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        errors["payment.exp_month"] = _("enter the expiry month, 1 to 12")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["payment.exp_year"] = _("enter the expiry year, e.g. 2030")
    cvc = payment.get("cvc")
    if not isinstance(cvc, str) or not cvc.isdigit() or len(cvc) not in (3, 4):
        errors["payment.cvc"] = _("enter the 3 or 4 digit security code")
    if "payment.exp_month" not in errors and "payment.exp_year" not in errors:
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            errors["payment.exp_year"] = _("this card has expired")
    return errors
