import pytest

from catalog.layout import LayoutError, SeatSpec, parse_layout

pytestmark = pytest.mark.sqlite


def test_seats_are_numbered_from_the_left_counting_seats_only():
    seats = parse_layout(["A: ss_ss"])
    assert [(s.row_label, s.number, s.grid_col) for s in seats] == [
        ("A", 1, 0), ("A", 2, 1), ("A", 3, 3), ("A", 4, 4)]


def test_codes_give_category_and_blocked():
    seats = parse_layout(["B: spax"])
    assert [(s.category, s.blocked) for s in seats] == [
        ("standard", False), ("premium", False), ("accessible", False), ("standard", True)]


def test_rows_keep_their_grid_position():
    seats = parse_layout(["A: s", "B: _s"])
    assert seats[1] == SeatSpec("B", 1, "standard", False, 1, 1)


@pytest.mark.parametrize(
    ("layout", "row", "message"),
    [
        (["A: ss", "B: sq"], 1, "unknown seat code 'q'"),
        (["A: s s"], 0, "unknown seat code ' '"),
        (["A ss"], 0, "expected 'LABEL: cells'"),
        ([": ss"], 0, "row label ''"),
        (["A: s", "A: s"], 1, "row label 'A' is used twice"),
        (["A:   "], 0, "row A has no cells"),
        (["TOOLONG: s"], 0, "must be 1 to 4 letters or digits"),
    ],
)
def test_bad_rows_name_the_row_and_character(layout, row, message):
    with pytest.raises(LayoutError) as info:
        parse_layout(layout)
    assert info.value.row == row
    assert message in info.value.message


@pytest.mark.parametrize("layout", [[], "A: ss", [1, 2], ["A: ___"], None])
def test_bad_shapes_are_refused(layout):
    with pytest.raises(LayoutError):
        parse_layout(layout)
