"""What booking tells the layers above it, always after the change has committed. Booking does
not know who listens (the waiting list does: it hands freed seats to the line)."""

from django.dispatch import Signal

# show_id, freed_at: seats of the show went back to nobody (released, expired, cancelled);
# freed_at (epoch seconds) is when they really freed up (an expiry, not when it was swept).
seats_freed = Signal()
# show_id: a hold of the show ended without freeing seats (paid for, or it had none left), so
# whatever waited on it (a waiting-list offer) may be settled.
hold_ended = Signal()
# show_id, holder, why: a waiting room's pass ended (booked, left), so the room can let the next
# visitor in. A pass that runs out sends nothing: the room finds those itself.
pass_ended = Signal()
