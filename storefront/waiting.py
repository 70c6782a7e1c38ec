import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from catalog import queries
from storefront.browse import render_show_page
from storefront.buying import with_retry_after
from storefront.session import entry_token, remember_entry
from ticketing import ratelimit
from ticketing.clients import client_id
from ticketing.errors import DomainError, InvalidRequest, NotFound
from ticketing.i18n import _
from ticketing.sessions import locked_session
from waitlist import services


@require_POST
def join(request: HttpRequest, show_id: int) -> HttpResponse:
    show = queries.get_show(show_id)
    with locked_session(request):  # as for holds: one join per browser session at a time
        try:
            try:
                party_size = int(request.POST.get("party_size", ""))
            except ValueError:
                raise InvalidRequest(_("Choose how many seats you need, 1 to 10.")) from None
            ratelimit.enforce("waitlist", request)
            joined = services.join_waitlist(show=show, party_size=party_size,
                                            client=client_id(request))
        except DomainError as exc:
            return with_retry_after(
                render_show_page(request, show, error=exc, status=exc.status), exc)
        remember_entry(request, joined.entry.pk, joined.token)
    return redirect("show-detail", show_id=show.id)


@require_GET
def panel(request: HttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    """The show page's waiting-list panel for this browser's entry, as it is now (the page's
    script asks for it whenever the entry changes live)."""
    try:
        entry = services.get_entry(entry_id=entry_id, token=entry_token(request, entry_id))
    except NotFound:
        raise Http404("No such waiting-list entry") from None
    show = queries.get_show(entry.show_id)
    return render(request, "catalog/_waitlist_panel.html",
                  {"entry": entry, "entry_position": entry.position(),
                   "cinema": show.hall.cinema})


@require_POST
def leave(request: HttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    try:
        entry = services.get_entry(entry_id=entry_id, token=entry_token(request, entry_id))
    except NotFound:
        raise Http404("No such waiting-list entry") from None
    try:
        services.leave_waitlist(entry=entry)
    except DomainError as exc:
        return render_show_page(request, queries.get_show(entry.show_id), error=exc,
                                status=exc.status)
    return redirect("show-detail", show_id=entry.show_id)
