import re

from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from booking import lean_api
from booking.consumers import SeatFeedConsumer
from ticketing.lean import Route
from waitingroom import lean_api as room_lean_api
from waitingroom.consumers import RoomConsumer
from waitlist.consumers import WaitlistConsumer

# The API endpoints also answered on the lean path (each falls back to its view in
# ticketing.api_urls, whose route name and Allow header it repeats).
lean_routes = [
    Route("POST", re.compile(r"/api/v1/shows/(?P<show_id>[0-9]{1,18})/holds"),
          "api/v1/shows/<int:show_id>/holds", "POST, OPTIONS", lean_api.create_hold),
    Route("GET", re.compile(r"/api/v1/shows/(?P<show_id>[0-9]{1,18})/seats"),
          "api/v1/shows/<int:show_id>/seats", "GET, HEAD, OPTIONS", lean_api.seat_map,
          current=lean_api.current_seat_map),
    Route("POST", re.compile(r"/api/v1/shows/(?P<show_id>[0-9]{1,18})/room"),
          "api/v1/shows/<int:show_id>/room", "GET, POST, OPTIONS", room_lean_api.join),
]

websocket_urlpatterns = [
    path("ws/shows/<int:show_id>/", SeatFeedConsumer.as_asgi()),
    path("ws/waitlist/<str:entry_id>/", WaitlistConsumer.as_asgi()),
    path("ws/room/<str:public_id>/", RoomConsumer.as_asgi()),
]


class SameSiteOrNoOrigin(OriginValidator):
    """Browsers must come from one of our hosts (their session cookie is sent cross-site too);
    other clients (kiosks, integrators) send no Origin and authenticate with tokens."""

    def __init__(self, application):
        super().__init__(application, settings.ALLOWED_HOSTS)

    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is None or super().valid_origin(parsed_origin)
