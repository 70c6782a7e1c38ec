from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    """The moviegoer's pages: browse cities, movies and showtimes, hold seats on the seat map,
    pay, see the ticket, wait in line. Thin views over booking and the waiting list; the
    browser's tokens live in its session (storefront.session)."""

    name = "storefront"
    verbose_name = "Moviegoers' pages"
