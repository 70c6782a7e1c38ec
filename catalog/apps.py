from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Cinema catalog"

    def ready(self) -> None:
        from catalog import schema  # noqa: F401  (registers the staff token with the schema)
