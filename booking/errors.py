"""Errors only booking raises (the generic ones are in ticketing.errors)."""

from ticketing.errors import Conflict, DomainError


class PaymentDeclined(DomainError):
    status, code = 402, "payment_declined"


class SeatsUnavailable(Conflict):
    code = "seats_unavailable"


class PaymentUnavailable(DomainError):
    status, code = 503, "payment_unavailable"
