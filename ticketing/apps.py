from django.apps import AppConfig


class TicketingConfig(AppConfig):
    """The platform: settings, HTTP and websocket plumbing, errors, tokens, rate limits,
    idempotency, live updates, periodic jobs, metrics. It knows none of the apps above it,
    except in the URL, routing and ASGI modules that put them together."""

    name = "ticketing"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.conf import settings

        from ticketing import (
            checks,  # noqa: F401  (registers the deploy checks)
            jobs,
        )
        from ticketing.idempotency import forget_old_requests

        jobs.register(name="forget-old-idempotency-records",
                      task="ticketing.tasks.forget_old_idempotency_records",
                      every=lambda: float(settings.RECOVERY_INTERVAL_SECONDS),
                      run=forget_old_requests)
