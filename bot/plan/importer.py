"""Import a target table (一览表): find its title, header and rows, then store it all or nothing."""

from __future__ import annotations

import gc
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot import clock
from bot.i18n import Translator
from bot.plan import columns as columns_of
from bot.plan.columns import ColumnUse, Header, Localised
from bot.plan.deadlines import Deadline, parse_deadline
from bot.plan.export import progress_cell
from bot.plan.names import normalise_name, split_lead_and_assisting, split_units
from bot.plan.rows import (
    PLACEHOLDER_LEADER,
    Section,
    add_sub_item,
    as_of_in,
    heading_of,
    item_mark,
    numbers_progress,
    quarter_of,
    worst_status,
)
from bot.plan.tables import Row, Sheet, TableError, read_sheets
from bot.status.quantities import stated_completion
from storage import audit, targets
from storage.db import transaction

T = TypeVar("T")

MAX_CONTENT_CHARS = 2_000
MAX_PROGRESS_CHARS = 10_000
# Names and short cells have their own limits: a name has to fit on a button and in a line.
MAX_LEADER_CHARS = 60  # generous: a cell may carry titles (市委常委、常务副市长 …)
MAX_UNIT_CHARS = 100
MAX_UNITS_PER_CELL = 30
MAX_DEADLINE_CHARS = 100
MAX_NUMBER = 99_999
MAX_TITLE_CHARS = 200
# Leader, unit and deadline cells repeat down a table: each distinct one is read once.
CELL_CACHE = 4096

# The leader stored for the targets of a table that names none (no column, no heading).
UNKNOWN_LEADER = PLACEHOLDER_LEADER
# Columns whose cells make an imported report (with the period the table is of).
REPORT_COLUMNS = ("progress", "percent", "actual", "rate")

_QUARTER = re.compile(r"(?:前|第)?([一二三四1-4])季度|上半年")
_YEAR = re.compile(r"(20\d\d)\s*年")
_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIOD = re.compile(r"^(20\d\d)\s*[Qq]([1-4])$")
# A report's date in a title is no part of the plan's name: (截至5月15日), 1-8月.
_DATED = re.compile(
    r"[(（]?截至\d{1,2}月(?:\d{1,2}日)?(?:底)?[)）]?|[(（]\d{1,2}月\d{1,2}日[)）]"
    r"|(?<=年)1\s*[-—~～至]\s*\d{1,2}月(?:份)?"
)
_YEAR_IN_FILE = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Notice:
    """Something the importer tells the user without refusing the table."""

    key: str
    values: dict[str, object]


@dataclass(frozen=True)
class ParsedAssignment:
    """One row of the table as read: leader, units (lead first), and its progress, if any."""

    row: int
    leader: str
    units: tuple[str, ...]
    progress: str | None
    status: str | None
    assisting: tuple[str, ...] = ()  # a 配合单位 column's units (the lead units are `units`)


@dataclass(frozen=True)
class ParsedTarget:
    """A numbered target as read, with one assignment per row."""

    row: int
    number: int
    content: str
    deadline: Deadline
    assignments: tuple[ParsedAssignment, ...]
    label: str | None = None  # the number as the table shows it when numbering restarts: 2-3
    category: str | None = None  # the section heading's category (二、生态环保 → 生态环保)
    extra: tuple[tuple[str, str], ...] = ()  # (header, value) of the table's other columns


@dataclass(frozen=True)
class ParsedTable:
    """Everything a table says, validated and ready to store."""

    file: str
    plan_title: str
    year: int
    period: str | None
    targets: tuple[ParsedTarget, ...]
    notices: tuple[Notice, ...] = ()
    # What each column of the header was taken as (a role, or "extra"), for previews.
    columns: tuple[ColumnUse, ...] = ()
    as_of: date | None = None  # the report's date, when the table names one (截至5月15日)
    title_line: str = ""  # the title line as the table writes it (kept for exports)


@dataclass
class ImportSummary:
    """What an import did (or, in a dry run, would do)."""

    file: str
    plan_title: str
    period: str | None
    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)
    reports_added: int = 0
    leaders_added: int = 0
    units_added: int = 0
    notices: tuple[Notice, ...] = ()
    dry_run: bool = False
    as_of: date | None = None

    @property
    def changes_anything(self) -> bool:
        """Tell whether the import stores anything new."""
        return bool(self.added or self.changed or self.retired or self.reports_added)


# ---------------------------------------------------------------------------- reading


