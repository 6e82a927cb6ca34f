"""Deadline words of real tables become due dates, ongoing work, or words kept as they are."""

from __future__ import annotations

from datetime import date

import pytest

from bot.plan.deadlines import parse_deadline

CASES = [
    ("年底", date(2023, 12, 31)),
    ("10月底", date(2023, 10, 31)),
    ("6月底前", date(2023, 6, 30)),
    ("三季度末", date(2023, 9, 30)),
    ("2023年9月30日", date(2023, 9, 30)),
    ("2024年底", date(2024, 12, 31)),
    ("2月底", date(2023, 2, 28)),
    ("十月底", date(2023, 10, 31)),
    ("9月30日前", date(2023, 9, 30)),
    ("上半年", date(2023, 6, 30)),
    ("年中", date(2023, 6, 30)),
    ("前三季度", date(2023, 9, 30)),
    ("四季度", date(2023, 12, 31)),
    ("10月中旬", date(2023, 10, 20)),
    ("2023-09-30", date(2023, 9, 30)),
    ("2023.9.30", date(2023, 9, 30)),
    (" 年 底 ", date(2023, 12, 31)),
]


@pytest.mark.parametrize(("text", "due"), CASES)
def test_dates(text: str, due: date) -> None:
    deadline = parse_deadline(text, 2023)
    assert (deadline.due_date, deadline.ongoing, deadline.understood) == (due, False, True)


@pytest.mark.parametrize("text", ["长期坚持", "持续推进"])
def test_ongoing_work_has_no_due_date(text: str) -> None:
    deadline = parse_deadline(text, 2023)
    assert (deadline.due_date, deadline.ongoing, deadline.understood) == (None, True, True)


@pytest.mark.parametrize("text", ["视情况而定", "13月底", "2月30日", ""])
def test_unreadable_words_are_kept_without_a_date(text: str) -> None:
    deadline = parse_deadline(text, 2023)
    assert (deadline.due_date, deadline.understood, deadline.text) == (None, False, text)
