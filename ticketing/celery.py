import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketing.settings")

app = Celery("ticketing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule_the_registered_jobs(sender: Celery, **kwargs) -> None:
    """Beat's schedule is the job registry (ticketing.jobs), filled by the apps' ready()."""
    import django
    from django.apps import apps

    from ticketing import jobs

    if not apps.ready:  # beat: the apps register their jobs as they load
        django.setup()
    sender.conf.beat_schedule = jobs.beat_schedule()


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_to_start_misconfigured(**kwargs) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from ticketing.env import require_serving_settings

    try:
        require_serving_settings()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"ImproperlyConfigured: {exc}") from None  # Celery swallows the rest