class CellError(Exception):
    """One cell cannot be read; the message key and values say why (the caller says where)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


def excerpt(text: str, limit: int = 20) -> str:
    """Return the start of a text for a message, marked with … where cut."""
    return text if len(text) <= limit else text[:limit] + "…"


def read_number(cell: str) -> int | None:
    """Read a 序号 cell: None when empty, else a whole number from 1 to MAX_NUMBER."""
    if cell.isascii() and cell.isdigit() and len(cell) <= len(str(MAX_NUMBER)):
        number = int(cell)  # the usual 序号: plain digits, which NFKC and strip leave alone
        if 0 < number <= MAX_NUMBER:
            return number
    text = unicodedata.normalize("NFKC", cell).strip()
    if not text:
        return None
    # Only 0-9 (NFKC has made full-width digits plain): other scripts' digits pass isdigit()
    # but are no 序号, and int() refuses some of them.
    if not re.fullmatch(r"[0-9]+", text):
        raise CellError("import.error.bad_number", value=excerpt(text))
    significant = text.lstrip("0")
    if not significant or len(significant) > len(str(MAX_NUMBER)) or int(significant) > MAX_NUMBER:
        raise CellError("import.error.number_range", value=excerpt(text), limit=MAX_NUMBER)
    return int(significant)


def _limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise CellError("import.error.too_long", length=len(text), limit=limit)
    return text


@lru_cache(maxsize=CELL_CACHE)
def read_leader(cell: str) -> str:
    """Read a 市政府领导 cell into one normalised name of at most MAX_LEADER_CHARS."""
    name = normalise_name(cell)
    if not name:
        raise CellError("import.error.empty_cell")
    return _limited(name, MAX_LEADER_CHARS)


@lru_cache(maxsize=CELL_CACHE)
def read_units(cell: str) -> tuple[str, ...]:
    """Read a 责任单位 cell into unit names (lead first), each of at most MAX_UNIT_CHARS."""
    units = split_units(cell)
    _check_units(units)
    return units


def _check_units(units: Sequence[str]) -> None:
    """Refuse a cell's units: none, one too long, or too many."""
    if not units:
        raise CellError("import.error.empty_cell")
    for unit in units:
        if len(unit) > MAX_UNIT_CHARS:
            raise CellError(
                "import.error.unit_too_long",
                name=excerpt(unit),
                length=len(unit),
                limit=MAX_UNIT_CHARS,
            )
    if len(units) > MAX_UNITS_PER_CELL:
        raise CellError("import.error.too_many_units", count=len(units), limit=MAX_UNITS_PER_CELL)


@lru_cache(maxsize=CELL_CACHE)
def read_lead_and_assisting(cell: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Read a 责任单位 cell into (lead units, assisting units it names: `B配合`), checked
    as `read_units` checks; a cell naming only assisting units has them lead."""
    lead, assisting = split_lead_and_assisting(cell)
    _check_units((*lead, *assisting))
    if not lead:
        lead, assisting = assisting, ()
    return lead, assisting


@lru_cache(maxsize=CELL_CACHE)
def read_deadline(cell: str, year: int) -> Deadline:
    """Read a 完成时限 cell of at most MAX_DEADLINE_CHARS (kept as text when no date is in it)."""
    return parse_deadline(_limited(cell, MAX_DEADLINE_CHARS), year)


@lru_cache(maxsize=CELL_CACHE)
def read_status_cell(cell: str) -> tuple[str, str | None]:
    """Read a 是否按计划 cell: (its text without spaces, the status it says or None)."""
    text = _SPACES.sub("", cell)
    return text, columns_of.read_status(text)


def _is_text_line(row: Row) -> bool:
    """Tell whether a row is one piece of text (a title, section heading or note), not data."""
    values = {cell for cell in row.cells if cell}
    if len(values) != 1:
        return False
    text = values.pop()
    return not text.isdigit() and (bool(row.cells[0]) or sum(1 for c in row.cells if c) > 1)


def _quarter_in(text: str) -> tuple[int | None, int]:
    """Return the quarter a text names (三季度, 前三季度, Q3, 上半年) and where it starts."""
    m = _QUARTER.search(text)
    if m is None:
        return None, len(text)
    return (_CN_QUARTER[m.group(1)] if m.group(1) else 2), m.start()


def _plan_from_title(title: str) -> tuple[str, int | None, int | None]:
    """Split a title line into (plan name, year, quarter)."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", title))
    year_match = _YEAR.search(text)
    quarter, start = _quarter_in(text)
    # The plan is what comes before the quarter: 菏泽市人民政府2023年经济社会发展责任目标.
    name = (
        text[:start]
        if quarter
        else re.sub(r"(工作)?(推进|完成|进展|落实)情况.*$|一览表$", "", text)
    )
    return (
        name.rstrip("（(-—:：") or text,
        int(year_match.group(1)) if year_match else None,
        quarter,
    )


def _title_of(rows: Sequence[Row]) -> str:
    """Return the title among the text lines above the header: the one naming a year, if any."""
    lines = [next(c for c in row.cells if c) for row in rows if _is_text_line(row)]
    return next((line for line in lines if _YEAR.search(line)), lines[0] if lines else "")


