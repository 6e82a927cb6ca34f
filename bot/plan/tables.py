"""Read a table file (.xlsx, .csv, .tsv, .txt) into rows of text cells, or say why not."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

MAX_FILE_BYTES = 20 * 1024 * 1024
# A target table has tens of columns and thousands of rows; a value beyond these is refused.
MAX_ROWS = 50_000
MAX_COLUMNS = 64
TEXT_SUFFIXES = (".tsv", ".csv", ".txt", ".tab")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


def column_letter(number: int) -> str:
    """Return the letters a spreadsheet names column `number` by: 1 → A, 28 → AB.

    (openpyxl has this too; importing it costs the bot a third of a second and some 27 MB, for
    numpy and Pillow it brings along, which only a workbook being read or written needs.)
    """
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class TableError(Exception):
    """A table cannot be imported; the message key and values say what and where."""

    def __init__(
        self,
        key: str,
        *,
        file: str,
        row: int | None = None,
        column: int | None = None,
        header: str | None = None,
        **values: object,
    ) -> None:
        super().__init__(key, file, row, column, values)
        self.key = key
        self.file = file
        self.row = row
        self.column = column
        self.header = header
        self.values = values

    @property
    def column_letter(self) -> str | None:
        """Return the spreadsheet letter (A, B, …) of the column at fault, if any."""
        return None if self.column is None else column_letter(self.column + 1)


@dataclass(frozen=True)
class Row:
    """One row of a sheet: its number as the user sees it (line or spreadsheet row) and cells."""

    number: int
    cells: tuple[str, ...]
    # Columns whose value this row has only from a merged range above or beside it (xlsx).
    merged: frozenset[int] = frozenset()

    def cell(self, index: int) -> str:
        """Return the cell at `index`, or "" past the row's end."""
        return self.cells[index] if index < len(self.cells) else ""

    @property
    def is_blank(self) -> bool:
        """Tell whether every cell is empty."""
        return not any(self.cells)


@dataclass(frozen=True)
class Sheet:
    """The rows of one sheet (a text file has one)."""

    name: str
    rows: tuple[Row, ...]


def read_sheets(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> list[Sheet]:
    """Read every sheet of a table file, or raise TableError saying why it cannot be read."""
    name = path.name
    if not path.is_file():
        raise TableError("import.error.not_found", file=name)
    size = path.stat().st_size
    if size > max_bytes:
        raise TableError(
            "import.error.too_large",
            file=name,
            size_mb=f"{size / 2**20:.1f}",
            limit_mb=f"{max_bytes / 2**20:.0f}",
        )
    data = path.read_bytes()
    if not data.strip():
        raise TableError("import.error.empty", file=name)
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        from bot.plan.xlsx import (
            read_xlsx,  # late: bot.plan.xlsx builds on this module's rows and errors
        )

        return read_xlsx(data, name)
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise TableError("import.error.old_xls", file=name)
    if suffix in XLSX_SUFFIXES:
        raise TableError("import.error.bad_xlsx", file=name)
    if suffix and suffix not in TEXT_SUFFIXES:
        raise TableError("import.error.unsupported", file=name, suffix=suffix)
    return [Sheet(name, _check_size(_read_text(_decode(data, name), suffix, name), name))]


def _decode(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), or GBK."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise TableError("import.error.encoding", file=name) from None
    if b"\x00" in data:
        raise TableError("import.error.not_text", file=name)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("import.error.encoding", file=name)


def _split(text: str, delimiter: str, name: str) -> list[Row]:
    rows: list[Row] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    first_line = 1
    for record in reader:
        row = Row(first_line, tuple(_clean(cell) for cell in record))
        if first_line > MAX_ROWS and not row.is_blank:  # refused here: reading on costs memory
            raise TableError(
                "import.error.too_many_rows", file=name, row=first_line, limit=MAX_ROWS
            )
        rows.append(row)
        first_line = reader.line_num + 1
    return rows


def _read_text(text: str, suffix: str, name: str) -> tuple[Row, ...]:
    """Split text into rows, choosing the delimiter that gives the most table-like rows."""
    preferred = [","] if suffix == ".csv" else ["\t"]
    candidates = preferred + [d for d in ("\t", ",", ";") if d not in preferred]
    best: list[Row] = []
    best_score = -1
    for delimiter in candidates:
        try:
            rows = _split(text, delimiter, name)
        except csv.Error:
            continue
        score = sum(1 for row in rows if sum(1 for cell in row.cells if cell) >= 4)
        if score > best_score:  # ties keep the earlier, preferred delimiter
            best, best_score = rows, score
    return tuple(best)


def _check_size(rows: tuple[Row, ...], name: str) -> tuple[Row, ...]:
    """Refuse a text table with values in more columns than a table can have."""
    for row in rows:
        if len(row.cells) > MAX_COLUMNS and any(row.cells[MAX_COLUMNS:]):
            column = next(i for i in range(MAX_COLUMNS, len(row.cells)) if row.cells[i]) + 1
            raise TableError(
                "import.error.too_many_columns",
                file=name,
                row=row.number,
                column_name=column_letter(column) if column <= 18_278 else str(column),
                limit=MAX_COLUMNS,
                last=column_letter(MAX_COLUMNS),
            )
    return rows


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def cell_text(value: object) -> str:
    """Render a spreadsheet value as the text a person sees in the cell."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _clean(str(value))
