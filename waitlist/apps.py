from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = "Waiting lists"

    def ready(self) -> None:
        from django.conf import settings

        from ticketing import jobs
        from waitlist import receivers  # noqa: F401  (serves the line when seats free up)
        from waitlist.tasks import serve_all_lines

        # The backstop: lines are served right after every commit that frees seats; this
        # catches a trigger that was lost (a process killed right after its commit).
        jobs.register(name="serve-waiting-lines", task=serve_all_lines,
                      every=lambda: settings.SWEEP_INTERVAL_SECONDS)
