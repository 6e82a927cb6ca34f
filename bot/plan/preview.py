"""The preview of an import: what a table was read as and what importing it would change.

One text for the chat (an admin sends a file) and for `targetbot import FILE --dry-run`: the
plan's title and period, how each column of the header was taken, the counts (added, changed,
retired, unchanged, reports) and the first rows as they would be stored. It fits one Telegram
message, so the chat can put its buttons under it. A table's as-of date, a target's label
(2-3) and an assignment's assisting units are shown where the table has them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bot import limits
from bot.i18n import Translator
from bot.plan.columns import ColumnUse
from bot.plan.importer import (
    ImportSummary,
    ParsedAssignment,
    ParsedTable,
    ParsedTarget,
    new_names,
    read_table,
    store_table,
)
from bot.plan.tables import TEXT_SUFFIXES, XLSX_SUFFIXES, TableError, column_letter

READABLE_SUFFIXES = (*XLSX_SUFFIXES, *TEXT_SUFFIXES)
PREVIEW_ROWS = 5  # targets shown as they would be stored
MAX_COLUMNS_SHOWN = 30
MAX_NOTICES_SHOWN = 5
MAX_ASSIGNMENTS_SHOWN = 3
# Parts of a line, in UTF-16 units: five rows and thirty columns stay far within a message.
CONTENT_UNITS = 40
NAME_UNITS = 20
UNITS_UNITS = 40
HEADER_UNITS = 24
TITLE_UNITS = 120


@dataclass(frozen=True)
class Preview:
    """A table as read and what importing it would do (a dry run: nothing stored)."""

    table: ParsedTable
    summary: ImportSummary

    @property
    def columns(self) -> tuple[ColumnUse, ...]:
        """Return how each column of the header was taken (empty if the importer does not say)."""
        return self.table.columns


def check_upload(name: str, size: int | None) -> TableError | None:
    """Return why a sent file is refused before it is downloaded (too big, not a table), or None."""
    if size is not None and size > limits.DOWNLOAD_LIMIT:
        return TableError(
            "import.chat.too_big",
            file=name or "?",
            size_mb=f"{size / 2**20:.1f}",
            limit_mb=f"{limits.DOWNLOAD_LIMIT / 2**20:.0f}",
        )
    suffix = Path(name).suffix.lower()
    if not suffix:
        return TableError("import.chat.no_suffix", file=name or "?")
    if suffix == ".xls":
        return TableError("import.error.old_xls", file=name)
    if suffix not in READABLE_SUFFIXES:
        return TableError("import.error.unsupported", file=name, suffix=suffix)
    return None


def read_file(
    path: Path,
    *,
    plan_title: str | None = None,
    period: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> ParsedTable:
    """Read and validate a table file with the shared importer, or raise TableError."""
    return read_table(
        path, plan_title=plan_title, period=period, columns=dict(columns) if columns else None
    )


async def preview_file(
    conn: aiosqlite.Connection,
    path: Path,
    *,
    plan_title: str | None = None,
    period: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Preview:
    """Read a table (in a worker thread: a large workbook takes a while) and dry-run its import."""
    table = await asyncio.to_thread(
        read_file, path, plan_title=plan_title, period=period, columns=columns
    )
    summary = await store_table(conn, table, actor="preview", dry_run=True)
    return Preview(table, summary)


async def import_kept(
    conn: aiosqlite.Connection,
    path: Path,
    *,
    actor: str,
    columns: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Read a table again and store it all or nothing, attributed to `actor` in the audit log."""
    table = await asyncio.to_thread(read_file, path, columns=columns)
    return await store_table(conn, table, actor=actor)


# ---------------------------------------------------------------------------- the text


