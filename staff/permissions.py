"""Who may do what at which cinema (staff.models.CinemaStaff)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from catalog.models import Cinema, Show
from staff.models import CinemaStaff

ROLES = {"check_in": "can_check_in", "sell": "can_sell", "report": "can_report"}


def cinemas_for(user: AbstractBaseUser, role: str) -> QuerySet[Cinema]:
    if not (user.is_active and user.is_staff):
        return Cinema.objects.none()
    if user.is_superuser:
        return Cinema.objects.all()
    roles = CinemaStaff.objects.filter(user=user, **{ROLES[role]: True})
    return Cinema.objects.filter(pk__in=roles.values("cinema_id"))


def may(user: AbstractBaseUser, role: str, cinema_id: int) -> bool:
    return cinemas_for(user, role).filter(pk=cinema_id).exists()


def show_for(user: AbstractBaseUser, role: str, show_id: int) -> Show:
    """The show, if the user has the role at its cinema; otherwise there is no such show."""
    show = Show.objects.select_related("movie", "hall__cinema").filter(pk=show_id).first()
    if show is None or not may(user, role, show.hall.cinema_id):
        raise Http404("No such show at a cinema of yours")
    return show
