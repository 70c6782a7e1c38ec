from django.apps import AppConfig


class StaffConfig(AppConfig):
    """What cinema staff and partners use: the admin, the staff API with its tokens, calling a
    show off."""

    name = "staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from staff import schema  # noqa: F401  (registers the staff token with the schema)
