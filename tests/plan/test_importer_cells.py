"""Property tests of the importer's cell readers: 序号, names, units and deadlines.

Whatever a cell holds, a reader returns a value within its limits or refuses with a CellError
(which the importer turns into one line naming the row and column), never anything else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan.importer import (
    MAX_DEADLINE_CHARS,
    MAX_LEADER_CHARS,
    MAX_NUMBER,
    MAX_UNIT_CHARS,
    MAX_UNITS_PER_CELL,
    CellError,
    ParsedTable,
    parse_table,
    read_deadline,
    read_leader,
    read_number,
    read_units,
)
from bot.plan.tables import Row, Sheet, TableError

T = TypeVar("T")
BOUNDED = settings(max_examples=150, deadline=None)
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
SPACES = st.sampled_from([" ", "\u3000", "\t", "\xa0"])
# Cells as offices and attackers write them: any text, digits of every script, long runs.
CELLS = st.one_of(
    st.text(max_size=60),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(0, 6000)),
)


def _refuses(reader: Callable[[str], T], cell: str, keys: set[str]) -> T | CellError:
    """Return what `reader` reads from `cell`, or the CellError it refuses it with."""
    result: T | CellError
    try:
        result = reader(cell)
    except CellError as error:
        result = error
    if isinstance(result, CellError):
        assert result.key in keys, result.key
        for value in result.values.values():
            assert len(str(value)) <= 21  # a message quotes at most the start of a cell
    return result


@BOUNDED
@given(CELLS)
def test_a_number_cell_reads_as_nothing_a_number_in_range_or_a_refusal(cell: str) -> None:
    result = _refuses(read_number, cell, {"import.error.bad_number", "import.error.number_range"})
    if result is None:
        assert unicodedata.normalize("NFKC", cell).strip() == ""
    elif not isinstance(result, CellError):
        assert isinstance(result, int)
        assert 1 <= result <= MAX_NUMBER
        assert re.sub(r"\D", "", unicodedata.normalize("NFKC", cell)).lstrip("0") == str(result)


@BOUNDED
@given(
    st.integers(1, MAX_NUMBER),
    st.integers(0, 3),
    st.booleans(),
    st.sampled_from(["", " ", "\u3000", "\n"]),
)
def test_a_number_in_range_reads_back_padded_full_width_or_spaced(
    number: int, zeros: int, full_width: bool, space: str
) -> None:
    text = "0" * zeros + str(number)
    if full_width:
        text = text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert read_number(space + text + space) == number


@BOUNDED
@given(st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=5))
def test_digits_of_other_scripts_are_no_number(text: str) -> None:
    if re.fullmatch(r"[0-9]+", unicodedata.normalize("NFKC", text).strip()):
        return  # ０-９, ①: NFKC makes them plain digits, which read as such
    with pytest.raises(CellError) as caught:
        read_number(text)
    assert caught.value.key == "import.error.bad_number"


@pytest.mark.parametrize("cell", ["᧚", "𐩀", "9" * 5000, "1" * 30, "0", "100000", "4.5", "-3"])
def test_hostile_numbers_are_refused(cell: str) -> None:
    with pytest.raises(CellError):
        read_number(cell)


@BOUNDED
@given(CELLS)
def test_a_leader_cell_reads_as_one_short_name_without_spaces_or_a_refusal(cell: str) -> None:
    result = _refuses(read_leader, cell, {"import.error.empty_cell", "import.error.too_long"})
    if isinstance(result, str):
        assert 1 <= len(result) <= MAX_LEADER_CHARS
        assert not re.search(r"\s", result)


@BOUNDED
@given(st.text(CJK, min_size=2, max_size=4), st.lists(st.tuples(st.integers(0, 4), SPACES)))
def test_spaces_inside_a_leader_name_do_not_make_another_leader(
    name: str, spaces: list[tuple[int, str]]
) -> None:
    spaced = name
    for at, space in spaces:
        spaced = spaced[:at] + space + spaced[at:]
    assert read_leader(spaced) == read_leader(name) == name


@BOUNDED
@given(CELLS)
def test_a_units_cell_reads_as_few_short_distinct_names_or_a_refusal(cell: str) -> None:
    result = _refuses(
        read_units,
        cell,
        {"import.error.empty_cell", "import.error.unit_too_long", "import.error.too_many_units"},
    )
    if isinstance(result, tuple):
        assert 1 <= len(result) <= MAX_UNITS_PER_CELL
        assert len(set(result)) == len(result)
        for unit in result:
            assert 1 <= len(unit) <= MAX_UNIT_CHARS
            assert not re.search(r"[\s、，,；;/／]", unit)


# Words that mark a cell's units rather than name one (市税务局牵头，各有关单位配合, X等部门).
MARKERS = (
    "牵头",
    "配合",
    "协同",
    "协办",
    "协助",
    "参与",
    "主办",
    "负责",
    "等",
    "单位",
    "部门",
    "由",
)


@BOUNDED
@given(
    st.lists(
        st.text(CJK, min_size=2, max_size=12).filter(lambda u: not any(m in u for m in MARKERS)),
        min_size=1,
        max_size=MAX_UNITS_PER_CELL,
    ),
    st.sampled_from([" ", "、", "，", ";", "  ", "\n"]),
)
def test_units_come_back_in_order_lead_first_each_once(units: list[str], separator: str) -> None:
    assert read_units(separator.join(units)) == tuple(dict.fromkeys(units))


@BOUNDED
@given(CELLS, st.integers(2000, 2099))
def test_a_deadline_cell_keeps_its_text_and_any_date_is_a_real_one(cell: str, year: int) -> None:
    result = _refuses(lambda c: read_deadline(c, year), cell, {"import.error.too_long"})
    if isinstance(result, CellError):
        assert len(cell) > MAX_DEADLINE_CHARS
        return
    assert len(cell) <= MAX_DEADLINE_CHARS
    assert result.text == cell.strip()
    assert result.due_date is None or 2000 <= result.due_date.year <= 2099
    assert not (result.ongoing and result.due_date is not None)


HEADER = Row(2, ("序号", "市政府领导", "责任目标内容", "完成时限", "责任单位"))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=0, max_size=6), max_size=6))
def test_a_table_of_any_cells_is_read_or_refused_with_a_place(rows: list[list[str]]) -> None:
    sheet = Sheet(
        "t",
        (
            Row(1, ("某市2023年责任目标",)),
            HEADER,
            *(Row(n, tuple(cells)) for n, cells in enumerate(rows, start=3)),
        ),
    )
    outcome: ParsedTable | TableError
    try:
        outcome = parse_table([sheet], "t.tsv")
    except TableError as error:
        outcome = error
    if isinstance(outcome, TableError):
        assert outcome.file == "t.tsv"
        assert outcome.row is None or 1 <= outcome.row <= len(rows) + 2
        return
    for target in outcome.targets:
        assert 1 <= target.number <= MAX_NUMBER
        for assignment in target.assignments:
            assert len(assignment.leader) <= MAX_LEADER_CHARS
            assert all(len(u) <= MAX_UNIT_CHARS for u in assignment.units)
