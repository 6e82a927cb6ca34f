"""Export the overview table (一览表) of a period in the layout its plan came in.

One row per assignment, the plan's own columns in the plan's own order (the layout kept at
import; a plan imported before layouts were kept has the demo's), the title naming the plan
and the quarter, the progress column holding the period's official report (imported, or the
lead unit's, approved where review is required) under a header naming the period.

A behind report's reason and remedy go into the progress cell after the text, on their own
line (滞后原因：…；整改措施：…): that is how offices write them in a 一览表, and it keeps the
table's columns exactly the source's, so that the file can be imported again as it is.

Formats: .xlsx (序号 and content merged down a target's rows, wrapped, printable on A4
landscape with the header repeated), .csv (UTF-8 with BOM, so that Excel reads it right) and
.docx (a Word table: 督查 reports and 通报 travel as Word documents).
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot import clock
from bot.plan.columns import EXTRA
from bot.plan.names import normalise_name
from bot.report.periods import period_end
from bot.status.lights import LIGHTS
from storage import evidence, search, targets

FORMATS = ("xlsx", "csv", "docx")
MIME_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# The layout of a plan imported before layouts were kept (the demo's, in existing databases).
DEMO_COLUMNS: tuple[tuple[str, str], ...] = (
    ("序号", "number"),
    ("市政府领导", "leader"),
    ("责任目标内容", "content"),
    ("完成时限", "deadline"),
    ("三季度完成情况", "progress"),
    ("是否按计划完成进度", "on_schedule"),
    ("责任单位", "units"),
)
TITLE_TAIL = "工作推进情况一览表"
# Status words written in 是否按计划完成进度: each reads back as the same status on import.
STATUS_WORDS = {"on_track": "是", "behind": "否", "completed": "已完成"}
CLOSED_WORD = "已办结"  # a closed target's status cell, whatever the period's report said
UNIT_SEPARATOR = "、"
# 佐证材料: added after the source's columns when a row of the period has evidence (the count
# and the names); reading the file back takes it as an extra column.
EVIDENCE_HEADER = "佐证材料"
EVIDENCE_ROLE = "evidence"
_PERIOD = re.compile(r"^(20\d\d)Q([1-4])$")
_QUARTER_WORD = re.compile(r"(?:前|第)?[一二三四1-4]季度|上半年")
_CN = "一二三四"
# Rows and columns a sheet may take (one per assignment: a plan has at most a few thousand).
_WIDTHS = {"number": (5, 6), "content": (16, 40), "progress": (24, 70)}  # role → (min, max)
_DEFAULT_WIDTH = (8, 24)


class ExportError(Exception):
    """An export cannot be made; the message key and values say why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class ExportRow:
    """One assignment's row: its target's id and its cells in the table's column order."""

    target_id: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Overview:
    """The overview table of a period, ready to write in any format."""

    plan: str
    period: str
    title: str
    headers: tuple[str, ...]
    roles: tuple[str, ...]
    rows: tuple[ExportRow, ...]

    def file_name(self, fmt: str) -> str:
        """Return the file's name: the plan and the period (菏泽…责任目标_2023Q3.xlsx)."""
        return f"{self.plan}_{self.period}.{fmt}"


def quarter_word(period: str) -> str:
    """Return how a table names a period's quarter: 2023Q3 → 三季度."""
    m = _PERIOD.match(period)
    if m is None:
        raise ExportError("export.error.bad_period", value=period)
    return f"{_CN[int(m.group(2)) - 1]}季度"


def title_of(title_line: str, plan: str, period: str) -> str:
    """Return the title row: the plan, the quarter, then what the source's title said after it.

    菏泽市人民政府2023年经济社会发展责任目标 + 三季度 + 工作推进情况一览表. Importing the file
    again reads the same plan and period from it.
    """
    line = re.sub(r"\s+", "", unicodedata.normalize("NFKC", title_line))
    m = _QUARTER_WORD.search(line)
    tail = line[m.end() :] if m is not None and line[m.end() :] else TITLE_TAIL
    return f"{plan}{quarter_word(period)}{tail}"