def parse_table(
    sheets: Sequence[Sheet],
    file: str,
    *,
    plan_title: str | None = None,
    period: str | None = None,
    columns: dict[str, str] | None = None,
) -> ParsedTable:
    """Read the target table out of a file's sheets, or raise TableError naming where it fails.

    `columns` maps roles to header texts by hand (内容 → 项目名称), where names do not tell.
    """
    sheet, header = columns_of.place_header(sheets, file, columns)
    header_index, header_row = header.index, header.row
    roles = header.roles

    # ---- title and period (ROWS): the title, --plan, --period, the file name, the clock.
    notices: list[Notice] = []
    title_text = _title_of(sheet.rows[:header_index])
    name, year, quarter = _plan_from_title(title_text) if title_text else ("", None, None)
    reported = any(key in roles for key in REPORT_COLUMNS)
    stem = Path(file).stem.strip()
    name = _DATED.sub("", name).rstrip("（(-—:：") or name  # the same plan on every date
    if plan_title:
        name = plan_title.strip()
    if not name:
        name = stem  # no title line: the file's name is the plan's
    if not name:
        raise TableError("import.error.no_title", file=file)
    if len(name) > MAX_TITLE_CHARS:
        raise TableError(
            "import.error.title_too_long", file=file, length=len(name), limit=MAX_TITLE_CHARS
        )
    chosen: tuple[int, int] | None = None
    if period is not None:
        m = _PERIOD.match(period.strip())
        if m is None:
            raise TableError("import.error.bad_period", file=file, value=period)
        chosen = int(m.group(1)), int(m.group(2))
        year = chosen[0]
    if year is None and (year_match := _YEAR.search(name) or _YEAR_IN_FILE.search(stem)):
        year = int(year_match.group(1))
    if year is None:
        year = clock.today().year
        notices.append(Notice("import.notice.year_assumed", {"year": year}))
    progress_header = header_row.cell(roles["progress"]) if "progress" in roles else ""
    # The report's date: the title, the progress header, then any header cell or line above
    # the header (截至8月底进展, 填报时间：2024年7月5日).
    above = [" ".join(c for c in row.cells if c) for row in sheet.rows[:header_index]]
    stated = [text for text in above if not _FILED.search(text)]
    as_of = next(
        (
            day
            for text in (title_text, progress_header, *header_row.cells, *stated)
            if (day := as_of_in(text, year)) is not None and day.year == year
        ),
        None,
    )
    if as_of is not None and (quarter is None or as_of_in(title_text, year) is not None):
        quarter = quarter_of(as_of) if quarter is None else quarter
    if quarter is None:
        # 填报时间：2024年7月5日 is when it was filed: in a quarter's first month, the quarter
        # before is the one reported.
        filed = [day for t in above if _FILED.search(t) and (day := as_of_in(t, year))]
        if filed and filed[0].year == year:
            day = filed[0]
            quarter = quarter_of(day)
            if day.month in (1, 4, 7, 10) and quarter > 1:
                quarter -= 1
    if reported and quarter is None:
        quarter, _ = _quarter_in(progress_header)
    if chosen is not None:
        quarter = chosen[1]
    if reported and quarter is None:
        # No quarter anywhere: this year's current quarter (an earlier year's last), said so.
        today = clock.today()
        quarter = quarter_of(today) if year == today.year else (4 if year < today.year else 1)
        notices.append(Notice("import.notice.period_assumed", {"period": f"{year}Q{quarter}"}))
    table_period = f"{year}Q{quarter}" if reported else None

    extras = {u.index: re.sub(r"\s+", "", u.header) for u in header.extras if u.header.strip()}
    reader = _RowReader(file, roles, year, header_row.number, header, extras)
    parsed = reader.targets(sheet.rows[header_index + 1 :])
    notices.extend(
        Notice(
            "import.notice.deadline", {"row": t.row, "number": t.number, "text": t.deadline.text}
        )
        for t in parsed
        if not t.deadline.understood and t.deadline.text
    )
    if reader.assumed_on_track:
        notices.append(Notice("import.notice.no_status", {"count": reader.assumed_on_track}))
    if reader.placeholder_leaders:
        notices.append(
            Notice(
                "import.notice.no_leader",
                {"count": reader.placeholder_leaders, "name": PLACEHOLDER_LEADER},
            )
        )
    return ParsedTable(
        file,
        name,
        year,
        table_period,
        tuple(parsed),
        tuple(notices),
        columns=header.uses,
        as_of=as_of if reported else None,
        title_line=title_text.strip(),
    )


_FILED = re.compile(r"(?:填报|报送|制表|上报)(?:时间|日期)")
_LABELLED = re.compile(r"\s*([0-9]{1,3})\s*[-‐–—]\s*([0-9]{1,3})\s*")
_DOTTED = re.compile(r"\s*([0-9]{1,5})\s*[.．]\s*[0-9]{1,3}\s*")


def _with_cell(cells: tuple[str, ...], index: int, value: str) -> tuple[str, ...]:
    """Return a row's cells with one replaced."""
    padded = cells + ("",) * max(0, index + 1 - len(cells))
    return (*padded[:index], value, *padded[index + 1 :])


