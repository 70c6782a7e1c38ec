"""The waiting room's pages: waiting (with the live countdown and place), and the show's
fairness report. Thin: waitingroom.services and waitingroom.fairness hold the rules."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from catalog import queries
from storefront.buying import with_retry_after
from storefront.session import remember_visitor, room_visitor
from ticketing import ratelimit
from ticketing.clients import client_id
from ticketing.errors import DomainError, NotFound
from ticketing.sessions import locked_session
from waitingroom import fairness, services


def _room_or_404(show):
    try:
        return services.get_room(show)
    except NotFound:
        raise Http404("This show has no waiting room") from None


@require_GET
def room_page(request: HttpRequest, show_id: int) -> HttpResponse:
    """Opening the room's page is taking a place (one per browser: the same one again on every
    visit), once the room is open; before, it says when it opens."""
    show = queries.get_show(show_id)
    room = _room_or_404(show)
    services.admit(show_id=show.pk, on_read=True)  # the opening is judged at read time too
    room.refresh_from_db()
    error = None
    with locked_session(request):
        found = room_visitor(request, show)
        if found is None and services.opens_at(room, show) <= timezone.now():
            try:
                ratelimit.enforce("room", request)
                joined = services.join_room(show=show, client=client_id(request))
            except DomainError as exc:
                error = exc
            else:
                remember_visitor(request, joined.visitor.public_id, joined.token)
                found = joined.visitor, joined.token
    status = services.status(services.get_visitor(public_id=found[0].public_id,
                                                  token=found[1])) if found else None
    if status is not None and status.state == "your_turn":
        return redirect("show-detail", show_id=show.pk)
    context = {"show": show, "cinema": show.hall.cinema, "city": show.hall.cinema.city,
               "room": services.summary(room), "status": status, "error": error}
    response = render(request, "catalog/room.html", context,
                      status=error.status if error else 200)
    return with_retry_after(response, error) if error else response


@require_POST
def leave_room(request: HttpRequest, show_id: int) -> HttpResponse:
    show = queries.get_show(show_id)
    _room_or_404(show)
    found = room_visitor(request, show)
    if found is not None:
        services.leave_room(visitor=found[0])
    return redirect("show-detail", show_id=show.pk)


@require_GET
def fairness_page(request: HttpRequest, show_id: int) -> HttpResponse:
    show = queries.get_show(show_id)
    return render(request, "catalog/fairness.html", {
        "show": show, "cinema": show.hall.cinema, "city": show.hall.cinema.city,
        "report": fairness.published_report(show)})
