"""Turn the 完成时限 column's words into a due date (or none, for ongoing targets)."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from bot.plan.numerals import chinese_number

# Words that mean "no end date": the work goes on.
ONGOING_WORDS = ("长期坚持", "持续推进", "长期", "持续", "常态化", "长期推进", "持续开展")

_QUARTER_END_MONTH = {1: 3, 2: 6, 3: 9, 4: 12}
_NUM = r"(\d{1,2}|十[一二]?|[一二两三四五六七八九])"
_FILLER = r"(?:前|之前|以前|完成|底前|末前)*"


@dataclass(frozen=True)
class Deadline:
    """What a deadline text means: a due date, ongoing work, or words we could not read."""

    text: str
    due_date: date | None
    ongoing: bool

    @property
    def understood(self) -> bool:
        """Tell whether the text was read as a date or as ongoing work."""
        return self.ongoing or self.due_date is not None


def _number(token: str) -> int:
    value = int(token) if token.isdigit() else chinese_number(token)
    assert value is not None, token  # the patterns only let numerals through
    return value


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_deadline(text: str, year: int) -> Deadline:
    """Read a deadline such as `年底`, `10月底`, `6月底前`, `三季度末`, `2023年9月30日`.

    `year` is the plan's year, used where the text names none.
    """
    raw = text.strip()
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))
    if not s:
        return Deadline(raw, None, False)
    if any(s == word or s.startswith(word) for word in ONGOING_WORDS):
        return Deadline(raw, None, True)

    # An explicit year ahead of the rest: 2023年…, 2024年底.
    m = re.match(r"^(20\d\d)(?:年|[-./](?=\d))(.*)$", s)
    if m:
        year, s = int(m.group(1)), m.group(2) or "年底"
    due = _parse_in_year(s, year)
    return Deadline(raw, due, False)


def _parse_in_year(s: str, year: int) -> date | None:
    """Read the part of a deadline after any explicit year."""
    if re.fullmatch(r"(年底|年末|底|末|年内|全年|年度|下半年)" + _FILLER, s):
        return date(year, 12, 31)
    if re.fullmatch(r"(年中|上半年|二季度末?|第二季度末?)" + _FILLER, s):
        return date(year, 6, 30)
    m = re.fullmatch(r"(?:第|前)?([一二三四1-4])季度(?:末|底)?" + _FILLER, s)
    if m:
        return _month_end(year, _QUARTER_END_MONTH[_number(m.group(1))])
    # 9月30日, 9-30, 9.30, 9/30
    m = re.fullmatch(_NUM + r"(?:月|[-./])(\d{1,2})(?:日|号)?" + _FILLER, s)
    if m:
        return _safe_date(year, _number(m.group(1)), int(m.group(2)))
    # 10月中旬 / 上旬 / 下旬
    m = re.fullmatch(_NUM + r"月(上|中|下)旬" + _FILLER, s)
    if m:
        month = _number(m.group(1))
        if not 1 <= month <= 12:
            return None
        part = m.group(2)
        return (
            date(year, month, 10)
            if part == "上"
            else (date(year, month, 20) if part == "中" else _month_end(year, month))
        )
    # 10月底, 6月底前, 10月末, 10月份, 10月
    m = re.fullmatch(_NUM + r"月(?:份)?(?:底|末)?" + _FILLER, s)
    if m:
        month = _number(m.group(1))
        return _month_end(year, month) if 1 <= month <= 12 else None
    return None
