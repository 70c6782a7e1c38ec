from django.conf import settings
from django.core import checks

from ticketing.env import MISSING_SECRET_KEY


@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if not settings.DEBUG and not settings._wrapped.SECRET_KEY:
        return [checks.Error(MISSING_SECRET_KEY, id="ticketing.E001")]
    return []
