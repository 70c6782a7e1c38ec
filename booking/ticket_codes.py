"""The code a ticket's QR carries: the booking reference, signed (HMAC with the site's secret
key), so a door can tell a forged or altered code at once, and nobody can make a valid code
for a booking by guessing its reference."""

import re

import segno
from django.core import signing

SALT = "reel-seats.ticket-code"
# What staff may type when a code cannot be scanned: a reference alone (8 of the 30
# letters and digits references use), checked against the booking like a scanned code.
TYPED_REFERENCE = re.compile(r"[A-Z2-9]{6,16}")


class InvalidTicketCode(Exception):
    """Not a ticket of ours: forged, altered, or not a code at all."""


def ticket_code(reference: str) -> str:
    return signing.Signer(salt=SALT).sign(reference)


def ticket_qr_svg(reference: str) -> str:
    """The ticket's QR code (its signed code) as inline SVG."""
    return segno.make(ticket_code(reference), error="m").svg_inline(border=2, omitsize=True)


def reference_from(text: str, *, typed: bool = False) -> str:
    """The booking reference in a scanned code, its signature checked; or, ``typed`` by staff
    reading it off a ticket whose code will not scan, the reference alone."""
    text = (text or "").strip()
    if typed:
        reference = text.upper().replace(" ", "").replace("-", "")
        if TYPED_REFERENCE.fullmatch(reference):
            return reference
        raise InvalidTicketCode("not a booking reference")
    try:
        return signing.Signer(salt=SALT).unsign(text)
    except signing.BadSignature:
        raise InvalidTicketCode("the code's signature does not match: forged or altered") \
            from None
