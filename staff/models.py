from django.conf import settings
from django.db import models

from catalog.models import Cinema, Show


class CinemaStaff(models.Model):
    """What one staff account may do at one cinema. Superusers may do everything everywhere;
    other staff only what a row here allows, cinema by cinema."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="cinema_roles")
    cinema = models.ForeignKey(Cinema, on_delete=models.CASCADE, related_name="staff_roles")
    can_check_in = models.BooleanField(default=True, help_text="Let people in at the door")
    can_sell = models.BooleanField(
        default=False, help_text="Sell at the box office, and take seats out of sale")
    can_report = models.BooleanField(default=False, help_text="See this cinema's sales reports")

    class Meta:
        verbose_name = "cinema staff member"
        constraints = [models.UniqueConstraint(fields=["user", "cinema"],
                                               name="one_role_per_cinema")]

    def __str__(self) -> str:
        return f"{self.user} at {self.cinema}"


class SalesReport(Show):
    """The shows seen as sales figures, in the admin (booking.reports)."""

    class Meta:
        proxy = True
        verbose_name = "sales report"
        verbose_name_plural = "sales reports"
