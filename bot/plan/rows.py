"""What the rows of other governments' tables mean: section headings, sub-items, dates, numbers.

Pure functions used by the importer's row reader: no I/O, no storage.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from bot.plan.numerals import chinese_number
from bot.status.quantities import quantities

# A target with no leader anywhere (no leader column, no heading naming one) is assigned to this
# placeholder: the storage needs a leader per assignment, and the table names none.
PLACEHOLDER_LEADER = "未指定"

# A section heading: 一、生态环保 / 二．… / 第三部分 … (the numbering restarts under these), or a
# sub-heading （一）工业经济 (a category, no restart).
_SECTION = re.compile(r"^(?P<n>[一二三四五六七八九十]{1,3})\s*[、.．]\s*(?P<text>.+)$")
_PART = re.compile(r"^第(?P<n>[一二三四五六七八九十]{1,3})部分\s*[、:：.．]?\s*(?P<text>.+)$")
_SUBSECTION = re.compile(r"^[(（](?P<n>[一二三四五六七八九十]{1,3})[)）]\s*(?P<text>.+)$")
_TITLES = (
    "常务副市长|副市长|市长|副书记|书记|副主任|主任|常务副县长|副县长|县长|常务副区长|副区长|区长"
    "|秘书长|主席"
)
_NAME = r"[\u4e00-\u9fff]{2,4}?"
# Words that are a role, never a person: 分管副市长 is no 分管 the person.
_NOT_NAMES = (
    "分管",
    "牵头",
    "负责",
    "联系",
    "领导",
    "责任",
    "常务",
    "包保",
    "主要",
    "工作",
    "重点",
    "政府",
    "市委",
    "县委",
    "区委",
    "同志",
    "部门",
    "单位",
)
# 汤飞帆市长牵头重点工作 / 牵头领导：李四 / 副市长李四牵头
_LEADER_PATTERNS = (
    re.compile(r"牵头(?:市)?领导\s*[:：]\s*(?P<name>[\u4e00-\u9fff]{2,4})"),
    re.compile(rf"^(?P<name>{_NAME})(?:同志)?(?:{_TITLES})"),
    re.compile(
        rf"^(?:分管|牵头|联系)?(?:{_TITLES})(?P<name>{_NAME})(?:同志)?(?:牵头|分管|负责|联系)"
    ),
    # 副市长刘红梅 / 分管副市长陈志刚重点工作: the title, then the name and at most a few words.
    re.compile(
        rf"^(?:分管|牵头|联系)?(?:{_TITLES})(?P<name>{_NAME})(?:同志)?"
        r"(?:牵头|分管|负责|联系)?(?:的)?(?:重点|主要)?(?:工作|任务|事项)?$"
    ),
)
# One side of a colon naming a person: 副市长陈志刚, 陈志刚副市长, 陈志刚同志 (and, after a
# side naming the role, 分管副市长：陈志刚, the bare name).
_PERSON = re.compile(
    rf"^(?:分管|牵头|联系|包保)?(?P<before>{_TITLES})?(?P<name>{_NAME})(?:同志)?"
    rf"(?P<after>{_TITLES})?(?:牵头|分管|负责|联系)?(?:的)?(?:重点|主要)?(?:工作|任务|事项)?$"
)
_ROLE_SIDE = re.compile(rf"领导|{_TITLES}|^(?:分管|牵头|联系|包保|责任)")
# How many items a heading says it holds: （共3项）, (3项), 共3项.
_COUNT = re.compile(r"[(（]?共?\d{1,3}(?:项|个|条)[)）]?$")


def _is_person(name: str) -> bool:
    return not any(word in name for word in _NOT_NAMES)


def _person(side: str, *, bare: bool) -> str | None:
    """Return the person one side of a heading's colon names, or None.

    Without `bare`, the name must stand with a title (副市长陈志刚, 陈志刚副市长).
    """
    m = _PERSON.match(side)
    if m is None or not _is_person(m.group("name")):
        return None
    if not bare and not (m.group("before") or m.group("after")):
        return None
    return m.group("name")


def leader_in_heading(body: str) -> str | None:
    """Return the leader a section heading's text names, or None.

    `分管副市长：陈志刚（共3项）`, `牵头领导：王芳`, `陈志刚副市长：工业经济`,
    `汤飞帆市长牵头重点工作`, `副市长李明分管工作`; a count (（共3项）) is no part of it,
    and a role word (分管, 牵头) is never taken for a name.
    """
    body = _COUNT.sub("", re.sub(r"\s+", "", body)).rstrip("：:")
    split = re.search(r"[:：]", body)
    left, colon, right = (
        (body[: split.start()], split.group(0), body[split.end() :]) if split else (body, "", "")
    )
    if colon:
        right = _COUNT.sub("", right)
        role_left = bool(_ROLE_SIDE.search(left))
        found = _person(left, bare=False) or _person(right, bare=role_left)
        if found is not None:
            return found
        if role_left:
            return None  # 分管副市长：… that names nobody: no leader, and no invented one
    for pattern in _LEADER_PATTERNS:
        m = pattern.search(body)
        if m is not None and _is_person(m.group("name")):
            return m.group("name")
    return None


# A sub-item's own mark: （1） (1) （一） 1. 1、 ① …
_ITEM_MARK = re.compile(
    r"^\s*(?:[(（]\s*(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*[)）]|\d{1,3}(?:\.\d{1,3})+\s"
    r"|\d{1,3}\s*[.、．]"
    r"|[\u2460-\u2473])"
)

# Dates that say when a report was made: 截至5月15日, (8月24日), 1-8月, 上半年.
_DAY = re.compile(r"(?:(?P<y>20\d\d)\s*年)?\s*(?P<m>1[0-2]|0?[1-9])\s*月\s*(?P<d>[0-3]?\d)\s*日")
_MONTHS = re.compile(
    r"(?:1|一)\s*[-－—~～至到]\s*(?P<m>1[0-2]|[2-9]|[二三四五六七八九]|十[一二]?)\s*月"
)
_HALF = re.compile(r"上半年")
# 截至8月底, 截止9月末, 截至八月: the end of that month; 8月进展, 8月份工作进展: the same.
_MONTH_END = re.compile(
    r"截[至止]\s*(?:(?P<y>20\d\d)\s*年)?\s*(?P<m>1[0-2]|0?[1-9]|[一二三四五六七八九]|十[一二]?)\s*月\s*(?:份|底|末)?"
    r"|^\s*(?P<m2>1[0-2]|0?[1-9])\s*月\s*(?:份|底|末)?\s*(?:工作|工程|项目|建设)?\s*(?:进展|进度)"
)


@dataclass(frozen=True)
class Section:
    """A heading row: where its numbering starts, and the leader or category it gives."""

    number: int | None  # 一、 → 1 for a top-level section; None for a sub-heading
    leader: str | None
    category: str | None


def heading_of(text: str) -> Section | None:
    """Read a section heading (一、汤飞帆市长牵头重点工作, （二）生态环保), or None."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"\s+", "", text)
    for pattern, top in ((_SECTION, True), (_PART, True), (_SUBSECTION, False)):
        m = pattern.match(text)
        if m is None:
            continue
        body = m.group("text").strip()
        if len(body) > 60 or not re.search(r"[\u4e00-\u9fff]", body):
            return None  # a sentence, not a heading
        number = chinese_number(m.group("n")) if top else None
        leader = leader_in_heading(body)
        category = None if leader else _COUNT.sub("", body).rstrip("：:") or body
        return Section(number, leader, category)
    return None


