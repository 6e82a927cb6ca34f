"""Chinese numerals as written in target tables: 三, 十一, 二十五, 三百, 一二三."""

from __future__ import annotations

DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000}
CHARACTERS = "".join(DIGITS) + "".join(UNITS)  # for regular expressions
# The longest numeral read (一二三四五六七八九零一二, 九千九百九十九): a longer run of numerals is
# no amount, and reading it would build integers beyond any float (and, past 4,300 digits,
# beyond what Python converts from text).
MAX_LENGTH = 12


def chinese_number(text: str) -> int | None:
    """Return the value of a simple Chinese numeral (三, 十一, 二十五, 三百), or None.

    None also for a run longer than MAX_LENGTH: no table writes a number so.
    """
    if not text or len(text) > MAX_LENGTH:
        return None
    if all(ch in DIGITS for ch in text):
        return int("".join(str(DIGITS[ch]) for ch in text))
    total, digit = 0, 0
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch in UNITS:
            total += (digit or 1) * UNITS[ch]
            digit = 0
        else:
            return None
    return total + digit
