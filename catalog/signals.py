"""What the catalog tells the layers above it, inside the transaction that makes the change, so
a receiver can refuse it (by raising) or follow it (in the same transaction). The catalog does
not know who listens; booking keeps its seat inventory in step this way."""

from django.dispatch import Signal

# hall: its layout is about to change (the hall row is locked). Raise LayoutError to refuse.
hall_layout_changing = Signal()
# hall: its seats now match the new layout.
hall_seats_changed = Signal()
# show, changed: its movie, hall or start time (names in ``changed``) is about to change (the
# show row is locked). Raise ShowHasSales to refuse.
show_changing = Signal()
# show, hall_changed: the show was saved (new, or changed).
show_saved = Signal()
