import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from booking.models import Hold
from catalog.models import Show


class WaitlistEntry(models.Model):
    """A party waiting for seats at a show. ``number`` is its place in the show's line: given
    out under the line's lock, so it is the order people joined in, and offers follow it."""

    class State(models.TextChoices):
        WAITING = "waiting"
        OFFERED = "offered"
        FULFILLED = "fulfilled"
        EXPIRED = "expired"  # the offer ran out
        LEFT = "left"  # left the line, or declined the offer
        UNFULFILLABLE = "unfulfillable"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="waitlist")
    number = models.PositiveIntegerField()
    token_hash = models.CharField(max_length=64, editable=False)
    party_size = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)])
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    offer = models.OneToOneField(Hold, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="waitlist_entry")
    client = models.CharField(max_length=64, blank=True, default="")  # as Hold.client
    joined_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["show", "number"]
        verbose_name_plural = "waiting-list entries"
        constraints = [
            models.UniqueConstraint(fields=["show", "number"], name="one_place_per_number"),
        ]
        indexes = [models.Index(fields=["show", "state", "number"], name="line_order")]

    def __str__(self) -> str:
        return f"#{self.number} for show {self.show_id} ({self.state})"

    def position(self) -> int | None:
        """1 for the head of the line, among those still waiting; None once not waiting."""
        if self.state != self.State.WAITING:
            return None
        return WaitlistEntry.objects.filter(show_id=self.show_id, state=self.State.WAITING,
                                            number__lt=self.number).count() + 1
