"""Quantities in Chinese target and progress texts, and how far a target has come.

`新建并开通5G基站1700个以上` → 1700 个 (at least); `完成投资30亿元以上` → 3.0e9 元;
`新增就业6.5万人以上` → 65000 人; `增长6%左右` → 6 % (about). Pure functions: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.plan.numerals import CHARACTERS, chinese_number
from bot.plan.numerals import MAX_LENGTH as MAX_NUMERAL

# Units a count can carry, longest first so that 场次 wins over 场.
UNITS = sorted(
    [
        "个",
        "家",
        "人",
        "人次",
        "元",
        "项",
        "处",
        "场次",
        "场",
        "次",
        "公里",
        "千米",
        "米",
        "平方米",
        "亩",
        "吨",
        "座",
        "条",
        "所",
        "户",
        "名",
        "台",
        "套",
        "辆",
        "栋",
        "间",
        "张",
        "件",
        "种",
        "位",
        "块",
        "株",
        "棵",
        "头",
        "只",
        "千瓦",
        "兆瓦",
        "床",
        "张床",
        "%",
    ],
    key=len,
    reverse=True,
)
MAGNITUDES = {"万亿": 1e12, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3, "百": 1e2}
AT_LEAST = ("以上", "超过", "不少于", "至少", "突破", "过")
ABOUT = ("左右", "约")
AT_MOST = ("以内", "以下", "不超过", "控制在")
# Numbers out of any sane range are not amounts: at most MAX_DIGITS digits before the point
# (and as many after), at most MAX_NUMERAL Chinese numerals, never part of a longer run (the
# look-behinds), and no value above MAX_VALUE. This also keeps reading a long run linear.
MAX_DIGITS = 15
MAX_VALUE = 1e15  # base units: 1000万亿元 and more is no target's amount
_DECIMAL = rf"(?<!\d)(?<!\d\.)\d{{1,{MAX_DIGITS}}}(?:\.\d{{1,{MAX_DIGITS}}})?"
_NUMERALS = rf"(?<![{CHARACTERS}])[{CHARACTERS}]{{1,{MAX_NUMERAL}}}"
_NUMBER = rf"(?P<num>{_DECIMAL}|{_NUMERALS})"
_MAGNITUDE = r"(?P<mag>万亿|千万|百万|亿|万|千)?"
_UNIT = "(?P<unit>" + "|".join(map(re.escape, UNITS)) + ")"
_QUANTITY = re.compile(rf"(?P<about>约)?{_NUMBER}\s*{_MAGNITUDE}\s*(?P<more>余|多)?\s*{_UNIT}")
# The first of two amounts sharing a unit: 5000或10000元, 3至5个.
_RANGE_START = re.compile(rf"({_DECIMAL})\s*(?:或|至|到|～|~|-|—)\s*$")
# How much text before an amount is read for the words around it (第, 超过, 5000或 …).
BEFORE = 40
# Completion stated outright: 完成率87.3%, 完成年度目标任务的136%, 占年度计划的117%, and a
# share done as other tables write it: 形象进度 28%, or a progress cell that opens with one
# (88%(…推进缓慢)). A percentage elsewhere in a text is a rate (增长6%), not a share done.
_EXPLICIT = re.compile(
    r"(?:完成率(?:为|达到?|达)?|完成(?:了)?(?:全年|年度)?(?:目标)?(?:任务)?的|占(?:全年|年度)?(?:计划|目标|任务)的"
    r"|(?:形象|工程|总体|当前|整体)?进度(?:为|达到?|达|已达)?\s*[:：]?|^)"
    r"\s*(?P<share>(?<!\d)\d{1,4}(?:\.\d{1,8})?)\s*%"
)
# Numbers that are names, not amounts: 5G, 2023年, 3岁以下, 第130位.
_NOT_AN_AMOUNT_BEFORE = re.compile(r"(第|前|近|每)$")
LOWER_BOUND_BEFORE = ("超过", "不少于", "至少", "突破", "过", "超")
UPPER_BOUND_BEFORE = ("不超过", "控制在")


@dataclass(frozen=True)
class Quantity:
    """An amount in a text: its value in base units (元, 人, 个 …), and how it is bounded."""

    value: float
    unit: str
    bound: str  # "exact", "at_least", "about" or "at_most"
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Estimate:
    """How far a target has come: achieved of target in one unit, or a stated completion."""

    target: float | None
    achieved: float | None
    unit: str | None
    share: float  # achieved / target, 0.36 for 36 %
    explicit: bool = False  # stated in the text (完成率 …) rather than paired


def _chinese_number(text: str) -> float | None:
    """Return the value of a simple Chinese numeral (三, 十一, 二十五, 三百), or None."""
    value = chinese_number(text)
    return None if value is None else float(value)


def quantities(text: str) -> list[Quantity]:
    """Return every amount with a unit in a text, in order.

    Every value is finite and at most MAX_VALUE: a longer run of numerals is no amount.
    """
    found: list[Quantity] = []
    for m in _QUANTITY.finditer(text):
        raw = m.group("num")
        before = text[max(0, m.start("num") - BEFORE) : m.start("num")]
        if _NOT_AN_AMOUNT_BEFORE.search(before):
            continue  # 第130位, 前三季度, 每人: a rank or a rate, not an amount
        if raw.isascii():
            if re.search(r"[A-Za-z.]$", before):
                continue  # 5G, A3: a name
            value = float(raw)
        else:
            parsed = _chinese_number(raw)
            if parsed is None or raw == "一":
                continue  # 一批, 一次性, 一个: words, not counts
            value = parsed
        unit = m.group("unit")
        after = text[m.end() : m.end() + 4]
        if unit == "个" and after.startswith("百分点"):
            continue  # 5.6个百分点: a difference of rates
        factor = MAGNITUDES[m.group("mag")] if m.group("mag") else 1.0
        if value * factor > MAX_VALUE:
            continue  # beyond any target's amount: digits, not a quantity
        bound = _bound(m, before, after)
        found.append(
            Quantity(round(value * factor, 6), unit, bound, m.start(), m.end(), m.group(0))
        )
        # Searched in the text itself (not `before`): its look-behinds see what precedes.
        first = _RANGE_START.search(text, m.start("num") - len(before), m.start("num"))
        if first and float(first.group(1)) * factor <= MAX_VALUE:
            # 5000或10000元: the first amount has the same unit
            start = first.start()
            found.insert(
                len(found) - 1,
                Quantity(
                    round(float(first.group(1)) * factor, 6),
                    unit,
                    bound,
                    start,
                    m.end(),
                    text[start : m.end()],
                ),
            )
    return found


def _bound(m: re.Match[str], before: str, after: str) -> str:
    """Return how an amount is bounded by the words around it."""
    if m.group("about") or any(after.startswith(w) for w in ABOUT):
        return "about"
    if (
        m.group("more")
        or any(after.startswith(w) for w in AT_LEAST)
        or before.endswith(LOWER_BOUND_BEFORE)
    ):
        return "at_least" if not before.endswith(UPPER_BOUND_BEFORE) else "at_most"
    if any(after.startswith(w) for w in AT_MOST) or before.endswith(UPPER_BOUND_BEFORE):
        return "at_most"
    return "exact"


def stated_completion(progress: str) -> float | None:
    """Return a completion share stated in a progress text (完成率87.3% → 0.873), if any."""
    m = _EXPLICIT.search(progress)
    return float(m.group("share")) / 100 if m else None


def _context(text: str, quantity: Quantity) -> set[str]:
    """Return the characters just before an amount: what it counts (服务站, 投资)."""
    return set(text[max(0, quantity.start - 10) : quantity.start])


def estimate(target_text: str, progress: str) -> Estimate | None:
    """Return how far a target has come, or None when unsure.

    A completion stated in the progress wins. Otherwise the target must name exactly one amount
    of some unit (percentages are rates, not amounts to accumulate), and the progress must name
    an amount of the same unit; among several, the one counting the same thing (most shared
    characters just before it) is taken. Different units never pair.
    """
    stated = stated_completion(progress)
    if stated is not None:
        return Estimate(None, None, None, stated, explicit=True)
    goals = [q for q in quantities(target_text) if q.unit != "%" and q.bound != "at_most"]
    by_unit: dict[str, list[Quantity]] = {}
    for goal in goals:
        by_unit.setdefault(goal.unit, []).append(goal)
    done = quantities(progress)
    best: Estimate | None = None
    for unit, same in by_unit.items():
        if len(same) != 1 or same[0].value <= 0:
            continue  # two amounts of one unit in the target: which is which is a guess
        goal = same[0]
        candidates = [q for q in done if q.unit == unit]
        if not candidates:
            continue
        wanted = _context(target_text, goal)
        achieved = max(
            candidates, key=lambda q: (len(wanted & _context(progress, q)), -candidates.index(q))
        )
        share = achieved.value / goal.value
        if best is None or share < best.share:  # several units paired: the furthest behind
            best = Estimate(goal.value, achieved.value, unit, share)
    return best


def elapsed_share(period_end: date, due: date | None, year: int) -> float | None:
    """Return the share of a target's time gone at a period's end, in months (Q3 of 年底: 0.75).

    The time runs from the start of the plan's year to the due date; ongoing targets (no due
    date) run the whole year.
    """
    due = due or date(year, 12, 31)
    total = (due.year - year) * 12 + due.month
    gone = (period_end.year - year) * 12 + period_end.month
    if total <= 0:
        return None
    return min(1.0, max(0.0, gone / total))


def format_amount(value: float, unit: str) -> str:
    """Return an amount the way the tables write it: 16.32亿元, 6.5万人, 1700个."""
    for word, factor in (("亿", 1e8), ("万", 1e4)):
        if abs(value) >= factor and unit not in ("%",):
            return f"{value / factor:.4g}{word}{unit}"
    return f"{value:.6g}{unit}"
