"""The browser's tokens live in its server-side session, never in a URL or a page. Each is
added under ``ticketing.sessions.locked_session``, so two tabs never lose one."""

from django.http import HttpRequest
from django.utils import timezone

from booking.holds import NewHold
from booking.models import Hold
from catalog.models import Show
from ticketing.sessions import locked_session
from ticketing.tokens import token_matches
from waitingroom.consumers import SESSION_KEY
from waitingroom.models import Visitor
from waitlist.models import WaitlistEntry

HOLDS = "holds"  # {hold id: hold token}
BOOKINGS = "bookings"  # {reference: booking token}
WAITLIST = "waitlist"  # {entry id: entry token}; an entry's offer is a hold owned by that token
ROOM = SESSION_KEY  # {public id: room token}: places in waiting rooms, and passes once let in
KEEP = 20  # remember this many of each, newest last


def _remember(request: HttpRequest, key: str, name: str, token: str) -> None:
    with locked_session(request):
        tokens = dict(request.session.get(key, {}))
        tokens.pop(name, None)
        tokens[name] = token
        request.session[key] = dict(list(tokens.items())[-KEEP:])


def remember_hold(request: HttpRequest, new: NewHold) -> None:
    _remember(request, HOLDS, str(new.hold.pk), new.token)


def remember_booking(request: HttpRequest, reference: str, token: str) -> None:
    _remember(request, BOOKINGS, reference, token)


def remember_entry(request: HttpRequest, entry_id: object, token: str) -> None:
    _remember(request, WAITLIST, str(entry_id), token)


def entry_token(request: HttpRequest, entry_id: object) -> str | None:
    return request.session.get(WAITLIST, {}).get(str(entry_id))


def hold_token(request: HttpRequest, hold_id: object) -> str | None:
    """The token of one of this browser's holds: its own, or a waiting-list offer."""
    token = request.session.get(HOLDS, {}).get(str(hold_id))
    if token is not None:
        return token
    hold = Hold.objects.filter(pk=hold_id).only("token_hash").first()
    if hold is None:
        return None
    for candidate in request.session.get(WAITLIST, {}).values():
        if token_matches(candidate, hold.token_hash):
            return candidate
    return None


def booking_token(request: HttpRequest, reference: str) -> str | None:
    return request.session.get(BOOKINGS, {}).get(reference)


def active_entry_for_show(request: HttpRequest, show: Show):
    """This browser's waiting-list entry for the show that is still waiting or offered."""
    tokens = request.session.get(WAITLIST) if WAITLIST in request.session else None
    if not tokens:
        return None
    candidates = (WaitlistEntry.objects.filter(pk__in=list(tokens), show=show,
                                               state__in=["waiting", "offered"])
                  .select_related("offer").order_by("-number"))
    for entry in candidates:
        if token_matches(tokens.get(str(entry.pk)), entry.token_hash):
            return entry
    return None


def active_hold_for_show(request: HttpRequest, show: Show) -> Hold | None:
    """The browser's live hold for this show, if any: at most one per show per browser."""
    tokens = request.session.get(HOLDS) if HOLDS in request.session else None
    if not tokens:
        return None
    candidates = Hold.objects.filter(pk__in=list(tokens), show=show, state=Hold.State.ACTIVE,
                                     expires_at__gt=timezone.now()).order_by("-created_at")
    for hold in candidates:
        if token_matches(tokens.get(str(hold.pk)), hold.token_hash):
            return hold
    return None


def remember_visitor(request: HttpRequest, public_id: str, token: str) -> None:
    _remember(request, ROOM, public_id, token)


def room_visitor(request: HttpRequest, show: Show) -> tuple[Visitor, str] | None:
    """This browser's place in the show's waiting room (the newest), and its token."""
    tokens = request.session.get(ROOM) if ROOM in request.session else None
    if not tokens:
        return None
    candidates = (Visitor.objects.filter(public_id__in=list(tokens), room_id=show.pk)
                  .select_related("room__show").order_by("-joined_at"))
    for visitor in candidates:
        if token_matches(tokens.get(visitor.public_id), visitor.token_hash):
            return visitor, tokens[visitor.public_id]
    return None


def room_token(request: HttpRequest, show: Show) -> str | None:
    """The token that opens this browser's pass for the show, if it has a place."""
    if not show.waiting_room:
        return None
    found = room_visitor(request, show)
    return found[1] if found else None
