"""The time zone the admin reads and shows times in, and counts its days in (the date filters,
the date drill-down, a bulk on-sale time): a staff member's own, from the cinemas they work at.

Times of one show (its start, its on-sale time) are always its cinema's (``staff.admin``); this
is for everything that is not one show's."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from catalog.models import Cinema


def staff_time_zone(user: AbstractBaseUser | AnonymousUser) -> ZoneInfo | None:
    """The zone of the cinemas this staff member works at, if they share one; for a superuser
    (or staff across zones), the chain's, if all its cinemas share one; else None (the site's
    own, UTC)."""
    zones: set[str] = set()
    if not user.is_superuser:
        zones = set(Cinema.objects.filter(staff_roles__user=user)
                    .values_list("timezone", flat=True).distinct())
    if len(zones) != 1:
        zones = set(Cinema.objects.values_list("timezone", flat=True).distinct()[:2])
    return ZoneInfo(zones.pop()) if len(zones) == 1 else None


class StaffTimeZoneMiddleware:
    """Activates ``staff_time_zone`` for a staff member's admin requests."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.admin: str | None = None  # the admin's path, once the URLs can be read

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.admin = self.admin or reverse("admin:index")
        zone = None
        if request.path.startswith(self.admin):
            try:
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated and user.is_staff:
                    zone = staff_time_zone(user)
            except DatabaseError:
                pass  # the view meets the outage too, and answers it (503)
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)


class NotOnTheClock(ValueError):
    """A typed time that the zone's clock shows never, or twice (the clocks changing)."""


def on_clock(typed: datetime, zone: ZoneInfo) -> datetime:
    """The instant at which ``zone``'s clocks read ``typed`` (a date and time without a zone).
    Refused when they never do (the hour skipped when they go forward) or do twice (the hour
    repeated when they go back): which was meant cannot be known."""
    early, late = typed.replace(tzinfo=zone, fold=0), typed.replace(tzinfo=zone, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early
    if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != typed:
        raise NotOnTheClock(f"{typed:%Y-%m-%d %H:%M} does not happen in {zone.key}: the clocks "
                            "go forward over it")
    raise NotOnTheClock(f"{typed:%Y-%m-%d %H:%M} happens twice in {zone.key} (the clocks go "
                        "back): choose a time outside the repeated hour")
