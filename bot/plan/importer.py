"""Import a target table (一览表): find its title, header and rows, then store it all or nothing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot import clock
from bot.i18n import Translator
from bot.plan import columns as columns_of
from bot.plan.columns import ColumnUse, Header, Localised
from bot.plan.deadlines import Deadline, parse_deadline
from bot.plan.names import normalise_name, split_units
from bot.plan.tables import Row, Sheet, TableError, read_sheets
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

# The leader stored for the targets of a table that names no leader (no leader column).
UNKNOWN_LEADER = "（未指定）"

_QUARTER = re.compile(r"(?:前|第)?([一二三四1-4])季度|上半年")
_YEAR = re.compile(r"(20\d\d)\s*年")
_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIOD = re.compile(r"^(20\d\d)\s*[Qq]([1-4])$")


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


@dataclass(frozen=True)
class ParsedTarget:
    """A numbered target as read, with one assignment per row."""

    row: int
    number: int
    content: str
    deadline: Deadline
    assignments: tuple[ParsedAssignment, ...]


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


def read_leader(cell: str) -> str:
    """Read a 市政府领导 cell into one normalised name of at most MAX_LEADER_CHARS."""
    name = normalise_name(cell)
    if not name:
        raise CellError("import.error.empty_cell")
    return _limited(name, MAX_LEADER_CHARS)


def read_units(cell: str) -> tuple[str, ...]:
    """Read a 责任单位 cell into unit names (lead first), each of at most MAX_UNIT_CHARS."""
    units = split_units(cell)
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
    return units


def read_deadline(cell: str, year: int) -> Deadline:
    """Read a 完成时限 cell of at most MAX_DEADLINE_CHARS (kept as text when no date is in it)."""
    return parse_deadline(_limited(cell, MAX_DEADLINE_CHARS), year)


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

    title_text = _title_of(sheet.rows[:header_index])
    name, year, quarter = _plan_from_title(title_text) if title_text else ("", None, None)
    if "progress" in roles and quarter is None:
        quarter, _ = _quarter_in(header_row.cell(roles["progress"]))
    if period is not None:
        m = _PERIOD.match(period.strip())
        if m is None:
            raise TableError("import.error.bad_period", file=file, value=period)
        year, quarter = int(m.group(1)), int(m.group(2))
    if plan_title:
        name = plan_title.strip()
    if not name:
        raise TableError("import.error.no_title", file=file)
    if len(name) > MAX_TITLE_CHARS:
        raise TableError(
            "import.error.title_too_long", file=file, length=len(name), limit=MAX_TITLE_CHARS
        )
    if year is None and (year_match := _YEAR.search(name)):
        year = int(year_match.group(1))
    if year is None or ("progress" in roles and quarter is None):
        raise TableError("import.error.no_period", file=file, title=title_text or name)
    table_period = f"{year}Q{quarter}" if "progress" in roles else None

    reader = _RowReader(file, roles, year, header_row.number, header)
    parsed = reader.targets(sheet.rows[header_index + 1 :])
    notices = tuple(
        Notice(
            "import.notice.deadline", {"row": t.row, "number": t.number, "text": t.deadline.text}
        )
        for t in parsed
        if t.deadline.text and not t.deadline.understood
    )
    return ParsedTable(file, name, year, table_period, tuple(parsed), notices, header.uses)


@dataclass
class _TargetDraft:
    """A target while its rows are being read."""

    row: int
    number: int
    content: str
    deadline: Deadline
    assignments: list[ParsedAssignment] = field(default_factory=list)

    def done(self) -> ParsedTarget:
        return ParsedTarget(
            self.row, self.number, self.content, self.deadline, tuple(self.assignments)
        )


@dataclass
class _RowReader:
    """Reads the data rows below a header, checking every cell that matters."""

    file: str
    columns: dict[str, int]
    year: int
    header_row: int
    header: Header

    def cell(self, row: Row, key: str) -> str:
        """Return a row's cell of a role, or "" when the table has no such column."""
        return row.cell(self.columns[key]) if key in self.columns else ""

    def fail(self, key: str, row: Row, column: str, **values: object) -> TableError:
        return TableError(
            key,
            file=self.file,
            row=row.number,
            column=self.columns.get(column),
            header=self.header.header_of(column),
            **values,
        )

    def read(self, row: Row, key: str, reader: Callable[[str], T]) -> T:
        """Read a cell with one of the cell readers, naming the row and column if it fails."""
        try:
            return reader(self.cell(row, key))
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

    def targets(self, rows: Sequence[Row]) -> list[ParsedTarget]:
        """Turn the rows into targets, one assignment per row."""
        drafts: list[_TargetDraft] = []
        first_row: dict[int, int] = {}
        for row in rows:
            if row.is_blank:
                continue
            if (again := self.header.reread(row)) is not None:
                self.reheader(row, again)  # a header repeated at a page break or section
                continue
            if _is_text_line(row):
                continue  # headings and notes
            current = drafts[-1] if drafts else None
            number = self.read(row, "number", read_number)
            content = self.cell(row, "content")
            if number is None:
                # An empty 序号 (or a merged one): another leader or units for the target above.
                if current is None:
                    raise self.fail("import.error.orphan_continuation", row, "number")
                if content and content != current.content:
                    raise self.fail(
                        "import.error.content_without_number", row, "number", number=current.number
                    )
            elif (
                current is None or number != current.number or content not in ("", current.content)
            ):
                if number in first_row:
                    raise self.fail(
                        "import.error.duplicate_number",
                        row,
                        "number",
                        number=number,
                        first_row=first_row[number],
                    )
                first_row[number] = row.number
                content = self.required(row, "content", MAX_CONTENT_CHARS)
                if "deadline" in self.columns:
                    self.required(row, "deadline")
                deadline = self.read(row, "deadline", lambda cell: read_deadline(cell, self.year))
                current = _TargetDraft(row.number, number, content, deadline)
                drafts.append(current)
            assert current is not None
            current.assignments.append(self.assignment(row))
        if not drafts:
            raise TableError("import.error.no_targets", file=self.file)
        return [draft.done() for draft in drafts]

    def assignment(self, row: Row) -> ParsedAssignment:
        """Read the leader, units and progress of one row."""
        units: tuple[str, ...]
        leader, units = UNKNOWN_LEADER, ()  # what a table without these columns gives
        if "leader" in self.columns:
            self.required(row, "leader")
            leader = self.read(row, "leader", read_leader)
        if "units" in self.columns:
            self.required(row, "units")
            units = self.read(row, "units", read_units)
        if not self.cell(row, "progress") and not self.cell(row, "on_schedule"):
            return ParsedAssignment(row.number, leader, units, None, None)
        progress = (
            self.required(row, "progress", MAX_PROGRESS_CHARS) if "progress" in self.columns else ""
        )
        if "on_schedule" not in self.columns:  # the progress text says whether it is behind
            status = columns_of.status_of_progress(progress)
            return ParsedAssignment(row.number, leader, units, progress, status)
        status_text = re.sub(r"\s+", "", self.required(row, "on_schedule"))
        said = columns_of.read_status(status_text)
        if said is None:
            raise self.fail(
                "import.error.bad_status", row, "on_schedule", value=excerpt(status_text)
            )
        return ParsedAssignment(row.number, leader, units, progress, said)


