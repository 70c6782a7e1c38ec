from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from booking.consumers import SeatFeedConsumer
from waitlist.consumers import WaitlistConsumer

websocket_urlpatterns = [
    path("ws/shows/<int:show_id>/", SeatFeedConsumer.as_asgi()),
    path("ws/waitlist/<str:entry_id>/", WaitlistConsumer.as_asgi()),
]


class SameSiteOrNoOrigin(OriginValidator):
    """Browsers must come from one of our hosts (their session cookie is sent cross-site too);
    other clients (kiosks, integrators) send no Origin and authenticate with tokens."""

    def __init__(self, application):
        super().__init__(application, settings.ALLOWED_HOSTS)

    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is None or super().valid_origin(parsed_origin)
