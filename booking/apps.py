from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Holds and bookings"

    def ready(self) -> None:
        from django.conf import settings

        from booking import receivers  # noqa: F401  (follows the catalog's changes)
        from booking.tasks import recover_stuck_payments, sweep_holds
        from ticketing import jobs

        # Tidying, not correctness: an expired hold is expired at read time everywhere; the
        # sweep marks it so and tells everyone its seats are free (the waiting list listens).
        jobs.register(name="sweep-holds", task=sweep_holds,
                      every=lambda: settings.SWEEP_INTERVAL_SECONDS)
        jobs.register(name="recover-stuck-payments", task=recover_stuck_payments,
                      every=lambda: float(settings.RECOVERY_INTERVAL_SECONDS))
