"""Waiting-room passes: on a show with a waiting room, only a visitor the room has let in may
hold seats (``booking.holds``: ``HoldRequest.admitted``), with the token of their room entry.

The room (``waitingroom``, above) issues passes; a pass ends when a hold made with it is
booked, when its holder leaves, or at ``expires_at`` (expired at read time everywhere; the room
records it when it next lets people in). Each end is written to the show's fairness log
(``ticketing.chain``) in the transaction that ends it, and told to the room after commit
(``booking.signals.pass_ended``) so the next visitor is let in at once.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from booking.models import Hold, RoomPass
from booking.signals import pass_ended
from catalog.models import Show
from ticketing import chain
from ticketing.tokens import hash_token


def issue(*, show_id: int, holders: Sequence[tuple[str, str]], now: datetime,
          minutes: int) -> None:
    """Passes for these (holder, token hash) pairs, valid from ``now`` for ``minutes``."""
    RoomPass.objects.bulk_create(
        RoomPass(show_id=show_id, holder=holder, token_hash=token_hash, issued_at=now,
                 expires_at=now + timedelta(minutes=minutes))
        for holder, token_hash in holders)


def admitting(*, show: Show, token: object, now: datetime | None = None) -> RoomPass | None:
    """The valid pass for this show that the token opens, if any."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    found = RoomPass.objects.filter(show_id=show.pk, token_hash=hash_token(token)).first()
    return found if found is not None and found.is_valid(now) else None


def note_hold(room_pass: RoomPass, hold: Hold) -> None:
    """The hold was made with the pass: booking it ends the pass."""
    room_pass.holds.add(hold)


def end_for_booking(hold: Hold, now: datetime) -> None:
    """Inside the booking's transaction: the pass the hold was made with (if any) is used."""
    holders = list(RoomPass.objects.filter(holds=hold, ended_at__isnull=True)
                   .values_list("holder", flat=True))
    if holders:
        _end(hold.show_id, holders, RoomPass.Ended.BOOKED, now)


def end(*, show_id: int, holder: str, why: str, now: datetime | None = None) -> bool:
    """End the holder's pass (they left); False if it had already ended or run out."""
    now = now or timezone.now()
    with transaction.atomic():
        open_pass = (RoomPass.objects.select_for_update()
                     .filter(show_id=show_id, holder=holder, ended_at__isnull=True,
                             expires_at__gt=now).exists())
        if open_pass:
            _end(show_id, [holder], why, now)
    return open_pass


def _end(show_id: int, holders: list[str], why: str, now: datetime) -> None:
    """End these holders' passes that are still open (locked first: a pass ends once, and is
    logged once, whichever of booking, leaving and running out comes first)."""
    holders = sorted(RoomPass.objects.select_for_update()
                     .filter(show_id=show_id, holder__in=holders, ended_at__isnull=True)
                     .values_list("holder", flat=True))
    if not holders:
        return
    RoomPass.objects.filter(show_id=show_id, holder__in=holders).update(ended_at=now, ended=why)
    chain.append(chain.show_stream(show_id),
                 [(f"pass_{why}", {"visitor": holder}) for holder in holders], at=now)
    for holder in holders:
        transaction.on_commit(partial(pass_ended.send, sender=RoomPass, show_id=show_id,
                                      holder=holder, why=why))


def expire_due(*, show_id: int, now: datetime) -> list[str]:
    """Mark (and log) the show's passes that ran out by ``now``, in the caller's transaction:
    their holders, in the order they were let in."""
    due = list(RoomPass.objects.select_for_update()
               .filter(show_id=show_id, ended_at__isnull=True, expires_at__lte=now)
               .order_by("issued_at", "pk").values_list("holder", flat=True))
    if due:
        RoomPass.objects.filter(show_id=show_id, holder__in=due, ended_at__isnull=True).update(
            ended_at=now, ended=RoomPass.Ended.EXPIRED)
        chain.append(chain.show_stream(show_id),
                     [("pass_expired", {"visitor": holder}) for holder in due], at=now)
    return due


def active_count(*, show_id: int, now: datetime) -> int:
    """How many visitors are choosing seats now (their passes are valid)."""
    return RoomPass.objects.filter(show_id=show_id, ended_at__isnull=True,
                                   expires_at__gt=now).count()


def issued_since(*, show_id: int, since: datetime) -> int:
    return RoomPass.objects.filter(show_id=show_id, issued_at__gte=since).count()


def state_of(*, show_id: int, holder: str, now: datetime) -> tuple[str, datetime | None]:
    """("valid", expires_at), or ("booked" | "left" | "expired", None), or ("none", None)."""
    row = (RoomPass.objects.filter(show_id=show_id, holder=holder)
           .values_list("ended", "expires_at").first())
    if row is None:
        return "none", None
    ended, expires_at = row
    if ended:
        return ended, None
    return ("valid", expires_at) if expires_at > now else ("expired", None)
