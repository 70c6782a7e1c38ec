"""A show's fairness report: what its waiting room and its waiting list did, checked from the
published data alone (``check``: the same code ``manage.py verify_fairness`` runs, and what the
README's procedure does by hand).

The show's log (``ticketing.chain``) holds, in order: the room's ``commitment``; ``joined``
(a public id; with its place if after the opening); ``left``; ``revealed`` (the seed, and how
many were drawn); ``admitted`` (a public id and its place); ``pass_booked``, ``pass_left``,
``pass_expired``; ``sold_out`` (those waiting keep their places) and ``reopened``; and the
waiting list's ``waitlist_joined`` (an entry and its number), ``waitlist_offered``,
``waitlist_unfulfillable``, ``waitlist_left``, ``waitlist_expired`` and
``waitlist_fulfilled``. No names, no addresses: ids and times only.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from catalog.models import Show
from ticketing import chain
from ticketing.cache import Recent
from waitingroom import order
from waitingroom.models import Room


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    joined: int = 0
    drawn: int = 0
    admitted: int = 0
    admitted_out_of_order: int = 0
    admitted_twice: int = 0
    passes_booked: int = 0
    passes_expired: int = 0
    waitlist_joined: int = 0
    waitlist_offers: int = 0
    offers_out_of_order: int = 0

    def as_dict(self) -> dict:
        return {"ok": not self.problems, **self.__dict__}


def check(*, records: Sequence[dict], head: str, commitment: str | None, seed: str | None
          ) -> Findings:
    """Check the chain, the draw and every admission and offer against the order."""
    found = Findings()
    linked = chain.check(records, expected_head=head)
    found.problems.extend(linked.problems)
    if seed is not None and (commitment is None or order.commitment(seed) != commitment):
        found.problems.append("the seed is not the one committed to")
    room = _Room(found, commitment, seed)
    line = _Waitlist(found)
    for record in records:
        if not isinstance(record, dict):
            found.problems.append("a record is not an object")
            continue
        kind, data = record.get("kind", ""), record.get("data", {})
        if not isinstance(kind, str) or not isinstance(data, dict) or not all(
                isinstance(data.get(key), str | type(None))
                for key in ("visitor", "entry")):
            found.problems.append(f"record {record.get('seq')} is not a record")
            continue
        if kind.startswith("waitlist_"):
            line.see(kind, data, record.get("seq"))
        else:
            room.see(kind, data, record.get("seq"))
    return found


class _Room:
    def __init__(self, found: Findings, commitment: str | None, seed: str | None) -> None:
        self.found, self.commitment, self.seed = found, commitment, seed
        self.early: dict[str, None] = {}  # joined before the opening and still there
        self.revealed = False
        self.waiting: dict[int, str] = {}  # place -> public id, of those waiting
        self.place_of: dict[str, int] = {}
        self.admitted: set[str] = set()
        self.next_place = 1
        self.committed = False

    def problem(self, seq, text: str) -> None:
        self.found.problems.append(f"record {seq}: {text}")

    def see(self, kind: str, data: dict, seq) -> None:
        visitor = data.get("visitor")
        if kind == "commitment":
            if data.get("commitment") != self.commitment or self.committed:
                self.problem(seq, "a commitment that is not the published one")
            self.committed = True
        elif kind == "joined":
            self.found.joined += 1
            if not self.committed:
                self.problem(seq, "a visitor joined before the room's commitment")
            if not self.revealed:
                self.early[visitor] = None
            elif data.get("place") != self.next_place:
                self.problem(seq, f"a visitor who came after the opening got place "
                                  f"{data.get('place')}, not {self.next_place}")
            else:
                self.waiting[self.next_place] = visitor
                self.place_of[visitor] = self.next_place
                self.next_place += 1
        elif kind == "left":
            if not self.revealed and visitor in self.early:
                del self.early[visitor]
            elif visitor in self.place_of:
                self.waiting.pop(self.place_of.pop(visitor), None)
        elif kind == "revealed":
            self.reveal(data, seq)
        elif kind == "admitted":
            self.admit(visitor, data.get("place"), seq)
        elif kind in ("pass_booked", "pass_left", "pass_expired"):
            if visitor not in self.admitted:
                self.problem(seq, "a pass ended that was never given")
            self.found.passes_booked += kind == "pass_booked"
            self.found.passes_expired += kind == "pass_expired"
        elif kind == "sold_out":  # those waiting keep their places
            if data.get("waiting") != len(self.waiting):
                self.problem(seq, f"sold out with {len(self.waiting)} waiting, not "
                                  f"{data.get('waiting')}")
        elif kind != "reopened":
            self.problem(seq, f"unknown kind {kind!r}")

    def reveal(self, data: dict, seq) -> None:
        if self.revealed:
            self.problem(seq, "revealed twice")
            return
        self.revealed = True
        if not self.committed:
            self.problem(seq, "the draw was not committed to before it")
        if data.get("seed") != self.seed:
            self.problem(seq, "the seed in the log is not the published one")
            return
        if data.get("drawn") != len(self.early):
            self.problem(seq, f"{data.get('drawn')} drawn, but {len(self.early)} were waiting")
        ranked = order.drawn_order(self.seed, self.early)
        for place, visitor in enumerate(ranked, start=1):
            self.waiting[place] = visitor
            self.place_of[visitor] = place
        self.found.drawn = len(ranked)
        self.next_place = len(ranked) + 1

    def admit(self, visitor: str, place, seq) -> None:
        self.found.admitted += 1
        if visitor in self.admitted:
            self.found.admitted_twice += 1
            self.problem(seq, f"{visitor} let in twice")
            return
        self.admitted.add(visitor)
        if self.place_of.get(visitor) != place:
            self.found.admitted_out_of_order += 1
            self.problem(seq, f"{visitor} let in with place {place}, but theirs is "
                              f"{self.place_of.get(visitor)}")
            return
        if self.waiting and min(self.waiting) != place:
            self.found.admitted_out_of_order += 1
            self.problem(seq, f"place {place} let in before place {min(self.waiting)}")
        self.waiting.pop(place, None)
        self.place_of.pop(visitor, None)


class _Waitlist:
    """Offers go strictly by number among those still waiting (an entry that can never be
    seated is told so and passed over)."""

    def __init__(self, found: Findings) -> None:
        self.found = found
        self.waiting: dict[int, str] = {}  # number -> entry
        self.number_of: dict[str, int] = {}
        self.last_number = 0

    def see(self, kind: str, data: dict, seq) -> None:
        entry, number = data.get("entry"), data.get("number")
        if kind == "waitlist_joined":
            self.found.waitlist_joined += 1
            if not isinstance(number, int) or number <= self.last_number:
                self.found.problems.append(f"record {seq}: waiting-list number {number} "
                                           f"after {self.last_number}")
                return
            self.last_number = number
            self.waiting[number] = entry
            self.number_of[entry] = number
        elif kind == "waitlist_offered":
            self.found.waitlist_offers += 1
            if entry not in self.number_of:
                return  # joined before the show's log began: nothing to judge it by
            if self.number_of[entry] != number or min(self.waiting) != number:
                self.found.offers_out_of_order += 1
                self.found.problems.append(
                    f"record {seq}: an offer to number {number} while "
                    f"{min(self.waiting, default=None)} waited ahead of it")
            self._settle(entry)
        elif kind in ("waitlist_unfulfillable", "waitlist_left"):
            self._settle(entry)
        elif kind not in ("waitlist_expired", "waitlist_fulfilled"):
            self.found.problems.append(f"record {seq}: unknown kind {kind!r}")

    def _settle(self, entry) -> None:
        number = self.number_of.pop(entry, None)
        if number is not None:
            self.waiting.pop(number, None)


_reports = Recent(size=64)  # (show id, head) -> report: the log only grows


def published_report(show: Show) -> dict:
    """The show's fairness report: the commitment and seed, the log's head, and the check of
    the whole log (recomputed only when the log has grown)."""
    room = Room.objects.filter(pk=show.pk).first() if show.waiting_room else None
    stream = chain.show_stream(show.pk)
    seq, head = chain.head(stream)
    seed = room.seed if room is not None and room.revealed_at is not None else None
    key = (show.pk, seq, head, seed is not None)
    known = _reports.get(key)
    if known is not None:
        return known
    commitment = room.commitment if room is not None else None
    findings = check(records=chain.published(stream, upto=seq), head=head,
                     commitment=commitment, seed=seed)
    report = {
        "show": show.pk,
        "waiting_room": room is not None,
        "on_sale_at": show.on_sale_at.isoformat() if show.on_sale_at else None,
        "commitment": commitment,
        "seed": seed,
        "revealed_at": room.revealed_at.isoformat() if seed is not None else None,
        "head": {"seq": seq, "hash": head},
        "check": findings.as_dict(),
        "log": f"/api/v1/shows/{show.pk}/fairness/log",
    }
    _reports.put(key, report)
    return report
