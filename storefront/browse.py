from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation

from booking.inventory import SeatMap, seat_map, seat_map_drawing
from catalog import queries, show_attributes
from catalog.layout import COMPANION, SEAT_CATEGORIES, price_category
from catalog.models import City, Movie, Show
from catalog.templatetags.catalog_tags import STATE_SYMBOLS
from storefront.session import active_entry_for_show, active_hold_for_show, room_visitor
from ticketing.cache import Recent
from ticketing.errors import DomainError
from ticketing.sessions import ensure_session
from waitingroom import services as room_services
from waitingroom.models import Room


def city_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/city_list.html", {"cities": queries.cities_with_cinemas()})


def city_detail(request: HttpRequest, city_slug: str) -> HttpResponse:
    city = get_object_or_404(City, slug=city_slug)
    movies = queries.movies_showing_in(city)
    return render(request, "catalog/city_detail.html", {"city": city, "movies": movies})


def movie_in_city(request: HttpRequest, city_slug: str, movie_slug: str) -> HttpResponse:
    """The cinemas showing the movie, with their showtimes, filtered by what people choose by
    (format, language, subtitles, accessibility), offering only what is on."""
    city = get_object_or_404(City, slug=city_slug)
    movie = get_object_or_404(Movie, slug=movie_slug)
    upcoming = queries.upcoming_shows(city, movie)
    context = {"city": city, "movie": movie, "choices": show_attributes.choices_for(upcoming),
               "chosen": {name: request.GET.get(name, "") for name in show_attributes.FILTERS}}
    try:
        shows = show_attributes.filter_shows(upcoming, request.GET)
    except DomainError as exc:
        return render(request, "catalog/movie_in_city.html",
                      {**context, "cinemas": [], "error": exc}, status=exc.status)
    context["cinemas"] = queries.showtimes_by_cinema(shows)
    return render(request, "catalog/movie_in_city.html", context)


def show_detail(request: HttpRequest, show_id: int) -> HttpResponse:
    show = queries.get_show(show_id)
    if show.waiting_room and _must_wait(request, show):
        return redirect("room-page", show_id=show.pk)
    return render_show_page(request, show)


def _must_wait(request: HttpRequest, show: Show) -> bool:
    """A high-demand show's page, while its room is open and not sold out, is for visitors it
    let in: everyone else is taken to the room (opening it is taking a place)."""
    now = timezone.now()
    room = Room.objects.filter(pk=show.pk).first()
    if room is None or (not show.on_sale(now) and not show.sale_opens_later(now)):
        return False
    if room.sold_out_at is not None or now < room_services.opens_at(room, show):
        return False
    found = room_visitor(request, show)
    return found is None or room_services.status(found[0], now).state != "your_turn"


def render_show_page(request: HttpRequest, show: Show, *, error: DomainError | None = None,
                     status: int = 200) -> HttpResponse:
    """The seat map page; also re-rendered (with the error) when a hold attempt fails."""
    now = timezone.now()
    if show.on_sale(now):
        ensure_session(request)  # its tabs then share one session from their first hold on
    snapshot = seat_map(show, now)
    seats = snapshot.seats
    prices = show.prices
    current = active_hold_for_show(request, show)
    entry = active_entry_for_show(request, show)
    if entry is not None and entry.offer_id == getattr(current, "pk", None):
        current = None  # the offer is shown in the waiting-list panel
    started = not show.on_sale(now)
    found = room_visitor(request, show) if show.waiting_room else None
    turn = room_services.status(found[0], now) if found else None
    mine = {seat["id"] for seat in current.seats} if current else set()
    context = {
        "show": show,
        "cinema": show.hall.cinema,
        "city": show.hall.cinema.city,
        # Someone with seats of their own sees them marked; everyone else sees the same map.
        "seatmap_html": None if mine else _shared_seat_map_html(snapshot, started),
        "categories": [(c, prices[price_category(c)]) for c in SEAT_CATEGORIES
                       if price_category(c) in prices and (c != COMPANION or any(
                           s.category == COMPANION for s in seats))],
        "started": started,
        "not_yet": show.sale_opens_later(now),
        "room": Room.objects.filter(pk=show.pk).first() if show.waiting_room else None,
        "turn": turn if turn is not None and turn.state == "your_turn" else None,
        "available_count": sum(1 for s in seats if s.state == "available"),
        "current_hold": current,
        "mine": mine,
        "error": error,
        "entry": entry,
        "entry_position": entry.position() if entry else None,
        "held_count": sum(1 for s in seats if s.state == "held"),
        "max_seats": settings.MAX_SEATS_PER_HOLD,
        "count_choices": range(1, settings.MAX_SEATS_PER_HOLD + 1),
        "seat_symbols": STATE_SYMBOLS,  # what the live map draws for each state (live.js)
    }
    if mine:
        context.update(_seat_map_context(snapshot, started, frozenset(mine)))
    return render(request, "catalog/show_detail.html", context, status=status)


def _seat_map_context(snapshot: SeatMap, disabled: bool, mine: frozenset = frozenset()) -> dict:
    return seat_map_drawing(snapshot, disabled=disabled, mine=mine)


_rendered_maps = Recent(size=64)


def _shared_seat_map_html(snapshot: SeatMap, disabled: bool) -> str:
    """The seat map as everyone without seats of their own sees it, rendered once per version
    of the map (drawing a few hundred seats is most of the page's cost)."""
    # The same version of the map reads differently once a hold in it runs out: a map read
    # after that instant has another valid_until, and so another drawing.
    key = (snapshot.key, snapshot.valid_until, disabled, translation.get_language())
    html = _rendered_maps.get(key)
    if html is None:
        html = render_to_string("catalog/_seatmap.html", _seat_map_context(snapshot, disabled))
        _rendered_maps.put(key, html)
    return html
