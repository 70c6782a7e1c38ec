from django.db import models
from django.utils import timezone

from catalog.models import Show


class Room(models.Model):
    """A show's waiting room (waitingroom.services). ``commitment`` is published before the
    room opens; ``seed`` stays secret until the on-sale instant (``revealed_at``), when it is
    published and fixes everyone's place (waitingroom.order)."""

    show = models.OneToOneField(Show, on_delete=models.CASCADE, primary_key=True,
                                related_name="room")
    opens_minutes = models.PositiveIntegerField(
        default=15, help_text="How long before the on-sale time visitors may start to wait")
    choosing_at_once = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="How many visitors may choose seats at once; blank: half the free seats, "
        "at most WAITING_ROOM_MAX_CHOOSING")
    admit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many let in per minute; blank: no cap")
    pass_minutes = models.PositiveIntegerField(
        default=5, help_text="How long a visitor let in has to hold seats")
    seed = models.CharField(max_length=64, editable=False)
    commitment = models.CharField(max_length=64, editable=False)
    revealed_at = models.DateTimeField(null=True, blank=True, editable=False)
    drawn = models.PositiveIntegerField(default=0, editable=False)  # places drawn at the reveal
    next_place = models.PositiveIntegerField(default=1, editable=False)
    admitted = models.PositiveIntegerField(default=0, editable=False)
    sold_out_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped by every change waiting visitors see (the reveal, admissions, leaving, sold out).
    version = models.PositiveBigIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"waiting room of {self.show}"


class Visitor(models.Model):
    """A place in a waiting room, owned by whoever has its token. ``public_id`` is what the
    fairness log and the receipt show; ``place`` is given at the reveal (those who came before
    it, by the draw) or on arrival (after it, in arrival order)."""

    class State(models.TextChoices):
        WAITING = "waiting"
        ADMITTED = "admitted"  # given a pass (booking.passes says whether it is still valid)
        LEFT = "left"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="visitors")
    public_id = models.CharField(max_length=32, unique=True)
    token_hash = models.CharField(max_length=64, db_index=True, editable=False)
    client = models.CharField(max_length=64, blank=True, default="")  # as Hold.client
    joined_at = models.DateTimeField(default=timezone.now)
    place = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    admitted_at = models.DateTimeField(null=True, blank=True)
    log_record = models.PositiveBigIntegerField(null=True, editable=False)  # its "joined"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "place"], name="one_visitor_per_place"),
        ]
        indexes = [models.Index(fields=["room", "state", "place"], name="room_line"),
                   models.Index(fields=["room", "client"], name="room_client")]

    def __str__(self) -> str:
        return f"{self.public_id} in {self.room_id} ({self.state}, place {self.place})"
