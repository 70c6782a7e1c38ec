import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketing.settings")

app = Celery("ticketing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_to_start_misconfigured(**kwargs) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from ticketing.env import require_serving_settings

    try:
        require_serving_settings()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"ImproperlyConfigured: {exc}") from None  # Celery swallows the rest
