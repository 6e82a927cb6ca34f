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
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser

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
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except MemoryError:
            raise
        except Exception:  # a damaged part fails in many ways inside openpyxl; all mean the same
            raise TableError("import.error.bad_xlsx", file=name) from None
        try:
            merged = _MergeBudget(name)
            return [
                Sheet(sheet.title, _sheet_rows(workbook, sheet, name, merged))
                for sheet in workbook.worksheets
            ]
        except (TableError, MemoryError):
            raise
        except Exception:
            raise TableError("import.error.bad_xlsx", file=name) from None
        finally:
            workbook.close()


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


def _sheet_rows(workbook: Any, sheet: Any, name: str, merged: _MergeBudget) -> tuple[Row, ...]:
    """Stream one worksheet's XML, keeping the cells that hold a value; fill merged ranges."""
    cells: dict[int, dict[int, str]] = {}
    filled: dict[int, set[int]] = {}  # row → 0-based columns given a value by a merged range
    # openpyxl's own read-only parser, without ReadOnlyWorksheet's padding of every row to the
    # sheet's declared width and of every missing row up to the last one.
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for _, parsed in parser.parse():
            for cell in parsed:
                text = cell_text(cell["value"])
                if not text:
                    continue
                row, column = int(cell["row"]), int(cell["column"])
                _check_place(name, sheet.title, row, column)
                cells.setdefault(row, {})[column] = text
        ranges = [str(m.ref) for m in parser.merged_cells.mergeCell] if parser.merged_cells else []
    for ref in ranges:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_col is None or min_row is None or max_col is None or max_row is None:
            continue  # a whole-row or whole-column reference: Excel never merges those
        if max_row > MAX_ROWS or max_col > MAX_COLUMNS:
            raise TableError(
                "import.error.xlsx_merge",
                file=name,
                row=min_row,
                sheet=sheet.title,
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
