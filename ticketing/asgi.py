import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketing.settings")
django_asgi_app = get_asgi_application()

from ticketing.env import require_secret_key  # noqa: E402

require_secret_key()

# These need Django set up first.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from ticketing.lifespan import lifespan  # noqa: E402
from ticketing.routing import SameSiteOrNoOrigin, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": SameSiteOrNoOrigin(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    "lifespan": lifespan,
})
