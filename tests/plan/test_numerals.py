"""Chinese numerals: the forms tables write, and runs too long to be a number."""

from __future__ import annotations

import pytest

from bot.plan.numerals import MAX_LENGTH, chinese_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三", 3),
        ("十", 10),
        ("十一", 11),
        ("二十五", 25),
        ("三百", 300),
        ("两千零五", 2005),
        ("九千九百九十九", 9999),
        ("一二三", 123),
        ("零", 0),
    ],
)
def test_the_forms_tables_write(text: str, value: int) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize("length", [MAX_LENGTH + 1, 310, 4301, 5000])
def test_a_run_too_long_to_be_a_number_is_none(length: int) -> None:
    assert chinese_number("一" * length) is None
    assert chinese_number("九十" * length) is None


@pytest.mark.parametrize("text", ["", "三x", "五G", "第一"])
def test_what_is_no_numeral_is_none(text: str) -> None:
    assert chinese_number(text) is None
