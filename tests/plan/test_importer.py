"""The importer on the real demo table and on what offices send: xlsx, GBK csv, bad files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import aiosqlite
import pytest
from openpyxl import Workbook

from bot.cli.commands import target_json
from bot.i18n import Translator
from bot.plan.importer import DEMO_TABLE, describe_error, describe_summary, import_file
from bot.plan.tables import TableError
from storage import targets as repo
from storage.db import connect
from tests.conftest import scalar, snapshot
from tests.plan.other_writer import write_from_another_connection

TITLE = "菏泽市人民政府2023年经济社会发展责任目标三季度工作推进情况一览表"
PLAN = "菏泽市人民政府2023年经济社会发展责任目标"
LEADERS = {"聂元科", "刘连栋", "肖友华", "王昌华", "曹临"}


def write_xlsx(path: Path, lines: list[str]) -> None:
    """Save the demo table the way offices keep it in Excel.

    An attachment mark above a merged title row, blank rows, headers with line breaks, 序号
    and content merged over a target's continuation rows, numbers as numbers, the header
    repeated at a page break, and notes under the table.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "三季度"
    sheet.append(["附件1"])
    sheet.append([TITLE])
    sheet.merge_cells("A2:G2")
    sheet.append([])
    first_of_target = 0
    for line in lines:
        cells = line.split("\t")
        if len(cells) != 7:
            continue  # the TSV's own title and blank lines: we wrote ours above
        if cells[0] == "序号":
            sheet.append(["序号", "市政府\n领导", "责任目标内容", "完成\n时限", *cells[4:]])
            continue
        if cells[0]:
            sheet.append([int(cells[0]), *cells[1:]])
            first_of_target = sheet.max_row
            continue
        # A continuation row: 序号 and the content are merged with the target's first row.
        sheet.append([None, cells[1], None, *cells[3:]])
        sheet.merge_cells(f"A{first_of_target}:A{sheet.max_row}")
        sheet.merge_cells(f"C{first_of_target}:C{sheet.max_row}")
    sheet.append([])
    sheet.append(["注：1. 本表由市政府督查室汇总；2. “是否按计划完成进度”填是或否。"])
    sheet.merge_cells(f"A{sheet.max_row}:G{sheet.max_row}")
    sheet.append(["填报单位：市政府督查室"])
    workbook.save(path)