@dataclass
class _TargetDraft:
    """A target while its rows are being read."""

    row: int
    number: int
    content: str
    deadline: Deadline
    section: int  # the section it stands in (0: before any heading)
    item: int  # its 序号 as the table writes it
    category: str | None
    extra: list[tuple[str, str]]
    assignments: list[ParsedAssignment] = field(default_factory=list)
    sub_items: int = 0

    def done(self, restarted: bool) -> ParsedTarget:
        number = self.section * 1000 + self.item if restarted and self.section else self.number
        label = f"{self.section}-{self.item}" if restarted and self.section else None
        return ParsedTarget(
            self.row,
            number,
            self.content,
            self.deadline,
            tuple(self.assignments),
            label,
            self.category,
            tuple(self.extra),
        )


@dataclass
class _RowReader:
    """Reads the data rows below a header, checking every cell that matters."""

    file: str
    columns: dict[str, int]
    year: int
    header_row: int
    header: Header
    extra_columns: dict[int, str] = field(default_factory=dict)
    assumed_on_track: int = 0  # reports of a table without a status column
    placeholder_leaders: int = 0  # assignments with no leader anywhere
    numbers_columns: bool = field(init=False)  # a column of numbers for progress (形象进度 …)

    def __post_init__(self) -> None:
        # The roles stay the same all down the table (reheader refuses others): looked at once.
        self.numbers_columns = any(
            key in self.columns for key in ("percent", "planned", "actual", "rate")
        )

    def cell(self, row: Row, key: str) -> str:
        """Return a row's cell of a role, or "" when the table has no such column."""
        index = self.columns.get(key)
        if index is None:
            return ""
        cells = row.cells
        return cells[index] if index < len(cells) else ""

    def fail(self, key: str, row: Row, column: str, **values: object) -> TableError:
        return TableError(
            key,
            file=self.file,
            row=row.number,
            column=self.columns.get(column),
            header=self.header.header_of(column),
            **values,
        )

    def read(self, row: Row, key: str, reader: Callable[[str], T], value: str | None = None) -> T:
        """Read a cell (its `value`, when the caller has it) with one of the cell readers,
        naming the row and column if it fails."""
        try:
            return reader(self.cell(row, key) if value is None else value)
        except CellError as error:
            raise self.fail(error.key, row, key, **error.values) from None

    def reheader(self, row: Row, header: Header) -> None:
        """Take the columns of a header repeated mid-table (page breaks, sections), or refuse it.

        Its columns may stand in another order (the rows below follow it), but they must be the
        same columns as the first header's: the table's meaning may not change halfway down.
        """
        columns = header.roles
        if set(columns) != set(self.columns):
            differing = sorted(set(columns) ^ set(self.columns), key=columns_of.ROLES.index)
            raise TableError(
                "import.error.header_changed",
                file=self.file,
                row=row.number,
                first_row=self.header_row,
                columns="、".join(self.header.header_of(key) for key in differing),
            )
        self.columns, self.header = columns, header

    def required(self, row: Row, key: str, limit: int | None = None) -> str:
        value = self.cell(row, key)
        if not value:
            raise self.fail("import.error.empty_cell", row, key)
        if limit is not None and len(value) > limit:
            raise self.fail("import.error.too_long", row, key, length=len(value), limit=limit)
        return value

    def _heading(self, row: Row) -> Section | None:
        """Return the section a heading row opens (一、…, （二）…), if the row is one.

        A （一）… alone in the target-text column is a sub-item line, not a sub-heading.
        """
        values = [cell for cell in row.cells if cell]
        if not values or len(set(values)) != 1:
            return None
        section = heading_of(values[0])
        only_content = len(values) == 1 and self.cell(row, "content") == values[0]
        if section is not None and section.number is None and only_content:
            return None
        return section

    def _is_sub_item_line(self, row: Row) -> bool:
        """Tell whether a row without 序号 is only another item of the target above."""
        return bool(self.cell(row, "content")) and not any(
            self.cell(row, key) for key in ("leader", "units", "deadline", "assisting")
        )

    def targets(self, rows: Sequence[Row]) -> list[ParsedTarget]:
        """Turn the rows into targets, one assignment per row (sub-item rows join their target).

        Section headings give the rows under them a leader or a category; when the 序号 starts
        again at 1 under a later section, every target is numbered section × 1000 + item.
        """
        drafts: list[_TargetDraft] = []
        first_row: dict[tuple[int, int], int] = {}
        section = 0
        leader: str | None = None
        category: str | None = None
        restarted = False
        for row in rows:
            filled = {cell for cell in row.cells if cell}
            if not filled:
                continue  # a blank row
            if (again := self.header.reread(row)) is not None:
                self.reheader(row, again)  # a header repeated at a page break or section
                continue
            # Only one text across the row can be a heading or a note (not so a data row).
            heading = self._heading(row) if len(filled) == 1 else None
            if heading is not None:
                if heading.number is not None:
                    # 一、二、三 as written; a numeral out of order still opens the next one.
                    section = heading.number if heading.number > section else section + 1
                    leader, category = heading.leader, heading.category
                else:
                    leader = heading.leader or leader
                    category = heading.category if heading.leader is None else category
                continue
            if len(filled) == 1 and _is_text_line(row):
                continue  # the title repeated, notes
            current = drafts[-1] if drafts else None
            number_cell = self.cell(row, "number")
            dotted: re.Match[str] | None = None
            labelled: re.Match[str] | None = None
            if not (number_cell.isascii() and number_cell.isdigit()):  # the usual 序号: neither
                plain = unicodedata.normalize("NFKC", number_cell)
                dotted, labelled = _DOTTED.fullmatch(plain), _LABELLED.fullmatch(plain)
            number: int | None
            if labelled:  # 2-3 as this bot exports a table numbered per section: section 2's 3
                section, restarted = int(labelled.group(1)), True
                row = replace(
                    row, cells=_with_cell(row.cells, self.columns["number"], labelled.group(2))
                )
            if dotted:  # 3.1, 3.2: the indicators of target 3, each a sub-item of it
                number = int(dotted.group(1))
                content = self.cell(row, "content")
                item = f"{dotted.group(0).strip()} {content}" if content else ""
                if current is not None and (current.item, current.section) == (number, section):
                    if item:
                        self.sub_item(current, row, item)
                    continue
                row = replace(row, cells=_with_cell(row.cells, self.columns["number"], str(number)))
                row = replace(row, cells=_with_cell(row.cells, self.columns["content"], item))
            number = self.read(row, "number", read_number)
            content = self.cell(row, "content")
            if number is None:
                # An empty 序号 (or a merged one): another leader or units for the target above,
                # or (its other cells empty) another item of the same target.
                if current is None:
                    raise self.fail("import.error.orphan_continuation", row, "number")
                if content and content != current.content:
                    if not self._is_sub_item_line(row):
                        raise self.fail(
                            "import.error.content_without_number",
                            row,
                            "number",
                            number=current.number,
                        )
                    self.sub_item(current, row, content)
                    continue
            elif (
                current is not None
                and number == current.item
                and section == current.section
                and content not in ("", current.content)
                and self.columns["number"] in row.merged
            ):
                # 序号 merged over sub-indicators: the same number, another item of the target.
                # (Written twice, unmerged, it is a duplicate: two targets cannot share it.)
                self.sub_item(current, row, content)
                continue
            elif (
                current is None
                or number != current.item
                or section != current.section
                or content not in ("", current.content)
            ):
                if section and number == 1 and any(d.section != section for d in drafts):
                    restarted = True  # 序号 starts again at 1 under a later section
                key = (section if restarted else 0, number)
                if key in first_row:
                    raise self.fail(
                        "import.error.duplicate_number",
                        row,
                        "number",
                        number=number,
                        first_row=first_row[key],
                    )
                first_row[key] = row.number
                content = self.required(row, "content", MAX_CONTENT_CHARS)
                deadline_text = self.cell(row, "deadline")
                if "deadline" in self.columns and not deadline_text:
                    self.required(row, "deadline")
                deadline = self.read(
                    row, "deadline", lambda cell: read_deadline(cell, self.year), deadline_text
                )
                current = _TargetDraft(
                    row.number,
                    number,
                    content,
                    deadline,
                    section,
                    number,
                    category,
                    self.extras(row),
                )
                drafts.append(current)
            assert current is not None
            for header_value in self.extras(row):
                if header_value not in current.extra:
                    current.extra.append(header_value)
            current.assignments.append(self.assignment(row, leader))
        if not drafts:
            raise TableError("import.error.no_targets", file=self.file)
        if restarted:
            # Numbering restarts per section: the straight-through numbers are section-local.
            seen: dict[tuple[int, int], int] = {}
            for draft in drafts:
                key = (draft.section, draft.item)
                if key in seen:
                    raise TableError(
                        "import.error.duplicate_number",
                        file=self.file,
                        row=draft.row,
                        column=self.columns.get("number"),
                        header=self.header.header_of("number"),
                        number=draft.item,
                        first_row=seen[key],
                    )
                seen[key] = draft.row
        return [draft.done(restarted) for draft in drafts]

    def extras(self, row: Row) -> list[tuple[str, str]]:
        """Return a row's values in the table's other columns: (header, value)."""
        if not self.extra_columns:
            return []
        return [
            (header, _limited(row.cell(index), MAX_CONTENT_CHARS))
            for index, header in self.extra_columns.items()
            if row.cell(index)
        ]

    def sub_item(self, target: _TargetDraft, row: Row, content: str) -> None:
        """Add a sub-item row to its target: its text to the content, its progress to the row's."""
        target.sub_items += 1
        text = add_sub_item(target.content, content, target.sub_items)
        if len(text) > MAX_CONTENT_CHARS:
            raise self.fail(
                "import.error.too_long", row, "content", length=len(text), limit=MAX_CONTENT_CHARS
            )
        target.content = text
        for header_value in self.extras(row):
            if header_value not in target.extra:
                target.extra.append(header_value)
        if not any(self.cell(row, key) for key in (*REPORT_COLUMNS, "on_schedule", "planned")):
            return
        mine = self.assignment(row, target.assignments[-1].leader, sub_item=True)
        # The item goes with the assignment of the same leader and units, if there is one:
        # three indicators of two units are two assignments, not three.
        units = mine.units or target.assignments[-1].units
        found = [
            i
            for i, a in enumerate(target.assignments)
            if (a.leader, a.units) == (mine.leader, units)
        ]
        if not found:
            mark = item_mark(text.split("\n")[-1])
            if mark and mine.progress:
                mine = replace(mine, progress=f"{mark}{mine.progress}")
            target.assignments.append(mine)
            return
        place = found[0]
        last = target.assignments[place]
        # Each item's progress on its own line, marked as its item is: （2）转移就业4100人.
        lines = text.split("\n")
        first = last.progress
        if place == 0 and first and not item_mark(first) and item_mark(lines[0]):
            first = f"{item_mark(lines[0])}{first}"
        own = f"{item_mark(lines[-1])}{mine.progress}" if mine.progress else None
        progress = "\n".join(p for p in (first, own) if p) or None
        target.assignments[place] = ParsedAssignment(
            last.row,
            last.leader,
            last.units,
            progress,
            worst_status(last.status, mine.status),
            last.assisting,
        )

    def assignment(
        self, row: Row, heading_leader: str | None, *, sub_item: bool = False
    ) -> ParsedAssignment:
        """Read the leader, units and progress of one row.

        The row's own leader wins over its section heading's; with neither (no leader column,
        no heading naming one) the assignment's leader is the placeholder 未指定.
        """
        cell = self.cell  # each cell is looked up once
        leader_cell = cell(row, "leader")
        if leader_cell:
            leader = self.read(row, "leader", read_leader, leader_cell)
        elif heading_leader is not None:
            leader = heading_leader
        elif "leader" in self.columns and not sub_item:
            raise self.fail("import.error.empty_cell", row, "leader")
        else:
            leader = PLACEHOLDER_LEADER
            if not sub_item:
                self.placeholder_leaders += 1
        from_cell: tuple[str, ...] = ()
        units_cell = cell(row, "units")
        if "units" not in self.columns or (sub_item and not units_cell):
            units: tuple[str, ...] = ()  # a table without a units column, or a sub-item
        else:
            if not units_cell:
                raise self.fail("import.error.empty_cell", row, "units")
            # 市税务局牵头，各有关单位配合: the lead, and the assisting units the cell names.
            units, from_cell = self.read(row, "units", read_lead_and_assisting, units_cell)
        assisting_cell = cell(row, "assisting")
        column = self.read(row, "assisting", read_units, assisting_cell) if assisting_cell else ()
        assisting = (
            tuple(u for u in dict.fromkeys((*from_cell, *column)) if u not in units)
            if from_cell or column
            else ()
        )
        progress_text = cell(row, "progress")
        if len(progress_text) > MAX_PROGRESS_CHARS:
            raise self.fail(
                "import.error.too_long",
                row,
                "progress",
                length=len(progress_text),
                limit=MAX_PROGRESS_CHARS,
            )
        progress = (
            numbers_progress(
                progress_text,
                cell(row, "percent"),
                cell(row, "planned"),
                cell(row, "actual"),
                cell(row, "rate"),
            )
            if self.numbers_columns
            else numbers_progress(progress_text, "", "", "", "")
        )
        status_cell = cell(row, "on_schedule")
        if progress is None and not status_cell:
            return ParsedAssignment(row.number, leader, units, None, None, assisting)
        if progress is None:  # a status with no progress: the text, or nothing where no column
            progress = (
                self.required(row, "progress", MAX_PROGRESS_CHARS)
                if "progress" in self.columns
                else ""
            )
        if "on_schedule" not in self.columns:
            # No status column: the progress text says whether it is behind (推进缓慢);
            # otherwise it counts as on track, and its numbers judge it (🟡).
            status = columns_of.status_of_progress(progress)
            share = stated_completion(progress)
            if status == "on_track" and share is not None and share >= 1:
                status = "completed"  # 形象进度 100%, 完成率 100%: done, whatever the date
            elif status == "on_track":
                self.assumed_on_track += 1
            return ParsedAssignment(row.number, leader, units, progress, status, assisting)
        if not status_cell:
            raise self.fail("import.error.empty_cell", row, "on_schedule")
        status_text, said = read_status_cell(status_cell)
        if said is None:
            raise self.fail(
                "import.error.bad_status", row, "on_schedule", value=excerpt(status_text)
            )
        return ParsedAssignment(row.number, leader, units, progress, said, assisting)