def progress_header(header: str, period: str) -> str:
    """Return the progress column's header naming the period: 三季度完成情况."""
    word = quarter_word(period)
    if _QUARTER_WORD.search(header):
        return _QUARTER_WORD.sub(word, header, count=1)
    return f"{word}{header or '完成情况'}"


def progress_cell(report: targets.Report | None) -> str:
    """Return a report's progress, with a behind report's reason and remedy after the text."""
    if report is None:
        return ""
    parts = [
        f"{label}：{text.strip()}"
        for label, text in (("滞后原因", report.reason), ("整改措施", report.remedy))
        if report.status == "behind" and text and text.strip()
    ]
    return report.progress + (f"\n{'；'.join(parts)}" if parts else "")


async def overview(
    conn: aiosqlite.Connection,
    period: str,
    *,
    leader: str | None = None,
    unit: str | None = None,
    light: str | None = None,
    plan: targets.Plan | None = None,
    today: date | None = None,
    margin: float = 0.15,
) -> Overview:
    """Return the overview table of a period for the current plan (or `plan`).

    `leader` and `unit` keep the rows of that leader, or of that unit (leading or assisting);
    `light` (🔴 🟡 🟢 ⚪) the rows whose status for the period has that light.
    """
    quarter_word(period)
    chosen = plan or await targets.current_plan(conn)
    if chosen is None:
        raise ExportError("export.error.no_plan")
    layout = await targets.plan_layout(conn, chosen.id)
    columns = list(layout.columns if layout is not None else DEMO_COLUMNS)
    roles = [role for _, role in columns]
    if "progress" not in roles:
        columns.append(("完成情况", "progress"))
    if "on_schedule" not in roles:
        columns.append(("是否按计划完成进度", "on_schedule"))
    headers = tuple(progress_header(h, period) if role == "progress" else h for h, role in columns)
    lights = await _lights(conn, chosen, period, today, margin) if light else {}
    files = await _evidence(conn, chosen.id, period)
    if files:  # a 佐证材料 column only when some row has evidence: else the layout as it came
        columns.append((EVIDENCE_HEADER, EVIDENCE_ROLE))
        headers = (*headers, EVIDENCE_HEADER)
    rows: list[ExportRow] = []
    for target in await targets.list_targets(conn, chosen.id, report_period=period):
        extra = {re.sub(r"\s+", "", h): v for h, v in target.extra}
        for assignment in target.assignments:
            if leader is not None and assignment.leader != leader:
                continue
            if unit is not None and unit not in (*assignment.units, *assignment.assisting):
                continue
            if light is not None and lights.get(assignment.id) != light:
                continue
            report = assignment.latest_report
            cells = tuple(
                evidence_cell(files.get(report.id, []) if report else [])
                if role == EVIDENCE_ROLE
                else _cell(role, header, target, assignment, report, extra)
                for header, role in columns
            )
            rows.append(ExportRow(target.id, cells))
    return Overview(
        chosen.title,
        period,
        title_of(layout.title_line if layout else "", chosen.title, period),
        headers,
        tuple(role for _, role in columns),
        tuple(rows),
    )


async def _evidence(
    conn: aiosqlite.Connection, plan_id: int, period: str
) -> dict[int, list[evidence.Evidence]]:
    """Return the evidence of the plan's reports for a period: report id → files."""
    return await evidence.files_of(
        conn, "report", await evidence.report_ids_of(conn, plan_id, period)
    )


def evidence_cell(items: list[evidence.Evidence]) -> str:
    """Return a row's 佐证材料 cell: how many files and their names (2 份：a.jpg、b.pdf)."""
    if not items:
        return ""
    return f"{len(items)} 份：" + "、".join(item.name for item in items)


async def _lights(
    conn: aiosqlite.Connection,
    plan: targets.Plan,
    period: str,
    today: date | None,
    margin: float,
) -> dict[int, str]:
    """Return each assignment's light for the period (by the light rule, as of its end)."""
    from bot.query.index import TargetIndex  # the search's index (the importer needs none)

    index = TargetIndex.build(await search.load_plan(conn, plan.id), plan.year, margin)
    as_of = min(today or clock.today(), period_end(period))
    view = index.status_view(period, as_of)
    return {a.id: LIGHTS[view.of[i]] for i, a in enumerate(index.assignments)}


