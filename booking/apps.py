from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Holds and bookings"

    def ready(self) -> None:
        from django.conf import settings

        from booking import receivers  # noqa: F401  (follows the catalog's changes)
        from booking.checkout import recover_payments
        from booking.holds import expire_holds
        from ticketing import jobs

        # Tidying, not correctness: an expired hold is expired at read time everywhere; the
        # sweep marks it so and tells everyone its seats are free (the waiting list listens).
        jobs.register(name="sweep-holds", task="booking.tasks.sweep_holds",
                      every=lambda: settings.SWEEP_INTERVAL_SECONDS, run=expire_holds)
        jobs.register(name="recover-stuck-payments", task="booking.tasks.recover_stuck_payments",
                      every=lambda: float(settings.RECOVERY_INTERVAL_SECONDS),
                      run=recover_payments)