def add_sub_item(content: str, item: str, count: int) -> str:
    """Append a sub-item (the `count`th so far, from 1) to a target's content, on a new line.

    A sub-item without a mark of its own is numbered （n）; when the target's first line is an
    item itself (not a lead-in ending in ：), it becomes （1） and the sub-items follow from （2）.
    """
    item = item.strip()
    if _ITEM_MARK.match(item):
        return f"{content}\n{item}"
    lead_in = content.split("\n", 1)[0].rstrip().endswith(("：", ":"))
    if lead_in:
        return f"{content}\n（{count}）{item}"
    if count == 1 and not _ITEM_MARK.match(content):
        content = f"（1）{content}"
    return f"{content}\n（{count + 1}）{item}"


def item_mark(line: str) -> str:
    """Return the mark a sub-item line opens with (（2）, 1., ①), or ""."""
    m = _ITEM_MARK.match(line)
    return m.group(0).strip() if m else ""


def _month(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return chinese_number(text)


def as_of_in(text: str, year: int) -> date | None:
    """Return the date a title or header says a report is of.

    截至5月15日 → that day; 1-8月, 截至8月底, 8月进展 → the end of August; 上半年 → 30 June.
    """
    text = unicodedata.normalize("NFKC", text)
    if m := _DAY.search(text):
        try:
            return date(int(m.group("y") or year), int(m.group("m")), int(m.group("d")))
        except ValueError:
            return None
    if m := _MONTHS.search(text):
        month = _month(m.group("m"))
        if month is None or not 1 <= month <= 12:
            return None
        return _month_end(year, month)
    if _HALF.search(text):
        return date(year, 6, 30)
    if m := _MONTH_END.search(text):
        month = _month(m.group("m") or m.group("m2"))
        if month is None or not 1 <= month <= 12:
            return None
        return _month_end(int(m.group("y") or year), month)
    return None


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date.fromordinal(date(year, month + 1, 1).toordinal() - 1)


def quarter_of(day: date) -> int:
    """Return the quarter (1-4) a date falls in."""
    return (day.month - 1) // 3 + 1


def _percent(text: str) -> str | None:
    """Return a share cell as `28%` (28, 28%, 0.28 → 28%), or None when it is no share."""
    value = unicodedata.normalize("NFKC", text).strip().rstrip("%").strip()
    if not re.fullmatch(r"\d{1,4}(?:\.\d{1,4})?", value):
        return None
    number = float(value)
    if "." in value and number <= 1 and not text.strip().endswith("%"):
        number *= 100  # a spreadsheet's 0.28 formatted as a percentage
    return f"{number:g}%"


def numbers_progress(
    progress: str, percent: str, planned: str, actual: str, rate: str
) -> str | None:
    """Return a progress text carrying a table's numbers, so that the at-risk estimate reads them.

    `形象进度 28%；<progress>`, `实际完成 700人（目标 1300人，完成率 54%）；<progress>`; a
    bare percentage or a cell without numbers is kept as written.
    """
    parts: list[str] = []
    if percent:
        share = _percent(percent)
        parts.append(f"形象进度 {share}" if share else f"形象进度 {percent}")
    if actual:
        planned_amounts = quantities(planned) if planned else []
        unit = planned_amounts[0].unit if len(planned_amounts) == 1 else ""
        done = actual.strip()
        if unit and re.fullmatch(r"\d+(?:\.\d+)?", done):
            done += unit
        stated = _percent(rate) if rate else None
        if stated is None and planned_amounts and len(planned_amounts) == 1:
            achieved = [q for q in quantities(done) if q.unit == planned_amounts[0].unit]
            if len(achieved) == 1 and planned_amounts[0].value > 0:
                stated = f"{achieved[0].value / planned_amounts[0].value * 100:.0f}%"
        facts = [f"目标 {planned.strip()}"] if planned else []
        if stated:
            facts.append(f"完成率 {stated}")
        parts.append(f"实际完成 {done}" + (f"（{'，'.join(facts)}）" if facts else ""))
    elif rate:
        share = _percent(rate)
        parts.append(f"完成率 {share}" if share else f"完成率 {rate}")
    if progress:
        parts.append(progress)
    return "；".join(parts) if parts else None


_STATUS_RANK = {"behind": 0, "on_track": 1, "completed": 2}


def worst_status(first: str | None, second: str | None) -> str | None:
    """Return the status of a target whose sub-items report two: the one furthest behind."""
    if first is None or second is None:
        return first or second
    return min(first, second, key=lambda s: _STATUS_RANK.get(s, 1))