def write_csv(path: Path, lines: list[str], encoding: str) -> None:
    """Save the demo table as a comma-separated file in the given encoding."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for line in lines:
        writer.writerow(line.split("\t") if line else [])
    path.write_bytes(buffer.getvalue().encode(encoding))


async def stored(conn: aiosqlite.Connection) -> list[dict[str, object]]:
    """Return what the current plan holds, in the `targets --json` shape."""
    plan = await repo.current_plan(conn)
    assert plan is not None
    return [target_json(t) for t in await repo.list_targets(conn, plan.id)]


async def test_demo_table_stores_every_target_leader_unit_and_report(
    db: aiosqlite.Connection,
) -> None:
    summary = await import_file(db, DEMO_TABLE, actor="test")

    assert (summary.plan_title, summary.period) == (PLAN, "2023Q3")
    assert len(summary.added) == 57
    assert summary.reports_added == 59
    assert await scalar(db, "SELECT COUNT(*) FROM target") == 57
    assert await scalar(db, "SELECT COUNT(*) FROM assignment") == 59
    assert await scalar(db, "SELECT COUNT(*) FROM unit") == 26
    async with db.execute("SELECT name FROM leader") as cursor:
        assert {row[0] for row in await cursor.fetchall()} == LEADERS
    async with db.execute("SELECT period, status, source, revision FROM report") as cursor:
        reports = [tuple(row) for row in await cursor.fetchall()]
    assert reports == [("2023Q3", "on_track", "import", 1)] * 59

    plan = await repo.current_plan(db)
    assert plan is not None
    assert plan.year == 2023
    assert plan.title == PLAN
    targets = {t.number: t for t in await repo.list_targets(db, plan.id)}
    assert sorted(targets) == list(range(40, 97))
    assert targets[53].assignments[0].units == (
        "市工业和信息化局",
        "东明县人民政府",
        "巨野县人民政府",
        "单县人民政府",
    )
    assert targets[47].due_date == date(2023, 10, 31)
    assert targets[52].deadline == "长期坚持"
    assert targets[52].due_date is None
    assert targets[69].deadline == "持续推进"
    assert targets[69].due_date is None
    assert [(a.leader, a.units) for a in targets[40].assignments] == [
        ("聂元科", ("市人力资源社会保障局",)),
        ("刘连栋", ("市退役军人事务局",)),
    ]
    assert [a.leader for a in targets[46].assignments] == ["聂元科", "肖友华"]
    assert targets[90].assignments[0].leader == "曹临"
    report = targets[86].assignments[0].latest_report
    assert report is not None
    assert report.progress == "新建并开通5G基站1640个"


async def test_xlsx_with_merged_cells_imports_the_same_data(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    await import_file(db, DEMO_TABLE, actor="test")
    xlsx = tmp_path / "一览表.xlsx"
    write_xlsx(xlsx, demo_lines)
    conn = await connect(tmp_path / "from-xlsx.db")
    try:
        summary = await import_file(conn, xlsx, actor="test")
        assert (summary.plan_title, summary.period) == (PLAN, "2023Q3")
        assert await stored(conn) == await stored(db)
    finally:
        await conn.close()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
async def test_csv_in_each_encoding_imports_the_same_data(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str], encoding: str
) -> None:
    await import_file(db, DEMO_TABLE, actor="test")
    path = tmp_path / f"table-{encoding}.csv"
    write_csv(path, demo_lines, encoding)
    conn = await connect(tmp_path / "from-csv.db")
    try:
        await import_file(conn, path, actor="test")
        assert await stored(conn) == await stored(db)
    finally:
        await conn.close()


async def test_importing_the_same_table_twice_changes_nothing_and_says_so(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    await import_file(db, DEMO_TABLE, actor="test")
    before = await snapshot(db)
    xlsx = tmp_path / "same.xlsx"
    write_xlsx(xlsx, demo_lines)

    for path in (DEMO_TABLE, xlsx):
        summary = await import_file(db, path, actor="test")
        assert not summary.changes_anything
        assert len(summary.unchanged) == 57
        assert await snapshot(db) == before
    lines = describe_summary(summary, Translator("en"))
    assert lines == [
        f"“{PLAN}” 2023Q3: the file matches what is stored; nothing changed (57 targets unchanged)."
    ]


async def test_a_reimport_writes_only_what_changed(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    await import_file(db, DEMO_TABLE, actor="test")
    xlsx = tmp_path / "same.xlsx"
    write_xlsx(xlsx, demo_lines)
    before = await snapshot(db)
    changes = db.total_changes

    # The same table again, as sent and as kept in Excel: not one row written, no audit entry,
    # no new plan; the user is told nothing changed.
    for path in (DEMO_TABLE, xlsx):
        summary = await import_file(db, path, actor="test")
        assert db.total_changes == changes, path.name
        assert describe_summary(summary, Translator("en")) == [
            f"“{PLAN}” 2023Q3: the file matches what is stored; nothing changed"
            " (57 targets unchanged)."
        ]
    assert await snapshot(db) == before

    # One progress text changed: its report revision and the import's audit entry, nothing else.
    one = tmp_path / "one.tsv"
    one.write_text("\n".join(demo_with(demo_lines, "90", 4, "完成投资20亿元")), encoding="utf-8")
    summary = await import_file(db, one, actor="test")

    assert (summary.added, summary.changed, summary.reports_added) == ([], [], 1)
    after = await snapshot(db)
    assert {table for table in after if after[table] != before[table]} == {"report", "audit_log"}
    assert after["report"][: len(before["report"])] == before["report"]
    async with db.execute(
        "SELECT t.number, r.revision, r.progress, r.source FROM report r "
        "JOIN assignment a ON a.id = r.assignment_id JOIN target t ON t.id = a.target_id "
        "WHERE r.id > ?",
        (len(before["report"]),),
    ) as cursor:
        assert [tuple(row) for row in await cursor.fetchall()] == [
            (90, 2, "完成投资20亿元", "import")
        ]
    assert len(after["audit_log"]) == len(before["audit_log"]) + 1


async def test_reimport_adds_revisions_and_retires_without_losing_history(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    await import_file(db, DEMO_TABLE, actor="test")
    changed: list[str] = []
    for line in demo_lines:
        cells = line.split("\t")
        if cells[0] == "90":
            cells[4], cells[5] = "完成投资16.32亿元,进度滞后", "否"
        if cells[0] == "47":
            cells[3] = "11月底"
        if cells[0] == "62":
            continue
        changed.append("\t".join(cells))
    path = tmp_path / "q3-revised.tsv"
    path.write_text("\n".join(changed), encoding="utf-8")

    summary = await import_file(db, path, actor="test")

    assert summary.changed == [47]
    assert summary.retired == [62]
    assert summary.reports_added == 1
    plan = await repo.current_plan(db)
    assert plan is not None
    targets = {t.number: t for t in await repo.list_targets(db, plan.id)}
    assert 62 not in targets
    assert len(targets) == 56
    assert targets[47].due_date == date(2023, 11, 30)
    latest = targets[90].assignments[0].latest_report
    assert latest is not None
    assert (latest.revision, latest.status) == (2, "behind")
    async with db.execute(
        "SELECT r.revision, r.status, r.progress FROM report r "
        "JOIN assignment a ON a.id = r.assignment_id JOIN target t ON t.id = a.target_id "
        "WHERE t.number = 90 ORDER BY r.revision"
    ) as cursor:
        history = [tuple(row) for row in await cursor.fetchall()]
    assert history == [
        (1, "on_track", "推进现代水网建设,完成投资16.32亿元"),
        (2, "behind", "完成投资16.32亿元,进度滞后"),
    ]
    # The retired target keeps its report; importing it again brings it back.
    assert (
        await scalar(
            db,
            "SELECT COUNT(*) FROM report r JOIN assignment a ON a.id = r.assignment_id "
            "JOIN target t ON t.id = a.target_id WHERE t.number = 62",
        )
        == 1
    )
    again = await import_file(db, DEMO_TABLE, actor="test")
    assert 62 in again.changed
    assert 47 in again.changed
    assert again.reports_added == 1  # 90's text as first imported differs from the last import
    assert await scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'import'") == 3


async def test_dry_run_reports_the_changes_and_stores_none(db: aiosqlite.Connection) -> None:
    before = await snapshot(db)
    summary = await import_file(db, DEMO_TABLE, actor="test", dry_run=True)
    assert summary.dry_run
    assert len(summary.added) == 57
    assert summary.reports_added == 59
    assert await snapshot(db) == before


def demo_with(lines: list[str], number: str, column: int, value: str) -> list[str]:
    """Return the demo lines with one cell of target `number`'s row replaced."""
    result = []
    for line in lines:
        cells = line.split("\t")
        if cells[0] == number:
            cells[column] = value
        result.append("\t".join(cells))
    return result


