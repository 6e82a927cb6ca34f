"""Read the sheets of an .xlsx workbook in bounded time and memory, or refuse it in one line.

An .xlsx file is a zip of XML parts, and a small one can ask for a lot: a part that inflates a
thousandfold, an entity that expands a billion times, a value at XFD1048576 or a merge over a
million rows (openpyxl's normal mode builds a cell for every one). So, before openpyxl sees the
file, the zip's declared sizes and ratios, the XML's declarations and its element count are
checked; then each sheet is read as a stream (openpyxl's read-only parser), keeping only the
cells that hold a value, and refusing values or merges beyond the limits below.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from bot.plan.tables import (
    MAX_COLUMNS,
    MAX_ROWS,
    Row,
    Sheet,
    TableError,
    cell_text,
)

# A table of 20,000 rows unpacks to some 30 MB; more is not a target table.
MAX_INFLATED_BYTES = 100 * 1024 * 1024
# XML compresses 5-20 times, a sheet of empty styled rows some 100 times; a bomb, thousands.
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024  # small parts may compress better; they cannot hurt
MAX_PARTS = 1_000
# Every XML element costs memory while a row or the shared strings are parsed: count the `<`.
MAX_TAGS = 4_000_000
# Merged cells are copied into every cell they cover.
MAX_MERGED_CELLS = 1_000_000

_DECLARATIONS = tuple(
    word.encode(encoding)
    for word in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_OVERLAP = max(len(d) for d in _DECLARATIONS)
_CHUNK = 1024 * 1024
_ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
_VALUE_TAG = f"{{{SHEET_MAIN_NS}}}v"
_INLINE_TAG = f"{{{SHEET_MAIN_NS}}}is"
_MERGE_TAG = f"{{{SHEET_MAIN_NS}}}mergeCells"
_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
# The parts of a sheet beside its rows that openpyxl's parser reads and lets go of.
_SHEET_PARTS = frozenset(
    f"{{{SHEET_MAIN_NS}}}{part}"
    for part in (
        *("cols", "sheetProtection", "extLst", "conditionalFormatting", "legacyDrawing"),
        *("rowBreaks", "colBreaks", "customSheetViews", "printOptions", "pageMargins"),
        *("pageSetup", "headerFooter", "autoFilter", "dataValidations", "sheetPr"),
        *("sheetViews", "sheetFormatPr", "scenarios", "tableParts", "hyperlinks"),
    )
)


def read_xlsx(data: bytes, name: str) -> list[Sheet]:
    """Return every worksheet's rows (those holding a value), or raise TableError saying why."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise TableError("import.error.bad_xlsx", file=name) from None
    with archive:
        _check_package(archive, name)
    with warnings.catch_warnings():
        # openpyxl warns about what it drops (styles, extensions); that is not the user's concern.
        warnings.simplefilter("ignore")
        try:
            book = _Book(io.BytesIO(data))
        except MemoryError:
            raise
        except Exception:  # a damaged part fails in many ways inside openpyxl; all mean the same
            raise TableError("import.error.bad_xlsx", file=name) from None
        try:
            merged = _MergeBudget(name)
            return [
                Sheet(title, _sheet_rows(book, title, path, name, merged))
                for title, path in book.sheets
            ]
        except (TableError, MemoryError):
            raise
        except Exception:
            raise TableError("import.error.bad_xlsx", file=name) from None
        finally:
            book.archive.close()