def read_table(
    path: Path,
    *,
    plan_title: str | None = None,
    period: str | None = None,
    columns: dict[str, str] | None = None,
) -> ParsedTable:
    """Read and validate a table file, or raise TableError naming the file, row and column."""
    return parse_table(
        read_sheets(path), path.name, plan_title=plan_title, period=period, columns=columns
    )


# ---------------------------------------------------------------------------- storing


def _same_assignments(stored: targets.Target, parsed: ParsedTarget) -> bool:
    return [(a.leader, a.units) for a in stored.assignments] == [
        (a.leader, a.units) for a in parsed.assignments
    ]


def plan_import(
    table: ParsedTable, state: targets.ImportState
) -> tuple[ImportSummary, targets.ImportWrites]:
    """Compare a parsed table with what is stored; return what the import does and must write.

    Re-importing a plan updates what changed, retires targets no longer in the table, and adds
    a report revision only where the imported progress differs from the last imported one.
    """
    summary = ImportSummary(table.file, table.plan_title, table.period, notices=table.notices)
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
    )
    new_leaders: dict[str, None] = {}
    new_units: dict[str, None] = {}
    for parsed in table.targets:
        old = state.targets.get(parsed.number)
        deadline = parsed.deadline
        write = targets.TargetWrite(
            old.id if old else None, parsed.number, parsed.content, deadline.text, deadline.due_date
        )
        if old is None:
            writes.targets.append(write)
            summary.added.append(parsed.number)
        elif (
            old.retired
            or (old.content, old.deadline, old.due_date)
            != (parsed.content, deadline.text, deadline.due_date)
            or not _same_assignments(old, parsed)
        ):
            writes.targets.append(write)
            summary.changed.append(parsed.number)
        else:
            summary.unchanged.append(parsed.number)
        live = {a.position: a for a in old.assignments} if old else {}
        for position, assignment in enumerate(parsed.assignments, start=1):
            for name in (assignment.leader,):
                if name not in state.leaders:
                    new_leaders.setdefault(name, None)
            for name in assignment.units:
                if name not in state.units:
                    new_units.setdefault(name, None)
            stored = live.get(position)
            if stored is None or (stored.leader, stored.units) != (
                assignment.leader,
                assignment.units,
            ):
                slot = state.slots.get((old.id, position)) if old else None
                writes.assignments.append(
                    targets.AssignmentWrite(
                        slot, parsed.number, position, assignment.leader, assignment.units
                    )
                )
            if table.period is None or assignment.progress is None or assignment.status is None:
                continue
            last = stored.latest_report if stored else None
            if last is not None and (last.progress, last.status) == (
                assignment.progress,
                assignment.status,
            ):
                continue
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
    anyone write between the two, the comparison is made again inside the transaction.
    """
    stamp = None if conn.in_transaction else await targets.change_stamp(conn)
    state = await targets.import_state(conn, table.plan_title, table.period)
    summary, writes = plan_import(table, state)
    if dry_run:
        summary.dry_run = True
        return summary
    async with transaction(conn):
        if stamp is None or await targets.change_stamp(conn) != stamp:
            state = await targets.import_state(conn, table.plan_title, table.period)
            summary, writes = plan_import(table, state)
        now = clock.stamp()
        await targets.apply_import(conn, writes, now)
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
        if summary.leaders_added or summary.units_added:
            lines.append(
                t(
                    "import.new_names",
                    language,
                    leaders=summary.leaders_added,
                    units=summary.units_added,
                )
            )
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
