"""The waiting room and the fairness report in the public API (thin: waitingroom.services and
waitingroom.fairness hold the rules)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api import show_or_404
from catalog.models import Show
from ticketing import chain, ratelimit
from ticketing.clients import client_id
from ticketing.errors import InvalidRequest, NotFound
from ticketing.i18n import _
from ticketing.tokens import bearer_token
from waitingroom import fairness, services
from waitingroom.serializers import JoinedSerializer, RoomSerializer, VisitorSerializer

LOG_PAGE = 1000


@extend_schema(responses={200: RoomSerializer}, methods=["GET"])
@extend_schema(request=None, responses={200: JoinedSerializer, 201: JoinedSerializer},
               methods=["POST"])
@api_view(["GET", "POST"])
def room(request: Request, show_id: int) -> Response:
    """GET: the show's waiting room (its state, the commitment, after opening the seed).
    POST: take a place (201 with your receipt and token; sent with that token as
    ``Authorization: Bearer``, 200 with the same place). Once let in, the same token holds
    seats: ``POST /api/v1/shows/{id}/holds`` with it as the bearer token."""
    if request.method == "GET":
        show = show_or_404(show_id)
        services.get_room(show)
        # The opening and admissions are judged at read time too.
        services.admit(show_id=show.pk, on_read=True)
        return Response(RoomSerializer(services.summary(services.get_room(show))).data)
    # Just what joining reads of the show (thousands join in the minute before an opening).
    show = Show.objects.only("id", "waiting_room").filter(pk=show_id).first()
    if show is None:
        raise NotFound(_("No show with id {show_id}.", show_id=show_id))
    if request.body and request.data:
        raise InvalidRequest(_("Send no body to take a place."))
    ratelimit.enforce("room", request)
    joined = services.join_room(show=show, client=client_id(request),
                                token=bearer_token(request))
    data = {**VisitorSerializer(services.status(joined.visitor)).data, "token": joined.token}
    return Response(data, status=201 if joined.new else 200)


@extend_schema(responses=VisitorSerializer, methods=["GET", "DELETE"])
@api_view(["GET", "DELETE"])
def visitor(request: Request, public_id: str) -> Response:
    """Your place (send your room token as ``Authorization: Bearer``): the receipt, people
    ahead, the estimated wait, and ``your_turn`` with the pass's end once you are let in.
    DELETE gives up the place (or the pass)."""
    found = services.get_visitor(public_id=public_id, token=bearer_token(request))
    if request.method == "DELETE":
        services.leave_room(visitor=found)
    else:
        services.admit(show_id=found.room_id, on_read=True)
    found = services.get_visitor(public_id=public_id, token=bearer_token(request))
    return Response(VisitorSerializer(services.status(found)).data)


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def fairness_report(request: Request, show_id: int) -> Response:
    """The show's fairness report: the commitment and seed, the log's head hash, counts, and
    the check of the whole log (every admission by place, every waiting-list offer by number)."""
    return Response(fairness.published_report(show_or_404(show_id)))


@extend_schema(responses={200: OpenApiTypes.OBJECT}, parameters=[
    OpenApiParameter("after", int, description="records after this number (default 0)")])
@api_view(["GET"])
def fairness_log(request: Request, show_id: int) -> Response:
    """The show's log, in order, up to 1000 records a page (``next``: the following page)."""
    show = show_or_404(show_id)
    raw = request.query_params.get("after", "0")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise InvalidRequest(_("after must be a record number"), field="after")
    after = int(raw)
    records = chain.published(chain.show_stream(show.pk), after=after, limit=LOG_PAGE)
    more = len(records) == LOG_PAGE
    next_page = (f"/api/v1/shows/{show.pk}/fairness/log?after={records[-1]['seq']}"
                 if more else None)
    return Response({"records": records, "next": next_page})
