"""The overview table (一览表) exported in the layout its plan came in, and read back."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date
from pathlib import Path

import aiosqlite
from docx import Document
from openpyxl import load_workbook

from bot.plan import export
from bot.plan.importer import DEMO_TABLE, import_file
from bot.plan.names import normalise_name, split_units
from storage import targets as repo
from storage.db import transaction
from tests.app.test_cli import targetbot
from tests.conftest import snapshot

PLAN = "菏泽市人民政府2023年经济社会发展责任目标"
TITLE = f"{PLAN}三季度工作推进情况一览表"
DEMO_HEADERS = (
    "序号",
    "市政府领导",
    "责任目标内容",
    "完成时限",
    "三季度完成情况",
    "是否按计划完成进度",
    "责任单位",
)


async def test_import_keeps_the_title_line_and_columns_in_order(demo: aiosqlite.Connection) -> None:
    plan = await repo.plan_by_title(demo, PLAN)
    assert plan is not None
    layout = await repo.plan_layout(demo, plan.id)
    assert layout is not None
    assert layout.title_line == f"{PLAN}三季度工作推进情况一览表"
    assert tuple(h for h, _ in layout.columns) == DEMO_HEADERS
    assert tuple(r for _, r in layout.columns) == (
        "number",
        "leader",
        "content",
        "deadline",
        "progress",
        "on_schedule",
        "units",
    )


async def test_the_demo_exports_as_the_office_published_it(
    demo: aiosqlite.Connection, tmp_path: Path
) -> None:
    table = await export.overview(demo, "2023Q3")
    path = tmp_path / table.file_name("xlsx")
    path.write_bytes(export.render(table, "xlsx"))
    sheet = load_workbook(path).active
    assert sheet is not None
    assert sheet["A1"].value == TITLE
    assert tuple(c.value for c in sheet[2]) == DEMO_HEADERS
    data = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(data) == 59
    merged = {str(m) for m in sheet.merged_cells.ranges}
    rows_of = {n: i + 3 for i, row in enumerate(data) if (n := row[0]) is not None}
    assert f"A{rows_of['40']}:A{rows_of['40'] + 1}" in merged
    assert f"C{rows_of['40']}:C{rows_of['40'] + 1}" in merged
    assert any(m.startswith(f"A{rows_of['46']}:") for m in merged)
    assert sheet.print_title_rows == "$2:$2"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr is not None
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # The same text as the source, row for row (units parted by 、 where the source has spaces).
    source = [line.split("\t") for line in DEMO_TABLE.read_text(encoding="utf-8").splitlines()]
    source_rows = [cells for cells in source if len(cells) == 7 and cells[0] != "序号"]
    assert [[*(c or "" for c in row[:6]), split_units(str(row[6]))] for row in data] == [
        [
            cells[0].strip(),
            normalise_name(cells[1]),
            *(c.strip() for c in cells[2:6]),
            split_units(cells[6]),
        ]
        for cells in source_rows
    ]


async def test_an_export_read_back_changes_nothing(
    demo: aiosqlite.Connection, tmp_path: Path
) -> None:
    table = await export.overview(demo, "2023Q3")
    for fmt in ("xlsx", "csv"):
        before = await snapshot(demo)
        path = tmp_path / table.file_name(fmt)
        path.write_bytes(export.render(table, fmt))
        summary = await import_file(demo, path, actor="test")
        assert not summary.changes_anything, (fmt, summary)
        assert len(summary.unchanged) == len({r.target_id for r in table.rows})
        after = await snapshot(demo)
        assert {k: v for k, v in after.items() if k != "plan_layout"} == {
            k: v for k, v in before.items() if k != "plan_layout"
        }


async def test_a_table_numbered_per_section_reads_back_the_same(
    db: aiosqlite.Connection, tmp_path: Path
) -> None:
    # Exported as #1-1 … #2-3 without the section headings: the same numbers come back, and
    # the categories the headings gave stay.
    tables = Path(__file__).parent / "tables"
    await import_file(db, tables / "shape_sections_restart.tsv", actor="test")
    table = await export.overview(db, "2023Q3")
    assert [r.cells[0] for r in table.rows][:3] == ["1-1", "1-2", "2-1"]
    for fmt in ("xlsx", "csv"):
        before = await snapshot(db)
        path = tmp_path / table.file_name(fmt)
        path.write_bytes(export.render(table, fmt))
        summary = await import_file(db, path, actor="test")
        assert not summary.changes_anything, (fmt, summary)
        after = await snapshot(db)
        assert {k: v for k, v in after.items() if k != "plan_layout"} == {
            k: v for k, v in before.items() if k != "plan_layout"
        }


async def _assignment(conn: aiosqlite.Connection, number: int, position: int = 1) -> int:
    plan = await repo.current_plan(conn)
    assert plan is not None
    target = next(t for t in await repo.list_targets(conn, plan.id) if t.number == number)
    return target.assignments[position - 1].id


async def test_a_behind_report_says_why_and_what_is_done_and_reads_back_the_same(
    demo: aiosqlite.Connection, tmp_path: Path
) -> None:
    assignment = await _assignment(demo, 41)
    async with transaction(demo):
        await repo.append_report(
            demo,
            assignment,
            "2023Q3",
            "城镇新增就业5.1万人",
            "behind",
            source="chat",
            at="2023-10-05T09:00:00+08:00",
            reason="企业用工需求下降",
            remedy="开展专项招聘活动",
        )
    table = await export.overview(demo, "2023Q3")
    row = next(r for r in table.rows if r.cells[0] == "41")
    assert (
        row.cells[4]
        == "城镇新增就业5.1万人\n滞后原因：企业用工需求下降；整改措施：开展专项招聘活动"
    )
    assert row.cells[5] == "否"
    for fmt in ("xlsx", "csv"):
        before = await snapshot(demo)
        path = tmp_path / table.file_name(fmt)
        path.write_bytes(export.render(table, fmt))
        summary = await import_file(demo, path, actor="test")
        assert not summary.changes_anything, fmt
        assert await snapshot(demo) == before


async def test_completed_reads_back_as_completed(
    demo: aiosqlite.Connection, tmp_path: Path
) -> None:
    async with transaction(demo):
        await repo.append_report(
            demo,
            await _assignment(demo, 41),
            "2023Q3",
            "全年目标已完成",
            "completed",
            source="chat",
            at="2023-10-05T09:00:00+08:00",
        )
    table = await export.overview(demo, "2023Q3")
    assert next(r for r in table.rows if r.cells[0] == "41").cells[5] == "已完成"
    path = tmp_path / "back.csv"
    path.write_bytes(export.render(table, "csv"))
    assert not (await import_file(demo, path, actor="test")).changes_anything


async def test_csv_has_a_bom_and_the_same_rows(demo: aiosqlite.Connection) -> None:
    table = await export.overview(demo, "2023Q3")
    data = export.render(table, "csv")
    assert data.startswith(codecs.BOM_UTF8)
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == [TITLE]
    assert tuple(lines[1]) == DEMO_HEADERS
    assert len(lines) == 2 + 59
    second = lines[3]  # target 40's second row: 序号 and content left empty, as offices do
    assert (second[0], second[1], second[2]) == ("", "刘连栋", "")


async def test_docx_is_a_word_table_with_the_header_repeated(demo: aiosqlite.Connection) -> None:
    table = await export.overview(demo, "2023Q3")
    document = Document(io.BytesIO(export.render(table, "docx")))
    assert document.paragraphs[0].text == TITLE
    grid = document.tables[0]
    assert tuple(c.text for c in grid.rows[0].cells) == DEMO_HEADERS
    assert len(grid.rows) == 1 + 59
    properties = grid.rows[0]._tr.trPr
    assert properties is not None
    assert properties.xpath("./w:tblHeader")
    # Target 40's 序号 spans its two rows: both rows show the same (merged) cell.
    assert grid.cell(1, 0).text == grid.cell(2, 0).text == "40"
    assert grid.cell(2, 1).text == "刘连栋"
    section = document.sections[0]
    assert section.page_width is not None
    assert section.page_height is not None
    assert section.page_width > section.page_height


async def test_filters_by_leader_unit_and_light(demo: aiosqlite.Connection) -> None:
    mine = await export.overview(demo, "2023Q3", leader="刘连栋")
    assert mine.rows
    assert all(r.cells[1] == "刘连栋" for r in mine.rows)
    unit = await export.overview(demo, "2023Q3", unit="市退役军人事务局")
    assert unit.rows
    assert all("市退役军人事务局" in r.cells[6] for r in unit.rows)
    async with transaction(demo):
        await repo.append_report(
            demo,
            await _assignment(demo, 41),
            "2023Q3",
            "进展缓慢",
            "behind",
            source="chat",
            at="2023-10-05T09:00:00+08:00",
        )
    red = await export.overview(demo, "2023Q3", light="🔴", today=date(2023, 10, 6))
    assert [r.cells[0] for r in red.rows] == ["41"]
    assert red.title == TITLE


async def test_another_period_names_its_quarter(demo: aiosqlite.Connection) -> None:
    table = await export.overview(demo, "2023Q4")
    assert table.title == f"{PLAN}四季度工作推进情况一览表"
    assert table.headers[4] == "四季度完成情况"
    assert all(r.cells[4] == "" and r.cells[5] == "" for r in table.rows)
    assert table.file_name("xlsx") == f"{PLAN}_2023Q4.xlsx"


async def test_a_plan_imported_before_layouts_were_kept_exports_as_the_demo(
    demo: aiosqlite.Connection,
) -> None:
    await demo.execute("DELETE FROM plan_layout")
    await demo.commit()
    table = await export.overview(demo, "2023Q3")
    assert table.headers == DEMO_HEADERS
    assert table.title == TITLE
    assert len(table.rows) == 59


def test_the_cli_exports_every_format_and_refuses_an_unknown_leader(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert targetbot(tmp_path, "import", str(DEMO_TABLE), "--db", str(db)).returncode == 0
    for fmt in export.FORMATS:
        out = tmp_path / f"out.{fmt}"
        result = targetbot(
            tmp_path, "export", "--period", "2023Q3", "--format", fmt, "--out", str(out),
            "--db", str(db),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "59" in result.stdout
        assert out.stat().st_size > 0
    mine = tmp_path / "mine.csv"
    result = targetbot(
        tmp_path, "export", "--period", "2023q3", "--format", "csv", "--out", str(mine),
        "--leader", "刘连栋", "--db", str(db),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = list(csv.reader(io.StringIO(mine.read_text(encoding="utf-8-sig"))))
    assert lines[2:]
    assert all(line[1] == "刘连栋" for line in lines[2:])
    back = targetbot(tmp_path, "import", str(tmp_path / "out.xlsx"), "--db", str(db))
    assert back.returncode == 0, back.stderr
    assert "没有任何变化" in back.stdout, back.stdout
    refused = targetbot(
        tmp_path, "export", "--period", "2023Q3", "--out", str(tmp_path / "x.xlsx"),
        "--leader", "张三", "--db", str(db),
    )  # fmt: skip
    assert refused.returncode == 1
    assert "张三" in refused.stderr
    bad = targetbot(
        tmp_path, "export", "--period", "2023", "--out", str(tmp_path / "x.xlsx"), "--db", str(db)
    )
    assert bad.returncode == 1
    assert "2023Q3" in bad.stderr
