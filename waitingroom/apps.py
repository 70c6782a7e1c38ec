from django.apps import AppConfig


class WaitingRoomConfig(AppConfig):
    name = "waitingroom"
    verbose_name = "Waiting rooms"

    def ready(self) -> None:
        from ticketing import jobs
        from waitingroom import receivers  # noqa: F401  (rooms follow shows and passes)
        from waitingroom.tasks import admit_all

        # Opens each room at its on-sale instant (the opening is also judged at read time)
        # and lets people in as passes run out; ends of passes let people in at once.
        jobs.register(name="admit-waiting-rooms", task=admit_all, every=lambda: 1.0)