_bulk_lock = threading.Lock()
_bulk_users = 0  # imports inside bulk_work now (in any thread)
_bulk_resume = False  # whether the collector was on when the first of them began


@contextmanager
def bulk_work() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a table is read, compared and staged.

    A large table makes millions of small objects (cells, rows, names, tuples) that all live
    until the import ends: the collector would start every few hundred of them and, now and
    then, walk them all, for nothing (they hold no cycles). Imports at once (threads, tasks)
    share the pause: the collector starts again when the last one ends, if it was on before.
    """
    global _bulk_users, _bulk_resume
    with _bulk_lock:
        if _bulk_users == 0:
            _bulk_resume = gc.isenabled()
            gc.disable()
        _bulk_users += 1
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_users -= 1
            if _bulk_users == 0 and _bulk_resume:
                gc.enable()


def read_table(
    path: Path,
    *,
    plan_title: str | None = None,
    period: str | None = None,
    columns: dict[str, str] | None = None,
) -> ParsedTable:
    """Read and validate a table file, or raise TableError naming the file, row and column."""
    sheets = read_sheets(path)  # (with the collector: reading a workbook leaves cycles)
    with bulk_work():
        return parse_table(sheets, path.name, plan_title=plan_title, period=period, columns=columns)


# ---------------------------------------------------------------------------- storing


def _same_assignments(stored: targets.StoredTarget, parsed: ParsedTarget) -> bool:
    return [(a.leader, a.units, a.assisting) for a in stored.assignments] == [
        (a.leader, a.units, a.assisting) for a in parsed.assignments
    ]


def plan_import(
    table: ParsedTable, state: targets.ImportState
) -> tuple[ImportSummary, targets.ImportWrites]:
    """Compare a parsed table with what is stored; return what the import does and must write.

    Re-importing a plan updates what changed, retires targets no longer in the table, and adds
    a report revision only where the imported progress differs from the last imported one.
    """
    summary = ImportSummary(
        table.file, table.plan_title, table.period, notices=table.notices, as_of=table.as_of
    )
    plan, current = state.plan, state.current
    writes = targets.ImportWrites(
        plan_id=plan.id if plan else None,
        title=table.plan_title,
        year=table.year,
        period=table.period,
        leaders=[],
        units=[],
        targets=[],
        assignments=[],
        reports=[],
        retire_after=[],
        retired_targets=[],
        make_current=current is None
        or ((plan is None or current.id != plan.id) and table.year >= current.year),
        as_of=table.as_of,
    )
    layout = targets.Layout(
        table.title_line, tuple((u.header.strip(), u.role) for u in table.columns)
    )
    if table.columns and layout != state.layout:
        writes.layout = layout
    new_leaders: dict[str, None] = {}
    new_units: dict[str, None] = {}
    for parsed in table.targets:
        old = state.targets.get(parsed.number)
        if old is not None and parsed.category is None and old.category is not None:
            # A file without section headings (this bot's own export) says nothing of the
            # category the first import gave: it stays.
            parsed = replace(parsed, category=old.category)
        deadline = parsed.deadline
        moved = state.extended.get(parsed.number)
        if moved is not None and deadline.due_date == moved[0]:
            # The table still shows the date an approved extension (延期) moved: it stands.
            deadline = replace(deadline, due_date=moved[1])
        fields = (
            parsed.content,
            deadline.text,
            deadline.due_date,
            parsed.label,
            parsed.category,
            parsed.extra,
        )
        if (
            old is None
            or old.retired
            or (old.content, old.deadline, old.due_date, old.label, old.category, old.extra)
            != fields
            or not _same_assignments(old, parsed)
        ):
            writes.targets.append(
                targets.TargetWrite(old.id if old else None, parsed.number, *fields)
            )
            (summary.added if old is None else summary.changed).append(parsed.number)
        else:
            summary.unchanged.append(parsed.number)
        live = {a.position: a for a in old.assignments} if old else {}
        for position, assignment in enumerate(parsed.assignments, start=1):
            for name in (assignment.leader,):
                if name not in state.leaders:
                    new_leaders.setdefault(name, None)
            for name in (*assignment.units, *assignment.assisting):
                if name not in state.units:
                    new_units.setdefault(name, None)
            stored = live.get(position)
            if stored is None or (stored.leader, stored.units, stored.assisting) != (
                assignment.leader,
                assignment.units,
                assignment.assisting,
            ):
                slot = state.slots.get((old.id, position)) if old else None
                writes.assignments.append(
                    targets.AssignmentWrite(
                        slot,
                        parsed.number,
                        position,
                        assignment.leader,
                        assignment.units,
                        assignment.assisting,
                    )
                )
            if table.period is None or assignment.progress is None or assignment.status is None:
                continue
            said = (assignment.progress, assignment.status)
            if stored is not None and stored.imported == said:
                continue
            official = state.official.get((parsed.number, position))
            if official is not None and (progress_cell(official), official.status) == said:
                continue  # this plan's own export, imported again
            writes.reports.append(
                targets.ReportWrite(parsed.number, position, assignment.progress, assignment.status)
            )
            summary.reports_added += 1
        if old is not None and any(p > len(parsed.assignments) for p in live):
            writes.retire_after.append((old.id, len(parsed.assignments)))
    numbers = {t.number for t in table.targets}
    for number, old in sorted(state.targets.items()):
        if number not in numbers and not old.retired:
            writes.retired_targets.append(old.id)
            summary.retired.append(number)
    writes.leaders, writes.units = list(new_leaders), list(new_units)
    summary.leaders_added, summary.units_added = len(new_leaders), len(new_units)
    return summary, writes


async def store_table(
    conn: aiosqlite.Connection, table: ParsedTable, *, actor: str, dry_run: bool = False
) -> ImportSummary:
    """Store a parsed table all or nothing; with `dry_run`, only say what would change.

    The comparison with what is stored is made before the write transaction, which then only
    writes (a few bulk statements), so that a large import does not lock users out. Should
    anyone change the plan between the two, the comparison is made again inside the
    transaction. A table that matches what is stored writes nothing at all.
    """
    with bulk_work():
        stamp = None if conn.in_transaction else await targets.change_stamp(conn)
        state = await targets.import_state(conn, table.plan_title, table.period)
        summary, writes = plan_import(table, state)
        del state  # tens of thousands of stored rows: not kept through the write
        if dry_run:
            summary.dry_run = True
            return summary
        if not writes.anything:
            return summary
        staged = await targets.stage_import(conn, writes)  # before the transaction: locks nobody
    try:
        async with transaction(conn):
            if stamp is None or await targets.change_stamp(conn) != stamp:
                state = await targets.import_state(conn, table.plan_title, table.period)
                summary, writes = plan_import(table, state)
                if not writes.anything:
                    return summary
            if staged.writes is not writes or not await targets.stage_intact(conn, staged):
                await targets.drop_stage(conn, staged)
                staged = await targets.stage_import(conn, writes)
            now = clock.stamp()
            await targets.apply_import(conn, staged, now)
            if summary.changes_anything:
                await audit.record(
                    conn,
                    actor=actor,
                    action="import",
                    subject=table.plan_title,
                    at=now,
                    detail={
                        "file": table.file,
                        "period": table.period,
                        "added": len(summary.added),
                        "changed": len(summary.changed),
                        "retired": len(summary.retired),
                        "reports_added": summary.reports_added,
                    },
                )
    finally:
        await targets.drop_stage(conn, staged)
    return summary


async def import_file(
    conn: aiosqlite.Connection,
    path: Path,
    *,
    actor: str,
    dry_run: bool = False,
    plan_title: str | None = None,
    period: str | None = None,
    columns: dict[str, str] | None = None,
) -> ImportSummary:
    """Read, validate and store a table file all or nothing (`columns`: see parse_table)."""
    table = read_table(path, plan_title=plan_title, period=period, columns=columns)
    return await store_table(conn, table, actor=actor, dry_run=dry_run)


# ---------------------------------------------------------------------------- telling


def describe_error(error: TableError, t: Translator, language: str | None = None) -> str:
    """Return one line saying what is wrong with a table and where."""
    values = {
        key: value.render(t, language) if isinstance(value, Localised) else value
        for key, value in error.values.items()
    }
    problem = t(error.key, language, **values)
    if error.row is None:
        where = t("import.at_file", language, file=error.file)
    elif error.column is None:
        where = t("import.at_row", language, file=error.file, row=error.row)
    else:
        where = t(
            "import.at_cell",
            language,
            file=error.file,
            row=error.row,
            column=error.column_letter,
            header=error.header or "",
        )
    return t("import.error_line", language, where=where, problem=problem)


def new_names(summary: ImportSummary, t: Translator, language: str | None = None) -> list[str]:
    """Return the line naming how many leaders and units the import registers, if any."""
    if not (summary.leaders_added or summary.units_added):
        return []
    return [
        t(
            "import.new_names",
            language,
            leaders=summary.leaders_added,
            units=summary.units_added,
        )
    ]


def describe_summary(
    summary: ImportSummary, t: Translator, language: str | None = None
) -> list[str]:
    """Return the lines that tell the user what an import did."""
    values = {"plan": summary.plan_title, "period": summary.period or "-", "file": summary.file}
    lines: list[str] = []
    if summary.dry_run:
        lines.append(t("import.dry_run", language))
    if not summary.changes_anything:
        lines.append(t("import.nothing_changed", language, count=len(summary.unchanged), **values))
    else:
        lines.append(
            t(
                "import.summary",
                language,
                added=len(summary.added),
                changed=len(summary.changed),
                unchanged=len(summary.unchanged),
                reports=summary.reports_added,
                **values,
            )
        )
        lines.extend(new_names(summary, t, language))
        if summary.changed:
            lines.append(t("import.changed_numbers", language, numbers=_numbers(summary.changed)))
        if summary.retired:
            lines.append(
                t(
                    "import.retired",
                    language,
                    count=len(summary.retired),
                    numbers=_numbers(summary.retired),
                )
            )
    if summary.as_of is not None:
        lines.append(t("import.as_of", language, date=summary.as_of.isoformat()))
    lines.extend(t(notice.key, language, **notice.values) for notice in summary.notices)
    return lines


def _numbers(numbers: Sequence[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)


DEMO_TABLE = Path(__file__).parent / "demo" / "heze-2023-q3.tsv"


async def load_demo_if_empty(conn: aiosqlite.Connection) -> ImportSummary | None:
    """Import the demo table when no plan is stored yet; return what was imported, if anything."""
    if await targets.any_plan(conn):
        return None
    return await import_file(conn, DEMO_TABLE, actor="demo")
