from django.apps import AppConfig


class TicketingConfig(AppConfig):
    """The platform: settings, HTTP and websocket plumbing, errors, tokens, rate limits,
    idempotency, live updates, periodic jobs, metrics. No module of it imports the apps above
    it, except the URL and websocket-routing modules that put them together (settings name
    them as strings, and the idempotency record's table keeps the name it was made with)."""

    name = "ticketing"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.conf import settings

        from ticketing import (
            checks,  # noqa: F401  (registers the deploy checks)
            jobs,
        )
        from ticketing.idempotency import forget_old_requests

        jobs.register(name="forget-old-idempotency-records", task=forget_old_requests,
                      every=lambda: float(settings.RECOVERY_INTERVAL_SECONDS))
