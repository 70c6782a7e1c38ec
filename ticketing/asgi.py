"""The one ASGI application: plain HTTP (the lean routes on the event loop, everything else
through Django's WSGI handler on thread pools, see ``ticketing.http``), websockets (Channels, on
the event loop) and the lifespan."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketing.settings")
django_wsgi_app = get_wsgi_application()

from ticketing.env import require_serving_settings  # noqa: E402

require_serving_settings()

# These need Django set up first.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from ticketing.http import http_application  # noqa: E402
from ticketing.lifespan import lifespan  # noqa: E402
from ticketing.routing import SameSiteOrNoOrigin, lean_routes, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": http_application(django_wsgi_app, lean_routes),
    "websocket": SameSiteOrNoOrigin(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    "lifespan": lifespan,
})