def line_of(lines: list[str], number: str) -> int:
    """Return the 1-based line number of target `number`'s first row."""
    return next(i for i, line in enumerate(lines, 1) if line.split("\t")[0] == number)


BAD_TEXT_TABLES = {
    # name: (edit of the demo lines, expected key, row of the fault (by target), column letter)
    "duplicate_number": ("62", 0, "48", "import.error.duplicate_number", "A"),
    "bad_number": ("62", 0, "六十二", "import.error.bad_number", "A"),
    "bad_status": ("62", 5, "也许", "import.error.bad_status", "F"),
    "empty_content": ("62", 2, "", "import.error.empty_cell", "C"),
    "empty_units": ("62", 6, "", "import.error.empty_cell", "G"),
    "empty_leader": ("62", 1, "", "import.error.empty_cell", "B"),
    "progress_without_status": ("62", 5, "", "import.error.empty_cell", "F"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT_TABLES))
async def test_a_bad_cell_rejects_the_whole_table_naming_row_and_column(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str], case: str
) -> None:
    await import_file(db, DEMO_TABLE, actor="test")
    before = await snapshot(db)
    number, column, value, key, letter = BAD_TEXT_TABLES[case]
    lines = demo_with(demo_lines, number, column, value)
    path = tmp_path / "bad.tsv"
    path.write_text("\n".join(lines), encoding="utf-8")

    with pytest.raises(TableError) as caught:
        await import_file(db, path, actor="test")

    error = caught.value
    assert (error.key, error.row, error.column_letter) == (key, line_of(demo_lines, number), letter)
    assert await snapshot(db) == before


