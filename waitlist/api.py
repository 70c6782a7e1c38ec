import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from booking.api import IDEMPOTENCY_KEY
from catalog.api import show_or_404
from ticketing import ratelimit
from ticketing.clients import client_id
from ticketing.errors import InvalidRequest, NotFound
from ticketing.i18n import _
from ticketing.idempotency import idempotent
from ticketing.tokens import bearer_token
from waitlist import services
from waitlist.models import WaitlistEntry
from waitlist.serializers import EntrySerializer, JoinRequestSerializer, NewEntrySerializer


def _entry(request: Request, entry_id: str) -> tuple[WaitlistEntry, str]:
    try:
        parsed = uuid.UUID(entry_id)
    except ValueError:
        raise NotFound(_("No such waiting-list entry.")) from None
    token = bearer_token(request)
    return services.get_entry(entry_id=parsed, token=token), token


@idempotent
@extend_schema(request=JoinRequestSerializer, responses={201: NewEntrySerializer},
               parameters=[IDEMPOTENCY_KEY])
@api_view(["POST"])
def join(request: Request, show_id: int) -> Response:
    """Wait for seats held by others; 409 if seats are free now, or if none could ever free up."""
    if not isinstance(request.data, dict):
        raise InvalidRequest(_("The body must be a JSON object."))
    unknown = sorted(set(request.data) - {"party_size"})
    if unknown:
        raise InvalidRequest(_("unknown field {unknown!r}", unknown=unknown[0]), field=unknown[0])
    show = show_or_404(show_id)
    ratelimit.enforce("waitlist", request)
    joined = services.join_waitlist(show=show, party_size=request.data.get("party_size"),
                                    client=client_id(request))
    data = NewEntrySerializer(joined.entry, context={"token": joined.token}).data
    return Response(data, status=201)


@extend_schema(responses=EntrySerializer, methods=["GET", "DELETE"])
@api_view(["GET", "DELETE"])
def entry_detail(request: Request, entry_id: str) -> Response:
    """The entry's state and position, and its offer when it has one. DELETE leaves the line."""
    entry, token = _entry(request, entry_id)
    if request.method == "DELETE":
        entry = services.leave_waitlist(entry=entry)
    return Response(EntrySerializer(entry, context={"token": token}).data)
