"""The hall layout format: one string per row, ``"LABEL: cells"``, one character per cell.

``s`` standard seat, ``p`` premium, ``a`` accessible (wheelchair), ``c`` a companion seat
(beside a wheelchair space, for the person who comes with its user; priced as standard), ``x``
a seat that exists but is blocked, ``_`` a gap. Seats are numbered 1, 2, ... from the left,
counting seats only, so ``"A: ss_ss"`` is A1 A2, gap, A3 A4.
"""

from dataclasses import dataclass

STANDARD = "standard"
PREMIUM = "premium"
ACCESSIBLE = "accessible"
CATEGORIES = (STANDARD, PREMIUM, ACCESSIBLE)  # the categories a show is priced by
COMPANION = "companion"
SEAT_CATEGORIES = (*CATEGORIES, COMPANION)  # every kind of seat
PRICED_AS = {COMPANION: STANDARD}


def price_category(category: str) -> str:
    """The category whose price a seat of this category sells at."""
    return PRICED_AS.get(category, category)


GAP = "_"
# code -> (category, blocked). A blocked seat is sold as nothing, so its category is nominal.
SEAT_CODES: dict[str, tuple[str, bool]] = {
    "s": (STANDARD, False),
    "p": (PREMIUM, False),
    "a": (ACCESSIBLE, False),
    "c": (COMPANION, False),
    "x": (STANDARD, True),
}
MAX_ROW_LABEL_LENGTH = 4
MAX_ROWS = 60
MAX_COLUMNS = 80


@dataclass(frozen=True, slots=True)
class SeatSpec:
    row_label: str
    number: int
    category: str
    blocked: bool
    grid_row: int
    grid_col: int


class LayoutError(ValueError):
    """A layout that cannot be read. ``row`` is the 0-based index of the offending row, if any."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


def parse_layout(rows: object) -> list[SeatSpec]:
    """Read a layout into seat specs, or raise LayoutError naming the row and the character."""
    if not isinstance(rows, list) or not all(isinstance(row, str) for row in rows):
        raise LayoutError("a layout is a list of strings, one per row")
    if not rows:
        raise LayoutError("a layout needs at least one row")
    if len(rows) > MAX_ROWS:
        raise LayoutError(f"a layout has at most {MAX_ROWS} rows")

    seats: list[SeatSpec] = []
    labels: set[str] = set()
    for row_index, row in enumerate(rows):
        label, sep, cells = row.partition(":")
        label = label.strip()
        if not sep:
            raise LayoutError(f"expected 'LABEL: cells', got {row!r}", row=row_index)
        if not label or not label.isalnum() or len(label) > MAX_ROW_LABEL_LENGTH:
            raise LayoutError(
                f"row label {label!r} must be 1 to {MAX_ROW_LABEL_LENGTH} letters or digits",
                row=row_index,
            )
        if label in labels:
            raise LayoutError(f"row label {label!r} is used twice", row=row_index)
        labels.add(label)
        cells = cells.strip(" ")
        if not cells:
            raise LayoutError(f"row {label} has no cells", row=row_index)
        if len(cells) > MAX_COLUMNS:
            raise LayoutError(f"row {label} has more than {MAX_COLUMNS} cells", row=row_index)
        number = 0
        for col, code in enumerate(cells):
            if code == GAP:
                continue
            if code not in SEAT_CODES:
                raise LayoutError(f"unknown seat code {code!r}", row=row_index)
            number += 1
            category, blocked = SEAT_CODES[code]
            seats.append(SeatSpec(label, number, category, blocked, row_index, col))
    if not seats:
        raise LayoutError("a layout needs at least one seat")
    return seats