async def test_duplicate_number_message_names_file_row_column_and_first_use(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    path = tmp_path / "dup.tsv"
    path.write_text("\n".join(demo_with(demo_lines, "62", 0, "48")), encoding="utf-8")
    with pytest.raises(TableError) as caught:
        await import_file(db, path, actor="test")
    row, first = line_of(demo_lines, "62"), line_of(demo_lines, "48")
    assert describe_error(caught.value, Translator("en")) == (
        f"dup.tsv, row {row}, column A (序号): number 48 is used twice (already on row {first})."
    )
    assert describe_error(caught.value, Translator("zh")) == (
        f"dup.tsv 第 {row} 行 A 列（序号）：序号 48 重复（第 {first} 行已使用）。"
    )
    assert await scalar(db, "SELECT COUNT(*) FROM target") == 0


def _without_column(lines: list[str], index: int) -> list[str]:
    return ["\t".join(c for i, c in enumerate(line.split("\t")) if i != index) for line in lines]


def _continuation_first(lines: list[str]) -> list[str]:
    return demo_with(lines, "40", 0, "")


def _garbled(lines: list[str]) -> bytes:
    return "\n".join(lines).encode("utf-8").replace("目标".encode(), b"\xff\xfe\xfa")


BAD_FILES: dict[str, tuple[str, Callable[[list[str]], bytes], str, int | None]] = {
    # name: (file name, content from the demo lines, expected key, row or None)
    "missing_column": (
        "t.tsv",
        lambda ls: "\n".join(_without_column(ls, 2)).encode(),
        "import.error.missing_columns",
        5,
    ),
    "orphan_continuation": (
        "t.tsv",
        lambda ls: "\n".join(_continuation_first(ls)).encode(),
        "import.error.orphan_continuation",
        6,
    ),
    "content_without_number": (
        "t.tsv",
        lambda ls: "\n".join(demo_with(ls, "41", 0, "")).encode(),
        "import.error.content_without_number",
        8,
    ),
    "encoding": ("t.tsv", _garbled, "import.error.encoding", None),
    "binary": (
        "t.csv",
        lambda ls: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "import.error.not_text",
        None,
    ),
    "no_header": (
        "t.txt",
        lambda ls: "会议纪要\n今天讨论了三件事。\n".encode(),
        "import.error.no_header",
        None,
    ),
    "empty": ("t.csv", lambda ls: b"", "import.error.empty", None),
    "blank_lines_only": ("t.tsv", lambda ls: b"\n\n  \n", "import.error.empty", None),
    "header_only": (
        "t.tsv",
        lambda ls: "\n".join(ls[:5]).encode(),
        "import.error.no_targets",
        None,
    ),
    "corrupt_xlsx": (
        "t.xlsx",
        lambda ls: b"PK\x03\x04 not really a zip",
        "import.error.bad_xlsx",
        None,
    ),
    "old_xls": (
        "t.xls",
        lambda ls: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old",
        "import.error.old_xls",
        None,
    ),
    "pdf": ("t.pdf", lambda ls: b"%PDF-1.7 ...", "import.error.unsupported", None),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
async def test_a_bad_file_is_rejected_whole_and_changes_nothing(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str], case: str
) -> None:
    await import_file(db, DEMO_TABLE, actor="test")
    before = await snapshot(db)
    name, make, key, row = BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(make(demo_lines))

    with pytest.raises(TableError) as caught:
        await import_file(db, path, actor="test")

    assert (caught.value.key, caught.value.row) == (key, row)
    assert caught.value.file == name
    assert name in describe_error(caught.value, Translator("zh"))
    assert await snapshot(db) == before


async def test_a_file_over_the_size_limit_is_refused_before_reading(
    db: aiosqlite.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(21 * 2**20)
    with pytest.raises(TableError) as caught:
        await import_file(db, path, actor="test")
    assert caught.value.key == "import.error.too_large"
    assert describe_error(caught.value, Translator("en")) == (
        "huge.csv: the file is 21.0 MB, over the 20 MB limit. Split it and import the parts."
    )
    assert await scalar(db, "SELECT COUNT(*) FROM plan") == 0


async def test_missing_columns_are_named(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    # Only 序号 and the content are required (units and deadline are used when present): the
    # message names what was recognised, and as what, and what is missing.
    path = tmp_path / "cols.tsv"
    path.write_text("\n".join(_without_column(_without_column(demo_lines, 6), 2)), "utf-8")
    with pytest.raises(TableError) as caught:
        await import_file(db, path, actor="test")
    assert describe_error(caught.value, Translator("zh")) == (
        "cols.tsv 第 5 行：找不到“内容”列。已识别：序号=序号、市政府领导=领导、完成时限=时限、"
        '三季度完成情况=进度、是否按计划完成进度=状态。可用 --columns "内容=表头名" 指定。'
    )


async def test_header_in_any_column_order_with_period_from_the_header(
    db: aiosqlite.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "reordered.csv"
    path.write_text(
        "某市2024年责任目标\n"
        "责任单位,序号,完成情况（二季度）,完成时限,责任目标内容,是否按计划完成进度,市政府领导\n"
        "市水务局、市生态环境局,1,完成投资5亿元,6月底前,水利投资10亿元,否,曹 临\n"
        ",,,,,,\n"
        "市财政局,2,已完成,2024年9月30日,某项任务,已完成,王昌华\n",
        encoding="utf-8",
    )
    summary = await import_file(db, path, actor="test")
    assert (summary.plan_title, summary.period) == ("某市2024年责任目标", "2024Q2")
    targets = await stored(db)
    assert targets == [
        {
            "number": 1,
            "content": "水利投资10亿元",
            "deadline": "6月底前",
            "due_date": "2024-06-30",
            "assignments": [
                {
                    "leader": "曹临",
                    "units": ["市水务局", "市生态环境局"],
                    "period": "2024Q2",
                    "status": "behind",
                    "progress": "完成投资5亿元",
                    "assisting": [],
                }
            ],
            "label": None,
            "category": None,
            "extra": [],
            "closed": None,
        },
        {
            "number": 2,
            "content": "某项任务",
            "deadline": "2024年9月30日",
            "due_date": "2024-09-30",
            "assignments": [
                {
                    "leader": "王昌华",
                    "units": ["市财政局"],
                    "period": "2024Q2",
                    "status": "completed",
                    "progress": "已完成",
                    "assisting": [],
                }
            ],
            "label": None,
            "category": None,
            "extra": [],
            "closed": None,
        },
    ]


async def test_unreadable_deadline_is_kept_as_text_with_a_notice(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    path = tmp_path / "deadline.tsv"
    path.write_text("\n".join(demo_with(demo_lines, "62", 3, "视情况而定")), encoding="utf-8")
    summary = await import_file(db, path, actor="test")
    row = line_of(demo_lines, "62")
    assert describe_summary(summary, Translator("en"))[-1] == (
        f"Row {row}, #62: the deadline “视情况而定” is not a date we can read; "
        "it is kept as text and gets no due-date reminders."
    )
    targets = {t["number"]: t for t in await stored(db)}
    assert (targets[62]["deadline"], targets[62]["due_date"]) == ("视情况而定", None)


async def test_a_newer_plan_becomes_current_and_the_old_one_stays(
    db: aiosqlite.Connection, tmp_path: Path
) -> None:
    await import_file(db, DEMO_TABLE, actor="test")
    path = tmp_path / "2024.csv"
    path.write_text(
        "菏泽市人民政府2024年经济社会发展责任目标一季度工作推进情况一览表\n"
        "序号,市政府领导,责任目标内容,完成时限,一季度完成情况,是否按计划完成进度,责任单位\n"
        "1,王昌华,新建5G基站2000个,年底,已建成300个,是,市工业和信息化局\n",
        encoding="utf-8",
    )
    await import_file(db, path, actor="test")
    plan = await repo.current_plan(db)
    assert plan is not None
    assert (plan.title, plan.year) == (
        "菏泽市人民政府2024年经济社会发展责任目标",
        2024,
    )
    assert await scalar(db, "SELECT COUNT(*) FROM plan") == 2
    assert await scalar(db, "SELECT COUNT(*) FROM target") == 58
    # Re-importing the older year's table does not take "current" away from the newer one.
    await import_file(db, DEMO_TABLE, actor="test")
    plan = await repo.current_plan(db)
    assert plan is not None
    assert plan.year == 2024


async def test_a_table_without_title_is_named_by_plan_and_period_or_its_file(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    # Issue 15: a table without a title line is no longer refused; the file names the plan.
    path = tmp_path / "untitled-2023.tsv"
    path.write_text("\n".join(demo_lines[4:]), encoding="utf-8")
    summary = await import_file(db, path, actor="test", dry_run=True)
    assert (summary.plan_title, summary.period, len(summary.added)) == (
        "untitled-2023",
        "2023Q3",
        57,
    )
    assert await scalar(db, "SELECT COUNT(*) FROM plan") == 0

    summary = await import_file(db, path, actor="test", plan_title=PLAN, period="2023Q3")
    assert (summary.plan_title, summary.period, len(summary.added)) == (PLAN, "2023Q3", 57)


# The demo table's columns with 市政府领导 and 责任单位 swapped.
REORDERED = (0, 6, 2, 3, 4, 5, 1)


def _header_reordered_from(lines: list[str], number: str) -> list[str]:
    """Return the demo lines with the header repeated before `number` in another column order,
    the rows below it following that order."""
    result: list[str] = []
    reordering = False
    for line in lines:
        cells = line.split("\t")
        if cells[0] == number and not reordering:
            reordering = True
            header = next(x for x in lines if x.startswith("序号")).split("\t")
            result.append("\t".join(header[i] for i in REORDERED))
        if reordering and len(cells) == 7:
            cells = [cells[i] for i in REORDERED]
        result.append("\t".join(cells))
    return result


async def test_a_header_repeated_in_another_column_order_is_read_again(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    await import_file(db, DEMO_TABLE, actor="test")
    path = tmp_path / "pages.tsv"
    path.write_text("\n".join(_header_reordered_from(demo_lines, "70")), encoding="utf-8")
    conn = await connect(tmp_path / "pages.db")
    try:
        summary = await import_file(conn, path, actor="test")

        assert (len(summary.added), summary.leaders_added, summary.units_added) == (57, 5, 26)
        assert await stored(conn) == await stored(db)
    finally:
        await conn.close()


async def test_a_repeated_header_with_other_columns_is_refused_naming_its_row(
    db: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    lines = _header_reordered_from(demo_lines, "70")
    at = [i for i, line in enumerate(lines) if line.startswith("序号")][1]
    lines[at] = lines[at].replace("完成时限", "备注")
    path = tmp_path / "changed.tsv"
    path.write_text("\n".join(lines), encoding="utf-8")

    with pytest.raises(TableError) as caught:
        await import_file(db, path, actor="test")

    assert describe_error(caught.value, Translator("en")) == (
        f"changed.tsv, row {at + 1}: this header, repeated below the first one (row 5), does not "
        "have the same columns (完成时限); give it the same columns or delete it."
    )
    assert await scalar(db, "SELECT COUNT(*) FROM plan") == 0


async def test_an_import_locks_nobody_out_while_it_reads_and_compares(
    tmp_path: Path, demo_lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "targetbot.db"
    conn = await connect(path)
    try:
        await import_file(conn, DEMO_TABLE, actor="test")
        table = tmp_path / "new-leader.tsv"
        table.write_text("\n".join(demo_with(demo_lines, "90", 1, "新领导")), encoding="utf-8")
        # Between the import's reading what is stored and its comparing the table with it,
        # another process writes (without waiting: a locked database fails at once) a leader
        # the table names.
        outcomes: list[str] = []
        import_state = repo.import_state

        async def import_state_then_another_writes(
            *args: object, **kwargs: object
        ) -> repo.ImportState:
            state = await import_state(*args, **kwargs)  # type: ignore[arg-type]
            if not outcomes:
                outcomes.append(write_from_another_connection(path, "新领导"))
            return state

        monkeypatch.setattr(repo, "import_state", import_state_then_another_writes)
        summary = await import_file(conn, table, actor="test")

        assert outcomes == ["written"]
        # Compared again inside the write: the leader is not new any more, and stored once.
        assert (summary.changed, summary.leaders_added) == ([90], 0)
        assert await scalar(conn, "SELECT COUNT(*) FROM leader WHERE name = '新领导'") == 1
        targets = {t["number"]: t for t in await stored(conn)}
        assert targets[90]["assignments"][0]["leader"] == "新领导"  # type: ignore[index]
    finally:
        await conn.close()


async def test_a_table_naming_no_quarter_imports_under_one_it_says(tmp_path: Path) -> None:
    # No 三季度 in the title or the progress header: the plan year's last quarter (2023 is
    # past), said in the summary, never a silent guess.
    lines = DEMO_TABLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "t.tsv"
    path.write_text(
        "\n".join(
            line.replace("三季度工作推进情况一览表", "工作推进情况一览表").replace(
                "三季度完成情况", "完成情况"
            )
            for line in lines
        ),
        encoding="utf-8",
    )
    conn = await connect(tmp_path / "q.db")
    try:
        summary = await import_file(conn, path, actor="test")
    finally:
        await conn.close()
    assert summary.period == "2023Q4"
    assert describe_summary(summary, Translator("zh"))[-1] == (
        "表中没有写明季度或日期，进度按 2023Q4 记录；如不对，请用 --period 指定（如 2023Q3）。"
    )
