"""What must hold after any load, checked in the database afterwards."""

from collections import defaultdict

from django.db.models import Count
from django.utils import timezone

from booking.models import BookingSeat, Hold, ShowSeat
from catalog.models import Show


def check_invariants(show: Show) -> list[str]:
    """The problems found with one show's inventory (none, hopefully): a seat held by a hold
    that is not live, a live hold whose receipt and seats disagree, a seat sold twice."""
    problems = []
    now = timezone.now()
    live = {h.pk: h for h in Hold.objects.filter(show=show, state__in=["active", "paying"],
                                                 expires_at__gt=now)}
    owned: dict = defaultdict(list)
    for seat_id, hold_id, held_until in (ShowSeat.objects.filter(show=show, hold__isnull=False)
                                         .values_list("seat_id", "hold_id", "held_until")):
        if hold_id in live:
            owned[hold_id].append(seat_id)
        elif held_until > now:
            problems.append(f"seat {seat_id} held by a hold that is not live")
    for hold in live.values():
        if sorted(owned[hold.pk]) != sorted(seat["id"] for seat in hold.seats):
            problems.append(f"hold {hold.pk} owns {sorted(owned[hold.pk])}, "
                            "its receipt says otherwise")
    doubles = (BookingSeat.objects.filter(booking__show=show, active=True)
               .values("show_seat").annotate(n=Count("id")).filter(n__gt=1))
    problems += [f"seat row {d['show_seat']} sold {d['n']} times" for d in doubles]
    return problems