def _cell(
    role: str,
    header: str,
    target: targets.Target,
    assignment: targets.Assignment,
    report: targets.Report | None,
    extra: dict[str, str],
) -> str:
    if role == "number":
        return target.shown_number
    if role == "content":
        return target.content
    if role == "leader":
        return assignment.leader
    if role == "deadline":
        return target.deadline
    if role == "units":
        return UNIT_SEPARATOR.join(assignment.units)
    if role == "assisting":
        return UNIT_SEPARATOR.join(assignment.assisting)
    if role == "progress":
        return progress_cell(report)
    if role == "on_schedule":
        if target.closed_on is not None and report and report.status == "completed":
            return CLOSED_WORD  # 办结: reads back as completed
        return STATUS_WORDS.get(report.status, "") if report else ""
    if role == EXTRA:
        return extra.get(re.sub(r"\s+", "", header), "")
    return ""  # the numbers of 完成率/计划/实际 columns are in the progress text


async def find_name(conn: aiosqlite.Connection, kind: str, text: str) -> str | None:
    """Return the leader's or unit's name (`kind`) that a text means, or None if none.

    The exact name, a unit's alias, else the one name containing the text; a text that more
    than one name contains raises ExportError naming them.
    """
    wanted = normalise_name(text)
    if kind == "unit":
        names = [n.name for n in await targets.list_units(conn)]
        alias = (await search.aliases(conn)).get(wanted)
        if alias is not None:
            return alias.name
    else:
        names = [n.name for n in await targets.list_leaders(conn)]
    if wanted in names:
        return wanted
    found = [name for name in names if wanted and wanted in name]
    if len(found) > 1:
        raise ExportError("export.error.ambiguous", name=text, choices="、".join(found[:8]))
    return found[0] if found else None


# ---------------------------------------------------------------------------- chat


@dataclass(frozen=True)
class ChatExport:
    """What a chat user asked to export, checked against who they are."""

    period: str
    fmt: str
    leader: str | None
    unit: str | None
    light: str | None = None


# A light named in the chat: the emoji, or its colour (红灯, 红).
LIGHT_WORDS = {
    **{light: light for light in ("🔴", "🟡", "🟢", "⚪")},
    **{
        f"{word}灯": light
        for word, light in (("红", "🔴"), ("黄", "🟡"), ("绿", "🟢"), ("白", "⚪"))
    },
    **{word: light for word, light in (("红", "🔴"), ("黄", "🟡"), ("绿", "🟢"), ("白", "⚪"))},
}


async def chat_request(
    conn: aiosqlite.Connection,
    words: Sequence[str],
    *,
    role: str | None,
    own_leader: str | None,
    own_unit: str | None,
) -> ChatExport:
    """Read `/export [period] [leader|unit] [light] [xlsx|csv|docx]` for a user of `role`.

    The period defaults to the latest one reported for, the format to xlsx. A leader gets their
    own targets unless they name someone else's; a liaison gets their own unit's, and naming
    another unit is refused (ExportError export.not_allowed).
    """
    period: str | None = None
    fmt = "xlsx"
    leader: str | None = None
    unit: str | None = None
    light: str | None = None
    for word in words:
        text = word.strip()
        if _PERIOD.match(text.upper()):
            period = text.upper()
        elif text in LIGHT_WORDS:
            light = LIGHT_WORDS[text]
        elif text.lower().lstrip(".") in FORMATS:
            fmt = text.lower().lstrip(".")
        elif (name := await find_name(conn, "leader", text)) is not None:
            leader = name
        elif (name := await find_name(conn, "unit", text)) is not None:
            unit = name
        else:
            raise ExportError("export.unknown", text=text)
    if role == "liaison":
        if unit is not None and unit != own_unit:
            raise ExportError("export.not_allowed", unit=own_unit or "-")
        unit = own_unit
    elif role == "leader" and leader is None and unit is None:
        leader = own_leader
    if period is None:
        plan = await targets.current_plan(conn)
        if plan is None:
            raise ExportError("export.error.no_plan")
        periods = await targets.reported_periods(conn, plan.id)
        period = periods[-1] if periods else f"{plan.year}Q{(clock.today().month - 1) // 3 + 1}"
    return ChatExport(period, fmt, leader, unit, light)


