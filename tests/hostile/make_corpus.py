"""Make the hostile-files corpus: tables that each attack the importer one way.

Every file is a valid target table but for one hostile feature, so that its refusal is owed to
that feature. The small files are checked in under tests/hostile/files/ (after a change here,
run `python -m tests.hostile.make_corpus` to write them again; a test checks they match). The
large ones and the bombs are made at test time (`LARGE`), small on disk but large unpacked.
Each entry names the error key the importer must refuse the file with.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

FILES = Path(__file__).parent / "files"
TITLE = "某市2023年责任目标三季度工作推进情况一览表"
HEADER = (
    "序号",
    "市政府领导",
    "责任目标内容",
    "完成时限",
    "三季度完成情况",
    "是否按计划完成进度",
    "责任单位",
)
ROW = ("1", "王昌华", "新建5G基站100个", "年底", "已建成80个", "是", "市工业和信息化局")


# ---------------------------------------------------------------------------- text tables


def tsv(*rows: tuple[str, ...], blank_lines: int = 0) -> bytes:
    """Return a TSV table: the title, the header, the valid row, then `rows`."""
    lines = [TITLE, "\t".join(HEADER), "\t".join(ROW), *[""] * blank_lines]
    lines += ["\t".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def row_with(index: int, value: str, number: str = "2") -> tuple[str, ...]:
    """Return another valid data row with one cell replaced."""
    cells = (number, *ROW[1:])
    return tuple(value if i == index else cell for i, cell in enumerate(cells))


# ---------------------------------------------------------------------------- xlsx packages

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PACKAGE = {
    "[Content_Types].xml": _XML
    + f'<Types xmlns="{_PKG}/content-types">'
    + '<Default Extension="rels" '
    + 'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    + '<Default Extension="xml" ContentType="application/xml"/>'
    + f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}.sheet.main+xml"/>'
    + f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}.worksheet+xml"/>'
    + "</Types>",
    "_rels/.rels": _XML
    + f'<Relationships xmlns="{_PKG}/relationships">'
    + f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    + "</Relationships>",
    "xl/workbook.xml": _XML
    + f'<workbook xmlns="{SHEET_NS}" xmlns:r="{_REL}">'
    + '<sheets><sheet name="三季度" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": _XML
    + f'<Relationships xmlns="{_PKG}/relationships">'
    + f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    + "</Relationships>",
}
SHEET = "xl/worksheets/sheet1.xml"


def column_letter(index: int) -> str:
    """Return the letters of a 1-based column index (1 → A, 16384 → XFD)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell(row: int, column: int, value: str) -> str:
    """Return one inline-string cell."""
    return f'<c r="{column_letter(column)}{row}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def table_rows(extra: dict[int, list[tuple[int, str]]] | None = None) -> str:
    """Return the <row>s of a valid table (title, header, one target), plus `extra` cells."""
    rows: dict[int, list[tuple[int, str]]] = {
        1: [(1, TITLE)],
        2: list(enumerate(HEADER, start=1)),
        3: list(enumerate(ROW, start=1)),
    }
    for number, cells in (extra or {}).items():
        rows.setdefault(number, []).extend(cells)
    return "".join(
        f'<row r="{number}">' + "".join(cell(number, c, v) for c, v in sorted(cells)) + "</row>"
        for number, cells in sorted(rows.items())
    )


def sheet_xml(rows: str, *, after: str = "", prolog: str = "", dimension: str = "") -> str:
    """Return a worksheet part around `rows` (<sheetData>), with `after` it (merges)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'{_XML}{prolog}<worksheet xmlns="{SHEET_NS}">{dim}<sheetData>{rows}</sheetData>'
        f"{after}</worksheet>"
    )


def xlsx(sheet: str | bytes, replaced: dict[str, bytes] | None = None) -> bytes:
    """Return an .xlsx package with this worksheet part (and parts replaced or added)."""
    parts = {name: text.encode() for name, text in PACKAGE.items()}
    parts[SHEET] = sheet.encode() if isinstance(sheet, str) else sheet
    parts.update(replaced or {})
    return zip_parts([deflated(name, data) for name, data in parts.items()])


Part = tuple[str, bytes, int, int]  # name, deflated bytes, CRC-32, declared inflated size


def deflated(name: str, data: bytes) -> Part:
    """Return a zip part of `data`."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return name, compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)


