"""What the catalog tells the layers above it, inside the transaction that makes the change, so
a receiver can refuse it (by raising) or follow it (in the same transaction). The catalog does
not know who listens; booking keeps its seat inventory in step this way."""

from django.dispatch import Signal

# hall: its layout is about to change (the hall row is locked). Raise LayoutError to refuse.
hall_layout_changing = Signal()
# hall: its seats now match the new layout.
hall_seats_changed = Signal()
# show, changed, lock: its movie, hall or start time (names in ``changed``) is about to change.
# Raise ShowHasSales to refuse. ``lock``: the change is being saved (the show row is locked):
# hold whatever must not change meanwhile; without it, only asked (a form's check).
show_changing = Signal()
# show, hall_changed: the show was saved (new, or changed).
show_saved = Signal()