# ---------------------------------------------------------------------------- writing


def render(table: Overview, fmt: str) -> bytes:
    """Return the file of the table in a format of FORMATS."""
    if fmt == "xlsx":
        return to_xlsx(table)
    if fmt == "csv":
        return to_csv(table)
    if fmt == "docx":
        return to_docx(table)
    raise ExportError("export.error.bad_format", value=fmt, formats=", ".join(FORMATS))


def _blank_repeats(table: Overview) -> list[list[str]]:
    """Return the rows with 序号 and content left empty on a target's later rows."""
    merged = {i for i, role in enumerate(table.roles) if role in ("number", "content")}
    rows: list[list[str]] = []
    previous: int | None = None
    for row in table.rows:
        cells = list(row.cells)
        if row.target_id == previous:
            cells = ["" if i in merged else c for i, c in enumerate(cells)]
        previous = row.target_id
        rows.append(cells)
    return rows


def to_csv(table: Overview) -> bytes:
    """Return the table as UTF-8 CSV with a BOM: the title line, the header, the rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([table.title])
    writer.writerow(table.headers)
    writer.writerows(_blank_repeats(table))
    return out.getvalue().encode("utf-8-sig")


def _width(text: str) -> int:
    """Return how many columns a line takes: two for a full-width character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def column_widths(table: Overview) -> list[int]:
    """Return each column's width in characters: its longest line, within its role's bounds."""
    widths = []
    for i, (header, role) in enumerate(zip(table.headers, table.roles, strict=True)):
        low, high = _WIDTHS.get(role, _DEFAULT_WIDTH)
        longest = max(
            (_width(line) for r in table.rows for line in r.cells[i].split("\n")), default=0
        )
        widths.append(max(low, min(high, max(longest, _width(header) // 2 + 2))))
    return widths


LINE_POINTS = 14.5  # the height of one line of 11-point text in a spreadsheet row


def _lines(text: str, width: int) -> int:
    """Return how many printed lines a cell's text takes in a column `width` characters wide."""
    return sum(max(1, math.ceil(_width(line) / max(1, width - 1))) for line in text.split("\n"))


def _spans(table: Overview) -> list[tuple[int, int]]:
    """Return the (first, last) row index of each target's rows."""
    spans: list[tuple[int, int]] = []
    for index, row in enumerate(table.rows):
        if spans and table.rows[spans[-1][0]].target_id == row.target_id:
            spans[-1] = (spans[-1][0], index)
        else:
            spans.append((index, index))
    return spans


def to_xlsx(table: Overview) -> bytes:
    """Return the table as an Excel workbook, laid out and set up for printing."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = quarter_word(table.period)
    count = len(table.headers)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.append([table.title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=count)
    title = sheet.cell(1, 1)
    title.font = Font(bold=True, size=16)
    title.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = 36
    sheet.append(list(table.headers))
    for column in range(1, count + 1):
        cell = sheet.cell(2, column)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    centred = {"number", "leader", "deadline", "on_schedule"}
    for row in _blank_repeats(table):
        sheet.append(row)
    for r in range(3, 3 + len(table.rows)):
        for c, role in enumerate(table.roles, start=1):
            cell = sheet.cell(r, c)
            cell.border = border
            cell.alignment = Alignment(
                horizontal="center" if role in centred else "left",
                vertical="center" if role in centred else "top",
                wrap_text=True,
            )
    merged = [c for c, role in enumerate(table.roles, start=1) if role in ("number", "content")]
    for first, last in _spans(table):
        if last > first:
            for column in merged:
                sheet.merge_cells(
                    start_row=first + 3, start_column=column, end_row=last + 3, end_column=column
                )
    widths = column_widths(table)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    # Excel and LibreOffice do not grow a row for wrapped text they did not write themselves:
    # each row gets the height its tallest cell needs (a merged content cell spreads over its
    # rows), so nothing printed is cut off.
    spans = {first: last for first, last in _spans(table)}
    shared: dict[int, float] = {}
    for first, last in spans.items():
        for c, role in enumerate(table.roles):
            if role in ("number", "content"):
                need = _lines(table.rows[first].cells[c], widths[c]) / (last - first + 1)
                for index in range(first, last + 1):
                    shared[index] = max(shared.get(index, 1.0), need)
    for index, data in enumerate(table.rows):
        lines = max(
            [shared.get(index, 1.0)]
            + [
                _lines(text, widths[c])
                for c, (text, role) in enumerate(zip(data.cells, table.roles, strict=True))
                if role not in ("number", "content")
            ]
        )
        sheet.row_dimensions[index + 3].height = min(409, LINE_POINTS * math.ceil(lines) + 4)
    header_lines = max(_lines(h, w) for h, w in zip(table.headers, widths, strict=True))
    sheet.row_dimensions[2].height = LINE_POINTS * header_lines + 6
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_docx(table: Overview) -> bytes:
    """Return the table as a Word document: A4 landscape, the header row repeated per page."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(10)
    fonts = style.element.rPr.rFonts
    fonts.set(qn("w:eastAsia"), "宋体")
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(table.title)
    run.bold = True
    run.font.size = Pt(16)
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    header_row = grid.rows[0]
    properties = header_row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)  # the header row again on every page
    for column, text in enumerate(table.headers):
        cell = header_row.cells[column]
        cell.text = ""
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).bold = True
    for index, cells in enumerate(_blank_repeats(table), start=1):
        row = grid.rows[index]
        for column, text in enumerate(cells):
            row.cells[column].text = text
    merged = [c for c, role in enumerate(table.roles) if role in ("number", "content")]
    for first, last in _spans(table):
        if last > first:
            for column in merged:
                cell = grid.cell(first + 1, column).merge(grid.cell(last + 1, column))
                for paragraph in cell.paragraphs[1:]:  # the empty cells merged in
                    if not paragraph.text:
                        paragraph._element.getparent().remove(paragraph._element)
    usable = 29.7 - 3.0
    widths = column_widths(table)
    grid.autofit = False  # Word and LibreOffice keep the widths below, not equal columns
    sizes = [Cm(cm) for cm in _docx_widths(widths, usable)]
    for column_grid, size in zip(grid._tbl.tblGrid.gridCol_lst, sizes, strict=True):
        column_grid.w = size
    for column, size in enumerate(sizes):
        for row in grid.rows:
            row.cells[column].width = size
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


DOCX_CM_PER_UNIT = 0.19  # one half-width character of 10-point text, in centimetres
DOCX_MIN_CM = 1.3  # a 序号 or a three-character name stays on one line


def _docx_widths(widths: list[int], usable: float) -> list[float]:
    """Return the columns' widths in cm: as the text needs, the wide ones narrowed to fit."""
    sizes = [max(DOCX_MIN_CM, width * DOCX_CM_PER_UNIT) for width in widths]
    excess = sum(sizes) - usable
    wide = [i for i, size in enumerate(sizes) if size > 3 * DOCX_MIN_CM]
    if excess > 0 and wide:
        room = sum(sizes[i] - 3 * DOCX_MIN_CM for i in wide)
        for i in wide:
            sizes[i] -= excess * (sizes[i] - 3 * DOCX_MIN_CM) / room if room else 0
    if sum(sizes) > usable:  # still too wide: everything in proportion
        sizes = [usable * size / sum(sizes) for size in sizes]
    return sizes


def rows_as_text(table: Overview) -> Sequence[Sequence[str]]:
    """Return the table as lines of cells (the title, the header, the rows), for tests."""
    return [[table.title], list(table.headers), *_blank_repeats(table)]