def deflated_repeats(name: str, head: bytes, unit: bytes, count: int) -> Part:
    """Return a zip part of `head` and `count` times `unit`, never all in memory at once."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = bytearray(compressor.compress(head))
    crc = zlib.crc32(head)
    block = unit * max(1, (1 << 20) // len(unit))
    per_block = len(block) // len(unit)
    left = count
    while left:
        piece = block if left >= per_block else unit * left
        packed += compressor.compress(piece)
        crc = zlib.crc32(piece, crc)
        left -= len(piece) // len(unit)
    packed += compressor.flush()
    return name, bytes(packed), crc, len(head) + len(unit) * count


def zip_parts(parts: list[Part]) -> bytes:
    """Return a zip of deflated parts, written by hand: the same bytes every time."""
    body = bytearray()
    directory = bytearray()
    for name, packed, crc, size in parts:
        encoded = name.encode()
        # version 20, flag UTF-8 names, deflate, 2023-01-01 00:00
        common = struct.pack("<HHHHHIII", 20, 0x800, 8, 0, 0x5621, crc, len(packed), size)
        common += struct.pack("<HH", len(encoded), 0)
        offset = len(body)
        body += b"PK\x03\x04" + common + encoded + packed
        directory += b"PK\x01\x02" + struct.pack("<H", 20) + common
        directory += struct.pack("<HHHII", 0, 0, 0, 0, offset) + encoded
    count = len(parts)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), 0)
    return bytes(body + directory + end)


def package_with_sheet_part(part: Part) -> bytes:
    """Return the valid package with its worksheet part replaced by a prepared one."""
    parts = [deflated(name, text.encode()) for name, text in PACKAGE.items()]
    return zip_parts([*parts, part])


# ---------------------------------------------------------------------------- the corpus

LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
XXE = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _lying_size() -> bytes:
    """A sheet part that declares 2 KB but inflates to 2 MB."""
    name, packed, crc, _ = deflated_repeats(SHEET, sheet_xml(table_rows()).encode(), b" ", 2 << 20)
    return package_with_sheet_part((name, packed, crc, 2048))


# name → (the file's bytes, the error key it must be refused with)
SMALL: dict[str, tuple[Callable[[], bytes], str]] = {
    # 序号 cells: digits of other scripts (isdigit() but no int), and numbers out of range
    "number_tai_lue.tsv": (lambda: tsv(row_with(0, "᧚")), "import.error.bad_number"),
    "number_kharoshthi.tsv": (lambda: tsv(row_with(0, "𐩀")), "import.error.bad_number"),
    "number_5000_digits.tsv": (lambda: tsv(row_with(0, "9" * 5000)), "import.error.number_range"),
    "number_30_digits.tsv": (lambda: tsv(row_with(0, "1" * 30)), "import.error.number_range"),
    "number_huge_float.xlsx": (
        lambda: xlsx(
            sheet_xml(
                table_rows().replace(
                    f'<row r="3">{cell(3, 1, "1")}', '<row r="3"><c r="A3"><v>1E+30</v></c>'
                )
            )
        ),
        "import.error.number_range",
    ),
    # names and short cells beyond their limits
    "unit_10000_chars.tsv": (
        lambda: tsv(row_with(6, "市" + "水" * 9998 + "局")),
        "import.error.unit_too_long",
    ),
    "leader_10000_chars.tsv": (lambda: tsv(row_with(1, "王" * 10_000)), "import.error.too_long"),
    "title_10000_chars.tsv": (
        lambda: tsv().replace(TITLE.encode(), ("2023年" + "某" * 10_000).encode()),
        "import.error.title_too_long",
    ),
    "deadline_5000_chars.tsv": (lambda: tsv(row_with(3, "年" * 5000)), "import.error.too_long"),
    "units_200.tsv": (
        lambda: tsv(row_with(6, " ".join(f"市第{i}局" for i in range(200)))),
        "import.error.too_many_units",
    ),
    "column_100.tsv": (
        lambda: tsv((*row_with(0, "2"), *[""] * 92, "x")),
        "import.error.too_many_columns",
    ),
    # a header repeated mid-table that drops columns
    "header_changed.tsv": (
        lambda: tsv(HEADER[:4] + HEADER[6:], ("2", "王昌华", "某任务", "年底", "市水务局")),
        "import.error.header_changed",
    ),
    # cells and merges far out: a few bytes that ask for billions of cells
    "cell_at_XFD1048576.xlsx": (
        lambda: xlsx(sheet_xml(table_rows({1048576: [(16384, "x")]}))),
        "import.error.xlsx_rows",
    ),
    "cell_at_XFD3.xlsx": (
        lambda: xlsx(sheet_xml(table_rows({3: [(16384, "x")]}))),
        "import.error.xlsx_columns",
    ),
    "merge_A200_XFD1048576.xlsx": (
        lambda: xlsx(
            sheet_xml(
                table_rows(),
                after='<mergeCells count="1"><mergeCell ref="A200:XFD1048576"/></mergeCells>',
            )
        ),
        "import.error.xlsx_merge",
    ),
    "merges_overlapping.xlsx": (
        lambda: xlsx(
            sheet_xml(
                table_rows(),
                after='<mergeCells count="2"><mergeCell ref="A3:BL40000"/>'
                '<mergeCell ref="A3:BL40000"/></mergeCells>',
            )
        ),
        "import.error.xlsx_merged_cells",
    ),
    # XML that declares entities: external (XXE), nested (billion laughs), in UTF-16
    "xxe.xlsx": (
        lambda: xlsx(
            sheet_xml(table_rows({4: [(1, "&xxe;")]}).replace("&amp;xxe;", "&xxe;"), prolog=XXE)
        ),
        "import.error.xlsx_doctype",
    ),
    "billion_laughs.xlsx": (
        lambda: xlsx(
            sheet_xml(
                table_rows({4: [(1, "&lol9;")]}).replace("&amp;lol9;", "&lol9;"), prolog=LAUGHS
            )
        ),
        "import.error.xlsx_doctype",
    ),
    "doctype_utf16.xlsx": (
        lambda: xlsx(
            sheet_xml(table_rows(), prolog=XXE)
            .replace('encoding="UTF-8"', 'encoding="UTF-16"')
            .encode("utf-16")
        ),
        "import.error.xlsx_doctype",
    ),
    # damaged packages
    "malformed_sheet_xml.xlsx": (
        lambda: xlsx(sheet_xml(table_rows())[:-40]),
        "import.error.bad_xlsx",
    ),
    "malformed_workbook_xml.xlsx": (
        lambda: xlsx(sheet_xml(table_rows()), {"xl/workbook.xml": b"<workbook><sheets><sheet"}),
        "import.error.bad_xlsx",
    ),
    "shared_string_missing.xlsx": (
        lambda: xlsx(
            sheet_xml(
                table_rows({4: []}).replace(
                    '<row r="4">', '<row r="4"><c r="A4" t="s"><v>99</v></c>'
                )
            )
        ),
        "import.error.bad_xlsx",
    ),
    "cell_ref_out_of_range.xlsx": (
        lambda: xlsx(sheet_xml(table_rows().replace('r="A3"', 'r="ZZZZZZZ3"'))),
        "import.error.bad_xlsx",
    ),
    "zip_without_workbook.xlsx": (
        lambda: zip_parts([deflated("hello.txt", b"hello")]),
        "import.error.bad_xlsx",
    ),
    "declared_size_lies.xlsx": (_lying_size, "import.error.bad_xlsx"),
}


def _zip_bomb() -> bytes:
    """A sheet part of 101 MB (a valid sheet, then spaces) in some 100 KB."""
    head = sheet_xml(table_rows()).encode()
    return package_with_sheet_part(deflated_repeats(SHEET, head, b" ", 101 << 20))


def _ratio_bomb() -> bytes:
    """A sheet part of 4 MB that packs a thousandfold: within the size limit, not the ratio."""
    head = sheet_xml(table_rows()).encode()
    return package_with_sheet_part(deflated_repeats(SHEET, head, b" ", 4 << 20))


def _element_flood() -> bytes:
    """Parts just under the ratio check's size, together holding 5 million XML elements."""
    parts = [deflated(name, text.encode()) for name, text in PACKAGE.items()]
    parts.append(deflated(SHEET, sheet_xml(table_rows()).encode()))
    parts += [deflated_repeats(f"xl/flood{i}.xml", b"", b"<c/>", 250_000) for i in range(20)]
    return zip_parts(parts)


def _many_parts() -> bytes:
    parts = [deflated(name, text.encode()) for name, text in PACKAGE.items()]
    parts.append(deflated(SHEET, sheet_xml(table_rows()).encode()))
    parts += [deflated(f"xl/media/{i}.xml", b"") for i in range(1_001)]
    return zip_parts(parts)


def _rows_past_the_limit() -> bytes:
    return tsv(row_with(0, "2"), blank_lines=50_000)


LARGE: dict[str, tuple[Callable[[], bytes], str]] = {
    "zip_bomb.xlsx": (_zip_bomb, "import.error.xlsx_inflated"),
    "ratio_bomb.xlsx": (_ratio_bomb, "import.error.xlsx_ratio"),
    "element_flood.xlsx": (_element_flood, "import.error.xlsx_tags"),
    "parts_1001.xlsx": (_many_parts, "import.error.xlsx_parts"),
    "row_50004.tsv": (_rows_past_the_limit, "import.error.too_many_rows"),
}


def write_small(directory: Path = FILES) -> None:
    """Write the small files of the corpus into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, (make, _) in SMALL.items():
        (directory / name).write_bytes(make())


if __name__ == "__main__":
    write_small()
    print(f"wrote {len(SMALL)} files to {FILES}")