def render(
    preview: Preview,
    t: Translator,
    language: str | None = None,
    *,
    limit: int | None = limits.MESSAGE_LIMIT,
) -> str:
    """Return the preview as plain text of at most `limit` UTF-16 units (None: no limit)."""
    table, summary = preview.table, preview.summary
    lines = [
        t("import.preview.title", language, file=table.file),
        t(
            "import.preview.plan",
            language,
            plan=limits.fit(table.plan_title, TITLE_UNITS),
            year=table.year,
        ),
        (
            t("import.preview.period", language, period=table.period)
            if table.period
            else t("import.preview.no_period", language)
        ),
    ]
    as_of = table.as_of
    if as_of is not None:
        lines.append(t("import.preview.as_of", language, date=as_of.isoformat()))
    lines.extend(_column_lines(preview.columns, t, language))
    lines.extend(_count_lines(summary, t, language))
    shown = table.targets[:PREVIEW_ROWS]
    lines.append(t("import.preview.rows", language, shown=len(shown), count=len(table.targets)))
    lines.extend(_target_line(target, t, language) for target in shown)
    notices = [t(n.key, language, **n.values) for n in summary.notices]
    lines.extend(notices[:MAX_NOTICES_SHOWN])
    if len(notices) > MAX_NOTICES_SHOWN:
        more = len(notices) - MAX_NOTICES_SHOWN
        lines.append(t("import.preview.more_notices", language, count=more))
    text = "\n".join(lines)
    return text if limit is None else limits.fit(text, limit)


def column_line(column: ColumnUse, t: Translator, language: str | None) -> str:
    """Return how one column was taken: `B 列 项目名称 → 目标内容` (a line, or a button)."""
    role = t(f"import.preview.role.{column.role}", language)
    if role == f"import.preview.role.{column.role}":  # a role this text has no name for
        role = column.role
    return t(
        "import.preview.column",
        language,
        letter=column_letter(column.index + 1),
        header=limits.fit(" ".join(column.header.split()), HEADER_UNITS),
        role=role,
    )


def _column_lines(columns: Sequence[ColumnUse], t: Translator, language: str | None) -> list[str]:
    if not columns:
        return []
    lines = [t("import.preview.columns", language)]
    for column in columns[:MAX_COLUMNS_SHOWN]:
        lines.append(column_line(column, t, language))
    if len(columns) > MAX_COLUMNS_SHOWN:
        more = len(columns) - MAX_COLUMNS_SHOWN
        lines.append(t("import.preview.more_columns", language, count=more))
    return lines


def _count_lines(summary: ImportSummary, t: Translator, language: str | None) -> list[str]:
    if not summary.changes_anything:
        values = {"plan": summary.plan_title, "period": summary.period or "-"}
        return [
            t("import.nothing_changed", language, count=len(summary.unchanged), **values),
            t("import.preview.nothing_to_do", language),
        ]
    lines = [
        t(
            "import.preview.counts",
            language,
            added=len(summary.added),
            changed=len(summary.changed),
            retired=len(summary.retired),
            unchanged=len(summary.unchanged),
            reports=summary.reports_added,
        )
    ]
    lines.extend(new_names(summary, t, language))
    return lines


def number_of(target: ParsedTarget) -> str:
    """Return a target's number as the table shows it (`2-3` where numbering restarts)."""
    label = target.label
    return str(label) if label else str(target.number)


def _target_line(target: ParsedTarget, t: Translator, language: str | None) -> str:
    shown = target.assignments[:MAX_ASSIGNMENTS_SHOWN]
    parts = [_assignment_part(a, t, language) for a in shown]
    if len(target.assignments) > len(shown):
        more = len(target.assignments) - len(shown)
        parts.append(t("import.preview.more_assignments", language, count=more))
    return t(
        "import.preview.row",
        language,
        number=number_of(target),
        content=limits.fit(" ".join(target.content.split()), CONTENT_UNITS),
        deadline=limits.fit(target.deadline.text, NAME_UNITS) or "-",
        assignments=t("import.preview.assignment_separator", language).join(parts),
    )


def _assignment_part(assignment: ParsedAssignment, t: Translator, language: str | None) -> str:
    units = limits.fit(t.join(assignment.units, language), UNITS_UNITS)
    assisting: Sequence[str] = assignment.assisting
    if assisting:
        helpers = limits.fit(t.join(assisting, language), UNITS_UNITS)
        units = t("import.preview.with_assisting", language, units=units, assisting=helpers)
    status = (
        t(f"status.{assignment.status}", language)
        if assignment.status
        else t("import.preview.no_status", language)
    )
    return t(
        "import.preview.assignment",
        language,
        leader=limits.fit(assignment.leader, NAME_UNITS) or "-",
        units=units,
        status=status,
    )