class _Book:
    """A workbook's parts as openpyxl finds them (manifest, sheets, styles), read lean.

    openpyxl's workbook reader reads each shared string through its rich-text objects and, in
    read-only mode, parses a whole sheet once more to size it when the sheet does not say its
    dimension; these cost seconds at ten thousand rows. Here openpyxl finds the parts and the
    date styles, and the strings and cells are read straight from the XML.
    """

    def __init__(self, source: io.BytesIO) -> None:
        reader: Any = ExcelReader(source, read_only=True, data_only=True)
        self.archive: zipfile.ZipFile = reader.archive
        reader.read_manifest()
        part = reader.package.find(SHARED_STRINGS)
        strings: list[str] = []
        if part is not None:
            with self.archive.open(part.PartName[1:]) as stream:
                strings = _shared_strings(stream)
        reader.read_workbook()
        apply_stylesheet(self.archive, reader.wb)
        workbook: Any = reader.wb
        self.cleaned = [cell_text(text) for text in strings]
        self.epoch = workbook.epoch
        self.date_formats: set[int] = set(workbook._date_formats)
        self.timedelta_formats: set[int] = set(workbook._timedelta_formats)
        self.sheets = [
            (str(sheet.name), str(rel.target))
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text_content(node: Any) -> str:
    """Return a string item's text as openpyxl's Text.content does: <t> and runs, no phonetics."""
    plain: str | None = None
    runs: list[str] = []
    for child in node:
        kind = _local(child.tag)
        if kind == "t":
            plain = child.text
        elif kind == "r":
            text = None
            for part in child:
                if _local(part.tag) == "t":
                    text = part.text
            if text is not None:
                runs.append(text)
    return "".join(([plain] if plain is not None else []) + runs)


def _shared_strings(stream: IO[bytes]) -> list[str]:
    """Read the shared strings part as openpyxl's read_string_table does."""
    strings: list[str] = []
    for _, node in iterparse(stream):
        if node.tag == _STRING_TAG:
            strings.append(_text_content(node).replace("x005F_", ""))
            node.clear()
    return strings


def _check_package(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a zip that would unpack too large, too fast, or into XML that declares entities."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise TableError("import.error.xlsx_parts", file=name, count=len(parts), limit=MAX_PARTS)
    inflated = sum(part.file_size for part in parts)
    if inflated > MAX_INFLATED_BYTES:
        raise TableError(
            "import.error.xlsx_inflated",
            file=name,
            size_mb=f"{inflated / 2**20:.0f}",
            limit_mb=f"{MAX_INFLATED_BYTES / 2**20:.0f}",
        )
    for part in parts:
        if part.file_size >= RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(
            part.compress_size, 1
        ):
            raise TableError(
                "import.error.xlsx_ratio",
                file=name,
                part=part.filename,
                ratio=part.file_size // max(part.compress_size, 1),
            )
    tags = 0
    for part in parts:
        try:
            for chunk, tail in _chunks(archive, part):
                window = tail + chunk
                if any(declaration in window for declaration in _DECLARATIONS):
                    raise TableError("import.error.xlsx_doctype", file=name, part=part.filename)
                tags += chunk.count(b"<")
                if tags > MAX_TAGS:
                    raise TableError("import.error.xlsx_tags", file=name, limit=MAX_TAGS)
        except TableError:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
            # RuntimeError: encrypted; NotImplementedError (a RuntimeError): unknown compression.
            raise TableError("import.error.bad_xlsx", file=name) from None


def _chunks(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> Iterator[tuple[bytes, bytes]]:
    """Yield a part's inflated bytes in chunks, each with the end of the chunk before it."""
    tail = b""
    with archive.open(part) as stream:  # zipfile stops at the declared size and checks the CRC
        while chunk := stream.read(_CHUNK):
            yield chunk, tail
            tail = chunk[-_OVERLAP:]


class _MergeBudget:
    """Counts the cells merged ranges cover across a workbook, refusing past the limit."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cells = 0

    def spend(self, count: int) -> None:
        self.cells += count
        if self.cells > MAX_MERGED_CELLS:
            raise TableError(
                "import.error.xlsx_merged_cells", file=self.name, limit=MAX_MERGED_CELLS
            )


def _sheet_rows(
    book: _Book, title: str, path: str, name: str, merged: _MergeBudget
) -> tuple[Row, ...]:
    """Stream one worksheet's XML, keeping the cells that hold a value; fill merged ranges."""
    cells: dict[int, dict[int, str]] = {}
    filled: dict[int, set[int]] = {}  # row → 0-based columns given a value by a merged range
    ranges: list[str] = []
    cell = _CellReader(book)
    with book.archive.open(path) as source:
        for _, element in iterparse(source):
            tag = element.tag
            if tag == _ROW_TAG:
                for row, column, text in cell.row(element):
                    _check_place(name, title, row, column)
                    cells.setdefault(row, {})[column] = text
                element.clear()
            elif tag == _MERGE_TAG:
                ranges.extend(
                    str(ref) for child in element if (ref := child.get("ref")) is not None
                )
                element.clear()
            elif tag in _SHEET_PARTS:
                element.clear()  # a part of the sheet beside its rows: nothing to keep
    for ref in ranges:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_col is None or min_row is None or max_col is None or max_row is None:
            continue  # a whole-row or whole-column reference: Excel never merges those
        if max_row > MAX_ROWS or max_col > MAX_COLUMNS:
            raise TableError(
                "import.error.xlsx_merge",
                file=name,
                row=min_row,
                sheet=title,
                range=ref,
                rows=MAX_ROWS,
                columns=MAX_COLUMNS,
            )
        # A merged cell keeps its value only in the top-left corner: give it to every cell.
        value = cells.get(min_row, {}).get(min_col)
        if not value:
            continue
        merged.spend((max_row - min_row + 1) * (max_col - min_col + 1))
        for row in range(min_row, max_row + 1):
            line = cells.setdefault(row, {})
            for column in range(min_col, max_col + 1):
                line[column] = value
                if (row, column) != (min_row, min_col):
                    filled.setdefault(row, set()).add(column - 1)
    return tuple(
        Row(
            number,
            tuple(line.get(c, "") for c in range(1, max(line) + 1)),
            frozenset(filled.get(number, ())),
        )
        for number, line in sorted(cells.items())
        if line
    )


def _check_place(name: str, sheet: str, row: int, column: int) -> None:
    """Refuse a value beyond the rows and columns a target table can have."""
    if row > MAX_ROWS:
        raise TableError("import.error.xlsx_rows", file=name, row=row, sheet=sheet, limit=MAX_ROWS)
    if column > MAX_COLUMNS:
        raise TableError(
            "import.error.xlsx_columns",
            file=name,
            row=row,
            sheet=sheet,
            column_name=get_column_letter(column) if column <= 18_278 else str(column),
            limit=MAX_COLUMNS,
            last=get_column_letter(MAX_COLUMNS),
        )


class _CellReader:
    """Reads a row's cells as openpyxl's WorkSheetParser (data_only) does, then as text."""

    def __init__(self, book: _Book) -> None:
        self.book = book
        self.row_number = 0
        self.columns: dict[str, int] = {}

    def row(self, element: Any) -> list[tuple[int, int, str]]:
        """Return a row's (row, column, text) of the cells that hold a value (1-based)."""
        number = element.get("r")
        if number is not None:
            try:
                self.row_number = int(number)
            except ValueError:
                value = float(number)
                if not value.is_integer():
                    raise
                self.row_number = int(value)
        else:
            self.row_number += 1
        column = 0
        line: list[tuple[int, int, str]] = []
        for cell in element:
            coordinate = cell.get("r")
            if coordinate:
                letters = coordinate.rstrip("0123456789")
                found = self.columns.get(letters)
                if found is None:
                    found = self.columns[letters] = column_index_from_string(letters)
                column = found
                # openpyxl takes the row from the cell's coordinate
                self.row_number = int(coordinate[len(letters) :])
            else:
                column += 1
            text = self.text(cell)
            if text:
                line.append((self.row_number, column, text))
        return line

    def text(self, cell: Any) -> str:
        """Return the text a person sees in one cell (see WorkSheetParser.parse_cell)."""
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            child = cell.find(_INLINE_TAG)
            return cell_text(_text_content(child)) if child is not None else ""
        value = cell.findtext(_VALUE_TAG, None) or None
        if value is None:
            return ""
        if kind == "s":
            return self.book.cleaned[int(value)]
        if kind == "n":
            number: float = float(value) if "." in value or "e" in value.lower() else int(value)
            style = cell.get("s", 0)
            if style and int(style) in self.book.date_formats:
                try:
                    return cell_text(
                        from_excel(
                            number,
                            self.book.epoch,
                            timedelta=int(style) in self.book.timedelta_formats,
                        )
                    )
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return cell_text(number)
        if kind == "b":
            return cell_text(bool(int(value)))
        if kind == "d":
            return cell_text(from_ISO8601(value))  # type: ignore[no-untyped-call]
        return cell_text(value)  # str (a formula's text), e (an error), or unknown: as written
