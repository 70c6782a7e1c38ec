"""No stranded seats: a hold may not leave one free seat on its own — between two taken seats,
or between a taken seat and the end of a row or an aisle — unless every choice of that many
seats side by side in that row would (seats.io's "no orphan seats").

Over one row, as the set of its free seats' grid columns: a column with no free seat is a taken
or blocked seat, an aisle or the row's end, which all close a seat in alike. A seat is stranded
by a hold when it is free afterwards, closed in on both sides, and one of its sides is a seat
the hold takes (one already alone before is not this hold's doing). The same functions decide
it for the Python rule and, ported line by line, for the SQL one (booking/sql/decide_holds.sql),
and keep best available and the waiting list's offers from stranding anyone.
"""

from collections.abc import Collection, Set


def stranded(free: Set[int], taking: Collection[int]) -> list[int]:
    """The columns of the row's seats that taking ``taking`` (of ``free``) would leave alone."""
    taken = set(taking)
    after = free - taken
    return sorted(col for col in after
                  if col - 1 not in after and col + 1 not in after
                  and (col - 1 in taken or col + 1 in taken))


def runs(free: Set[int], count: int) -> list[list[int]]:
    """Every choice of ``count`` free seats side by side in the row (no gap between them)."""
    return [list(range(start, start + count)) for start in sorted(free)
            if all(col in free for col in range(start, start + count))]


def better_choice(free: Set[int], taking: Collection[int],
                  allowed: Set[int] | None = None) -> list[int] | None:
    """When taking ``taking`` strands a seat: the nearest choice of as many seats side by side
    that strands none, or None when taking them is allowed (nothing stranded, or every choice
    of that many would strand one too). ``allowed``: the seats a choice may be made of (those of
    the categories the hold is for: nobody asking for standard seats is told to take a
    wheelchair space); every free seat when left out."""
    if not stranded(free, taking):
        return None
    middle = sum(taking) / len(taking)
    allowed = free if allowed is None else allowed
    good = [run for run in runs(free, len(taking))
            if set(run) <= allowed and not stranded(free, run)]
    if not good:
        return None
    return min(good, key=lambda run: (abs(sum(run) / len(run) - middle), run[0]))
