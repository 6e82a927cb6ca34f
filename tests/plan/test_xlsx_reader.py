"""The lean .xlsx reader reads every cell as openpyxl's own read-only workbook does.

The reader takes shared strings and cells straight from the XML (issue 18: openpyxl's reader
cost seconds at ten thousand rows); what a person sees in each cell must not change: rich text,
phonetic runs, escapes, inline strings, numbers, dates, times, booleans, merged cells.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook, load_workbook

from bot.plan.tables import cell_text
from bot.plan.xlsx import read_xlsx
from tests.hostile import make_corpus as corpus

TABLES = Path(__file__).parent / "tables"
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def openpyxl_cells(data: bytes) -> list[dict[tuple[int, int], str]]:
    """Return each sheet's non-empty cells as openpyxl's read-only workbook gives them."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [
            {
                (int(cell.row or 0), int(cell.column or 0)): text
                for row in sheet.iter_rows()
                for cell in row
                if getattr(cell, "value", None) is not None and (text := cell_text(cell.value))
            }
            for sheet in workbook.worksheets
        ]
    finally:
        workbook.close()


def our_cells(data: bytes) -> list[dict[tuple[int, int], str]]:
    """Return each sheet's non-empty cells as read_xlsx gives them, merged copies left out."""
    return [
        {
            (row.number, column + 1): text
            for row in sheet.rows
            for column, text in enumerate(row.cells)
            if text and column not in row.merged
        }
        for sheet in read_xlsx(data, "t.xlsx")
    ]


def test_every_xlsx_table_of_the_tests_reads_as_openpyxl_reads_it() -> None:
    files = sorted(TABLES.glob("*.xlsx"))
    assert files
    for path in files:
        data = path.read_bytes()
        assert our_cells(data) == openpyxl_cells(data), path.name


def test_numbers_dates_times_booleans_and_merges_read_as_openpyxl_reads_them() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "一览表"
    sheet.append(["序号", "数", "日期", "时刻", "布尔", "文本"])
    sheet.append([1, 1.5, date(2023, 9, 30), time(9, 30), True, "第一行\r\n第二行"])
    sheet.append([2, 3.0, datetime(2023, 10, 5, 14, 0), None, False, "  前后空格  "])
    sheet.append([3, 12345678901, datetime(2023, 12, 31), None, None, "合并"])
    sheet.merge_cells("F4:G5")
    workbook.create_sheet("第二页").append(["说明", 0.25])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()

    assert our_cells(data) == openpyxl_cells(data)
    first = read_xlsx(data, "t.xlsx")[0]
    assert first.rows[1].cells == ("1", "1.5", "2023-09-30", "09:30:00", "True", "第一行\n第二行")
    assert first.rows[3].cells[5:] == ("合并", "合并")  # a merged range gives every cell its value
    assert first.rows[4].cells[5:] == ("合并", "合并")
    assert first.rows[4].merged == {5, 6}


def test_shared_strings_with_rich_text_phonetics_and_escapes_read_as_openpyxl_reads_them() -> None:
    strings = [
        "<t>市水务局</t>",
        '<r><t>新建</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 5G基站 </t></r>',
        '<t>菏泽</t><rPh sb="0" eb="2"><t>ホーズ</t></rPh><phoneticPr fontId="1"/>',
        "<t>a_x005F_x000D_b</t>",
        "<t/>",
        f"<t>{escape('<&>')}</t>",
    ]
    sst = (
        f'<sst xmlns="{corpus.SHEET_NS}" count="{len(strings)}">'
        + "".join(f"<si>{s}</si>" for s in strings)
        + "</sst>"
    )
    cells = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(len(strings)))
    inline = '<c r="A2" t="inlineStr"><is><r><t>内</t></r><r><t>联</t></r></is></c>'
    others = (
        '<c r="B2" t="str"><v>公式</v></c><c r="C2" t="e"><v>#N/A</v></c><c r="D2"><v>7</v></c>'
    )
    sheet = corpus.sheet_xml(f'<row r="1">{cells}</row><row r="2">{inline}{others}</row>')
    types = corpus.PACKAGE["[Content_Types].xml"].replace(
        "</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SML}.sharedStrings+xml"/>'
        "</Types>",
    )
    data = corpus.xlsx(
        sheet,
        {"[Content_Types].xml": types.encode(), "xl/sharedStrings.xml": sst.encode()},
    )

    assert our_cells(data) == openpyxl_cells(data)
    rows = read_xlsx(data, "t.xlsx")[0].rows
    assert rows[0].cells == ("市水务局", "新建 5G基站", "菏泽", "a_x000D_b", "", "<&>")
    assert rows[1].cells == ("内联", "公式", "#N/A", "7")


def test_column_letters_are_the_ones_a_spreadsheet_shows() -> None:
    """Errors name columns by letter (第 2 行 AB 列); ours are openpyxl's, without importing it."""
    from openpyxl.utils import get_column_letter

    from bot.plan.tables import column_letter

    assert [column_letter(n) for n in (1, 26, 27, 28, 52, 64, 702, 703, 18_278)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BL",
        "ZZ",
        "AAA",
        "ZZZ",
    ]
    assert all(column_letter(n) == get_column_letter(n) for n in range(1, 18_279))


def test_the_bot_and_the_command_line_start_without_openpyxl() -> None:
    """openpyxl (with numpy and Pillow) is loaded when a workbook is read or written, not before."""
    import subprocess
    import sys

    code = "import sys, bot.app, bot.cli; print('openpyxl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
