import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketing.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402  (needs Django set up first)

from ticketing.lifespan import lifespan  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "lifespan": lifespan})
