"""Repository of the plan aggregate: plans, targets, assignments, leaders, units, reports."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import aiosqlite

from storage.db import settled

STATUSES = ("on_track", "behind", "completed")
_BATCH = 500  # values bound in one IN (…): SQLite caps the number of ? in a statement


def official(alias: str = "r") -> str:
    """Return the SQL condition that report `alias` is official.

    Official: imported, or written by the assignment's lead unit; and, when it had to wait for
    review, approved. Assisting units' parts and updates still under review are kept but are
    not what leaders, the lights and the overview table show.
    """
    return (
        f"(({alias}.unit_id IS NULL OR {alias}.unit_id = (SELECT au.unit_id FROM assignment_unit au"
        f" WHERE au.assignment_id = {alias}.assignment_id AND au.position = 1))"
        f" AND ({alias}.needs_review = 0 OR EXISTS (SELECT 1 FROM review v"
        f" WHERE v.report_id = {alias}.id AND v.decision = 'approved')))"
    )


@dataclass(frozen=True)
class Plan:
    """One target table: a year's targets of one government."""

    id: int
    title: str
    year: int
    is_current: bool


@dataclass(frozen=True)
class Report:
    """One revision of an assignment's progress report for a period."""

    id: int
    assignment_id: int
    period: str
    revision: int
    progress: str
    status: str
    reason: str | None
    remedy: str | None
    source: str
    submitted_by: int | None
    submitted_at: str
    unit_id: int | None = None  # the unit whose part this is; None: imported (official)
    needs_review: bool = False  # submitted while review was required
    as_of: date | None = None  # the date an imported table says its progress is of


@dataclass(frozen=True)
class Assignment:
    """One row of the table: a leader and the units (lead first) answering for a target."""

    id: int
    position: int
    leader: str
    units: tuple[str, ...]  # the lead units, lead first
    latest_report: Report | None
    assisting: tuple[str, ...] = ()  # units of a 配合单位 column


@dataclass(frozen=True)
class Target:
    """A numbered target of a plan with its current assignments."""

    id: int
    plan_id: int
    number: int
    content: str
    deadline: str
    due_date: date | None
    retired: bool
    assignments: tuple[Assignment, ...]
    label: str | None = None  # the number as the table shows it (2-3) when numbering restarts
    category: str | None = None  # its section's category (生态环保)
    extra: tuple[tuple[str, str], ...] = ()  # the table's other columns: (header, value)
    closed_on: date | None = None  # 办结: the day an admin closed it; None while open

    @property
    def shown_number(self) -> str:
        """Return the number the way the table shows it: 2-3 when labelled, else 86."""
        return self.label or str(self.number)


def extra_from_json(text: str | None) -> tuple[tuple[str, str], ...]:
    """Return a target's extra columns from their stored JSON (a malformed value reads as none)."""
    if not text or text == "[]":
        return ()  # most targets: no other columns
    try:
        pairs = json.loads(text or "[]")
    except ValueError:
        return ()
    if not isinstance(pairs, list):
        return ()
    return tuple((str(p[0]), str(p[1])) for p in pairs if isinstance(p, list) and len(p) == 2)


def extra_to_json(extra: Sequence[tuple[str, str]]) -> str:
    """Return a target's extra columns as stored: [[header, value], …]."""
    if not extra:
        return "[]"  # most targets: no other columns
    return json.dumps([list(pair) for pair in extra], ensure_ascii=False)


def _plan(row: aiosqlite.Row) -> Plan:
    return Plan(row["id"], row["title"], row["year"], bool(row["is_current"]))


def report_from_row(row: aiosqlite.Row) -> Report:
    """Return a report from a `report` table row."""
    return Report(
        id=row["id"],
        assignment_id=row["assignment_id"],
        period=row["period"],
        revision=row["revision"],
        progress=row["progress"],
        status=row["status"],
        reason=row["reason"],
        remedy=row["remedy"],
        source=row["source"],
        submitted_by=row["submitted_by"],
        submitted_at=row["submitted_at"],
        unit_id=row["unit_id"],
        needs_review=bool(row["needs_review"]),
        as_of=_date(row["as_of"]),
    )


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def _fetchall(
    conn: aiosqlite.Connection, sql: str, params: Sequence[object] = ()
) -> list[aiosqlite.Row]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def _fetch_in(
    conn: aiosqlite.Connection, sql: str, values: Sequence[object]
) -> list[aiosqlite.Row]:
    """Return the rows of `sql`, whose `{}` stands for `IN (…)` of the values, _BATCH at once."""
    rows: list[aiosqlite.Row] = []
    for start in range(0, len(values), _BATCH):
        batch = values[start : start + _BATCH]
        rows += await _fetchall(conn, sql.format(f"IN ({', '.join('?' * len(batch))})"), batch)
    return rows


async def _insert(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> int:
    async with conn.execute(sql, params) as cursor:
        assert cursor.lastrowid is not None
        return cursor.lastrowid


async def plan_by_title(conn: aiosqlite.Connection, title: str) -> Plan | None:
    """Return the plan with this exact title, if stored."""
    rows = await _fetchall(conn, "SELECT * FROM plan WHERE title = ?", (title,))
    return _plan(rows[0]) if rows else None


async def plan_by_id(conn: aiosqlite.Connection, plan_id: int) -> Plan | None:
    """Return a plan by its id."""
    rows = await _fetchall(conn, "SELECT * FROM plan WHERE id = ?", (plan_id,))
    return _plan(rows[0]) if rows else None


async def any_plan(conn: aiosqlite.Connection) -> bool:
    """Tell whether any plan is stored."""
    return bool(await _fetchall(conn, "SELECT 1 FROM plan LIMIT 1"))


async def current_plan(conn: aiosqlite.Connection) -> Plan | None:
    """Return the plan marked current, if any."""
    rows = await _fetchall(conn, "SELECT * FROM plan WHERE is_current = 1")
    return _plan(rows[0]) if rows else None


async def create_plan(conn: aiosqlite.Connection, title: str, year: int, at: str) -> Plan:
    """Store a new plan (not yet current)."""
    plan_id = await _insert(
        conn, "INSERT INTO plan (title, year, created_at) VALUES (?, ?, ?)", (title, year, at)
    )
    return Plan(plan_id, title, year, False)


async def make_current(conn: aiosqlite.Connection, plan_id: int) -> None:
    """Mark this plan as the current one, and no other."""
    await conn.execute(
        "UPDATE plan SET is_current = 0 WHERE is_current = 1 AND id != ?", (plan_id,)
    )
    await conn.execute("UPDATE plan SET is_current = 1 WHERE id = ?", (plan_id,))


async def leader_id(conn: aiosqlite.Connection, name: str) -> int:
    """Return the id of the leader with this normalised name, storing it if new."""
    await conn.execute("INSERT OR IGNORE INTO leader (name) VALUES (?)", (name,))
    rows = await _fetchall(conn, "SELECT id FROM leader WHERE name = ?", (name,))
    return int(rows[0]["id"])


async def unit_id(conn: aiosqlite.Connection, name: str) -> int:
    """Return the id of the unit with this normalised name, storing it if new."""
    await conn.execute("INSERT OR IGNORE INTO unit (name) VALUES (?)", (name,))
    rows = await _fetchall(conn, "SELECT id FROM unit WHERE name = ?", (name,))
    return int(rows[0]["id"])


async def list_targets(
    conn: aiosqlite.Connection,
    plan_id: int,
    *,
    include_retired: bool = False,
    report_source: str | None = None,
    report_period: str | None = None,
    target_id: int | None = None,
) -> list[Target]:
    """Return the plan's targets by number, each with its live assignments and latest report.

    `report_source` and `report_period` narrow which reports count as "latest"; `target_id`
    reads that one target only (a point read: a few indexed rows, whatever the plan's size).
    """
    scope, key = ("t.id = ?", target_id) if target_id is not None else ("t.plan_id = ?", plan_id)
    target_rows = await _fetchall(
        conn,
        f"SELECT * FROM target t WHERE {scope}"
        + ("" if include_retired else " AND retired_at IS NULL")
        + " ORDER BY number",
        (key,),
    )
    assignment_rows = await _fetchall(
        conn,
        f"""
        SELECT a.id, a.target_id, a.position, l.name AS leader
        FROM assignment a JOIN target t ON t.id = a.target_id JOIN leader l ON l.id = a.leader_id
        WHERE {scope} AND a.retired_at IS NULL
        ORDER BY a.target_id, a.position
        """,
        (key,),
    )
    unit_rows = await _fetchall(
        conn,
        f"""
        SELECT au.assignment_id, u.name, au.role
        FROM assignment_unit au JOIN unit u ON u.id = au.unit_id
        JOIN assignment a ON a.id = au.assignment_id JOIN target t ON t.id = a.target_id
        WHERE {scope}
        ORDER BY au.assignment_id, au.position
        """,
        (key,),
    )
    latest = await _latest_reports(conn, scope, key, report_source, report_period)
    units: defaultdict[int, list[str]] = defaultdict(list)
    assisting: defaultdict[int, list[str]] = defaultdict(list)
    for row in unit_rows:
        (assisting if row["role"] == "assist" else units)[row["assignment_id"]].append(row["name"])
    assignments: defaultdict[int, list[Assignment]] = defaultdict(list)
    for row in assignment_rows:
        assignments[row["target_id"]].append(
            Assignment(
                id=row["id"],
                position=row["position"],
                leader=row["leader"],
                units=tuple(units[row["id"]]),
                latest_report=latest.get(row["id"]),
                assisting=tuple(assisting[row["id"]]),
            )
        )
    return [
        Target(
            id=row["id"],
            plan_id=row["plan_id"],
            number=row["number"],
            content=row["content"],
            deadline=row["deadline"],
            due_date=date.fromisoformat(row["due_date"]) if row["due_date"] else None,
            retired=row["retired_at"] is not None,
            assignments=tuple(assignments[row["id"]]),
            label=row["label"],
            category=row["category"],
            extra=extra_from_json(row["extra"]),
            closed_on=_date(row["closed_on"]),
        )
        for row in target_rows
    ]


async def _latest_reports(
    conn: aiosqlite.Connection,
    scope: str,
    key: int,
    source: str | None,
    period: str | None,
    *,
    latest_source: str | None = None,
) -> dict[int, Report]:
    """Return the latest official report of each assignment in `scope`, by assignment id.

    `source` narrows the reports that count; `latest_source` keeps only the latest reports
    that have this source (the others are left out, not replaced by an earlier one).
    """
    # Only the official rows: imported, or written by the assignment's lead unit.
    conditions = [scope, official()]
    params: list[object] = [key]
    if source is not None:
        conditions.append("r.source = ?")
        params.append(source)
    if period is not None:
        conditions.append("r.period = ?")
        params.append(period)
    report_rows = await _fetchall(
        conn,
        f"""
        SELECT * FROM (
            SELECT r.*, ROW_NUMBER() OVER (
                PARTITION BY r.assignment_id ORDER BY r.period DESC, r.revision DESC) AS rank
            FROM report r JOIN assignment a ON a.id = r.assignment_id
            JOIN target t ON t.id = a.target_id
            WHERE {" AND ".join(conditions)}
        ) WHERE rank = 1{" AND source = ?" if latest_source is not None else ""}
        """,
        [*params, latest_source] if latest_source is not None else params,
    )
    return {row["assignment_id"]: report_from_row(row) for row in report_rows}


async def append_report(
    conn: aiosqlite.Connection,
    assignment_id: int,
    period: str,
    progress: str,
    status: str,
    *,
    source: str,
    at: str,
    submitted_by: int | None = None,
    reason: str | None = None,
    remedy: str | None = None,
    unit_id: int | None = None,
    needs_review: bool = False,
    draft_key: str | None = None,
) -> int:
    """Add the next revision of an assignment's report for a period; return its revision."""
    rows = await _fetchall(
        conn,
        "SELECT COALESCE(MAX(revision), 0) + 1 AS next FROM report "
        "WHERE assignment_id = ? AND period = ?",
        (assignment_id, period),
    )
    revision = int(rows[0]["next"])
    await conn.execute(
        """
        INSERT INTO report (assignment_id, period, revision, progress, status, reason, remedy,
                            source, submitted_by, submitted_at, unit_id, needs_review, draft_key)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            assignment_id,
            period,
            revision,
            progress,
            status,
            reason,
            remedy,
            source,
            submitted_by,
            at,
            unit_id,
            int(needs_review),
            draft_key,
        ),
    )
    return revision


@dataclass(frozen=True, slots=True)
class Named:
    """A leader or unit: its id and normalised name."""

    id: int
    name: str


async def list_units(conn: aiosqlite.Connection) -> list[Named]:
    """Return every unit, by name."""
    rows = await _fetchall(conn, "SELECT id, name FROM unit ORDER BY name")
    return [Named(row["id"], row["name"]) for row in rows]


async def list_leaders(conn: aiosqlite.Connection) -> list[Named]:
    """Return every leader, by name."""
    rows = await _fetchall(conn, "SELECT id, name FROM leader ORDER BY name")
    return [Named(row["id"], row["name"]) for row in rows]


async def reported_periods(conn: aiosqlite.Connection, plan_id: int) -> list[str]:
    """Return the periods the plan has any report for, earliest first."""
    rows = await _fetchall(
        conn,
        "SELECT DISTINCT r.period FROM report r JOIN assignment a ON a.id = r.assignment_id"
        " JOIN target t ON t.id = a.target_id WHERE t.plan_id = ? ORDER BY r.period",
        (plan_id,),
    )
    return [str(row["period"]) for row in rows]


async def target_by_id(conn: aiosqlite.Connection, target_id: int) -> Target | None:
    """Return one target with its live assignments and their latest reports."""
    rows = await _fetchall(conn, "SELECT plan_id FROM target WHERE id = ?", (target_id,))
    if not rows:
        return None
    targets = await list_targets(
        conn, int(rows[0]["plan_id"]), include_retired=True, target_id=target_id
    )
    return targets[0] if targets else None


# ---------------------------------------------------------------------------- bulk import
# An import reads and plans outside any transaction, then writes everything with a few bulk
# statements in one short transaction, so that users are not locked out while it runs.


async def change_stamp(conn: aiosqlite.Connection) -> tuple[object, ...]:
    """Return a stamp of what an import compares with, which differs once anyone has changed it.

    Rows of the plan aggregate are only added, except by an import, an extension's decision
    and a closing, which are all audited: the newest id of each table (and of the audit log)
    tell. Writes elsewhere (visits, pushes, drafts) leave the stamp alone, so that an import
    beside a busy bot does not compare everything again inside its write transaction.
    """
    rows = await _fetchall(
        conn,
        "SELECT (SELECT MAX(id) FROM plan), (SELECT MAX(id) FROM target),"
        " (SELECT MAX(id) FROM assignment), (SELECT COUNT(*) FROM assignment_unit),"
        " (SELECT MAX(id) FROM report), (SELECT COUNT(*) FROM review),"
        " (SELECT MAX(id) FROM leader), (SELECT MAX(id) FROM unit),"
        " (SELECT MAX(id) FROM audit_log), (SELECT COUNT(*) FROM plan_layout)",
    )
    return tuple(rows[0])


class StoredAssignment(NamedTuple):
    """A live assignment as an import compares a table's row with it (a plain row, cheap)."""

    id: int
    position: int
    leader: str
    units: tuple[str, ...]  # the lead units, lead first
    assisting: tuple[str, ...]
    imported: tuple[str, str] | None  # the period's latest imported report: (progress, status)


class StoredTarget(NamedTuple):
    """A target as an import compares a table's target with it, retired or not."""

    id: int
    number: int
    content: str
    deadline: str
    due_date: date | None
    label: str | None
    category: str | None
    extra: tuple[tuple[str, str], ...]
    retired: bool
    assignments: tuple[StoredAssignment, ...]  # the live ones, by position


@dataclass(frozen=True)
class ImportState:
    """What an import of one plan compares the table with."""

    plan: Plan | None
    current: Plan | None
    targets: dict[int, StoredTarget]  # by number, retired too
    slots: dict[tuple[int, int], int]  # (target id, position) → assignment id, retired too
    leaders: frozenset[str]
    units: frozenset[str]
    # The period's official report by (number, position) where it is a unit's update (where
    # it is imported, it is the assignment's `imported` report): a table that says what it
    # says (an export of this plan, imported again) adds nothing.
    official: dict[tuple[int, int], Report] = field(default_factory=dict)
    # Targets whose due date approved extensions moved, by number: (the due date before the
    # first approved extension, the due date now). A table still showing the first keeps the
    # extension; a table with another date is the office changing it.
    extended: dict[int, tuple[date | None, date]] = field(default_factory=dict)
    layout: Layout | None = None  # the layout kept from the plan's last import


async def _extended(
    conn: aiosqlite.Connection, plan_id: int
) -> dict[int, tuple[date | None, date]]:
    """Return the plan's targets moved by approved extensions: number → (before, now)."""
    rows = await _fetchall(
        conn,
        "SELECT t.number, t.due_date,"
        " (SELECT e.original_due FROM extension_request e WHERE e.target_id = t.id"
        "  AND e.state = 'approved' ORDER BY e.id LIMIT 1) AS before_due"
        " FROM target t WHERE t.plan_id = ? AND t.due_date IS NOT NULL AND EXISTS"
        " (SELECT 1 FROM extension_request e WHERE e.target_id = t.id AND e.state = 'approved')",
        (plan_id,),
    )
    return {
        int(row["number"]): (
            date.fromisoformat(row["before_due"]) if row["before_due"] else None,
            date.fromisoformat(row["due_date"]),
        )
        for row in rows
    }


async def import_state(conn: aiosqlite.Connection, title: str, period: str | None) -> ImportState:
    """Read what is stored of the plan called `title`, for planning an import of it.

    A large plan is tens of thousands of rows: they are read as plain rows, one query per
    table (the latest reports chosen in SQL), and grouped here, instead of building the
    targets the bot shows (with every report's fields) one by one.
    """
    plan = await plan_by_title(conn, title)
    targets: dict[int, StoredTarget] = {}
    slots: dict[tuple[int, int], int] = {}
    updated: dict[tuple[int, int], Report] = {}
    layout: Layout | None = None
    if plan is not None:
        targets, slots, live = await _stored_targets(conn, plan.id, period)
        if period is not None:
            # The period's official reports where a unit's update came after the last import:
            # where the latest is imported, it is the latest imported report, read above.
            latest = [
                report
                for assignment, source, report, _ in await _fetchall(
                    conn,
                    "SELECT r.assignment_id, r.source, r.id, MAX(r.revision) FROM report r"
                    " JOIN assignment a ON a.id = r.assignment_id"
                    " JOIN target t ON t.id = a.target_id"
                    f" WHERE t.plan_id = ? AND r.period = ? AND {official()}"
                    " GROUP BY r.assignment_id",
                    (plan.id, period),
                )
                if source == "chat" and assignment in live
            ]
            for row in await _fetch_in(conn, "SELECT * FROM report WHERE id {}", latest):
                updated[live[row["assignment_id"]]] = report_from_row(row)
        layout = await plan_layout(conn, plan.id)
    leaders = frozenset(row[0] for row in await _fetchall(conn, "SELECT name FROM leader"))
    units = frozenset(row[0] for row in await _fetchall(conn, "SELECT name FROM unit"))
    extended = await _extended(conn, plan.id) if plan is not None else {}
    return ImportState(
        plan, await current_plan(conn), targets, slots, leaders, units, updated, extended, layout
    )


async def _stored_targets(
    conn: aiosqlite.Connection, plan_id: int, period: str | None
) -> tuple[dict[int, StoredTarget], dict[tuple[int, int], int], dict[int, tuple[int, int]]]:
    """Return a plan's targets by number, its assignment slots, and where each live one is.

    The slots: (target id, position) → assignment id, retired ones too. Where: live assignment
    id → (number, position).
    """
    interned: dict[tuple[str, ...], tuple[str, ...]] = {}  # the same units, one tuple
    lead: defaultdict[int, list[str]] = defaultdict(list)
    assist: defaultdict[int, list[str]] = defaultdict(list)
    for assignment, name, role in await _fetchall(
        conn,
        "SELECT au.assignment_id, u.name, au.role FROM assignment_unit au"
        " JOIN unit u ON u.id = au.unit_id JOIN assignment a ON a.id = au.assignment_id"
        " JOIN target t ON t.id = a.target_id WHERE t.plan_id = ? AND a.retired_at IS NULL"
        " ORDER BY au.assignment_id, au.position",
        (plan_id,),
    ):
        (assist if role == "assist" else lead)[assignment].append(name)
    imported: dict[int, tuple[str, str]] = {}
    if period is not None:
        # Each assignment's latest imported report of the period (official: see `official`).
        for assignment, progress, status, _ in await _fetchall(
            conn,
            "SELECT r.assignment_id, r.progress, r.status, MAX(r.revision) FROM report r"
            " JOIN assignment a ON a.id = r.assignment_id JOIN target t ON t.id = a.target_id"
            f" WHERE t.plan_id = ? AND r.period = ? AND r.source = 'import' AND {official()}"
            " GROUP BY r.assignment_id",
            (plan_id, period),
        ):
            imported[assignment] = (progress, status)
    numbers: dict[int, int] = {}  # target id → number
    rows = await _fetchall(
        conn,
        "SELECT id, number, content, deadline, due_date, label, category, extra, retired_at"
        " FROM target WHERE plan_id = ?",
        (plan_id,),
    )
    for row in rows:
        numbers[row[0]] = row[1]
    slots: dict[tuple[int, int], int] = {}
    live: dict[int, tuple[int, int]] = {}
    assignments: defaultdict[int, list[StoredAssignment]] = defaultdict(list)
    for assignment, target, position, leader, retired in await _fetchall(
        conn,
        "SELECT a.id, a.target_id, a.position, l.name, a.retired_at FROM assignment a"
        " JOIN target t ON t.id = a.target_id JOIN leader l ON l.id = a.leader_id"
        " WHERE t.plan_id = ? ORDER BY a.target_id, a.position",
        (plan_id,),
    ):
        slots[(target, position)] = assignment
        if retired is not None:
            continue
        live[assignment] = (numbers[target], position)
        units = tuple(lead.pop(assignment, ()))
        assisting = tuple(assist.pop(assignment, ()))
        assignments[target].append(
            StoredAssignment(
                assignment,
                position,
                leader,
                interned.setdefault(units, units),
                interned.setdefault(assisting, assisting),
                imported.get(assignment),
            )
        )
    targets = {
        number: StoredTarget(
            target,
            number,
            content,
            deadline,
            date.fromisoformat(due_date) if due_date else None,
            label,
            category,
            extra_from_json(extra),
            retired_at is not None,
            tuple(assignments.pop(target, ())),
        )
        for target, number, content, deadline, due_date, label, category, extra, retired_at in rows
    }
    return targets, slots, live


@dataclass(frozen=True)
class TargetWrite:
    """A target's text and deadline to store: `target_id` None adds it."""

    target_id: int | None
    number: int
    content: str
    deadline: str
    due_date: date | None
    label: str | None = None
    category: str | None = None
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AssignmentWrite:
    """A leader and units to store at a target's position: `assignment_id` None adds it."""

    assignment_id: int | None
    number: int
    position: int
    leader: str
    units: tuple[str, ...]
    assisting: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportWrite:
    """An imported report revision to add to the assignment at a target's position."""

    number: int
    position: int
    progress: str
    status: str


@dataclass
class ImportWrites:
    """Everything an import stores, planned beforehand."""

    plan_id: int | None
    title: str
    year: int
    period: str | None
    leaders: list[str]
    units: list[str]
    targets: list[TargetWrite]
    assignments: list[AssignmentWrite]
    reports: list[ReportWrite]
    retire_after: list[tuple[int, int]]  # (target id, last live position)
    retired_targets: list[int]
    make_current: bool
    as_of: date | None = None  # the date the imported reports are of, if the table says
    layout: Layout | None = None  # the table's title line and columns, kept for exports

    @property
    def anything(self) -> bool:
        """Tell whether the import has anything to store (an unchanged table has not)."""
        return bool(
            self.plan_id is None
            or self.leaders
            or self.units
            or self.targets
            or self.assignments
            or self.reports
            or self.retire_after
            or self.retired_targets
            or self.make_current
            or self.layout is not None
        )


@dataclass(frozen=True)
class Layout:
    """The layout a plan's table came in: its title line and its columns' headers and roles."""

    title_line: str
    columns: tuple[tuple[str, str], ...]  # (header as written, role or "extra"), in order


async def store_layout(conn: aiosqlite.Connection, plan_id: int, layout: Layout) -> None:
    """Keep the layout of the plan's last imported table."""
    await conn.execute(
        "INSERT INTO plan_layout (plan_id, title_line, columns) VALUES (?, ?, ?)"
        " ON CONFLICT (plan_id) DO UPDATE SET title_line = excluded.title_line,"
        " columns = excluded.columns",
        (
            plan_id,
            layout.title_line,
            json.dumps([list(c) for c in layout.columns], ensure_ascii=False),
        ),
    )


async def plan_layout(conn: aiosqlite.Connection, plan_id: int) -> Layout | None:
    """Return the layout the plan's last imported table came in, if it was kept."""
    rows = await _fetchall(conn, "SELECT * FROM plan_layout WHERE plan_id = ?", (plan_id,))
    if not rows:
        return None
    try:
        pairs = json.loads(rows[0]["columns"])
    except ValueError:
        return None
    columns = tuple((str(p[0]), str(p[1])) for p in pairs if isinstance(p, list) and len(p) == 2)
    return Layout(str(rows[0]["title_line"]), columns) if columns else None


# The rows an import adds go first into a temporary table of its connection (written outside
# the plan's transaction: a connection's temporary tables lock nobody out), then into the
# plan's tables with one INSERT … SELECT each inside the transaction, which thus stays short.
# The table holds, one kind after the other (so that each INSERT reads only its own range of
# rowids): the new targets (number, content … extra); the assignments written (number,
# position, the leader's `name` where the assignment is new, and `units`: a JSON list of the
# unit names, of which the first `leads` lead); the new reports (number, position, progress,
# status).
_STAGE = (
    "number, position, content, deadline, due_date, label, category, extra,"
    " name, units, leads, progress, status"
)

DROP_TRIES = 20  # a scratch table's drop waits at most some two seconds for readers to end


@dataclass(frozen=True)
class StagedImport:
    """A planned import whose new rows wait in the temporary table `name`."""

    name: str
    writes: ImportWrites
    ranges: tuple[tuple[int, int], ...] = ()  # first and last rowid of each kind of row

    @property
    def count(self) -> int:
        """Return the number of rows staged."""
        return self.ranges[-1][1] if self.ranges else 0


def _staged_kinds(writes: ImportWrites) -> list[tuple[str, Iterable[tuple[object, ...]]]]:
    """Return each kind of staged row of a planned import: its columns and rows.

    The rows are made as they are stored (a large import's would take tens of MB at once).
    """
    unit_lists: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}  # the same down a table
    return [
        (
            "number, content, deadline, due_date, label, category, extra",
            (
                (
                    t.number,
                    t.content,
                    t.deadline,
                    _iso(t.due_date),
                    t.label,
                    t.category,
                    extra_to_json(t.extra),
                )
                for t in writes.targets
                if t.target_id is None
            ),
        ),
        (
            "number, position, name, units, leads",
            (
                (
                    a.number,
                    a.position,
                    a.leader if a.assignment_id is None else None,
                    unit_lists.get((a.units, a.assisting))
                    or unit_lists.setdefault(
                        (a.units, a.assisting),
                        json.dumps([*a.units, *a.assisting], ensure_ascii=False),
                    ),
                    len(a.units),
                )
                for a in writes.assignments
            ),
        ),
        (
            "number, position, progress, status",
            ((r.number, r.position, r.progress, r.status) for r in writes.reports),
        ),
    ]


async def stage_import(conn: aiosqlite.Connection, writes: ImportWrites) -> StagedImport:
    """Copy the rows a planned import adds into a temporary table (drop it with drop_stage).

    The rows go in with one transaction on the temporary database (a commit for each of tens
    of thousands of rows would be most of the work); the plan's tables stay unlocked.
    """
    name = f"import_{secrets.token_hex(6)}"
    ranges: list[tuple[int, int]] = []
    async with settled(conn):  # no other task's transaction is open on the connection
        own = conn.in_transaction  # the caller's own: the rows go with it
        if not own:
            await conn.execute("BEGIN")
        try:
            await conn.execute(f"CREATE TEMP TABLE {name} ({_STAGE})")
            for columns, rows in _staged_kinds(writes):
                cursor = await conn.executemany(
                    f"INSERT INTO temp.{name} ({columns})"
                    f" VALUES ({', '.join('?' * len(columns.split(',')))})",
                    rows,
                )
                # A new table's rowids: 1, 2, 3 … in the order of the rows.
                first = ranges[-1][1] + 1 if ranges else 1
                ranges.append((first, first + cursor.rowcount - 1))
                await cursor.close()
        except BaseException:
            if not own:
                await conn.rollback()
            raise
        if not own:
            await conn.commit()
    return StagedImport(name, writes, tuple(ranges))


async def stage_intact(conn: aiosqlite.Connection, staged: StagedImport) -> bool:
    """Tell whether a staged import's table still holds its rows.

    The bot's tasks share one connection: staged inside the caller's transaction, the rows go
    with it, and a rollback takes them.
    """
    try:
        rows = await _fetchall(conn, f"SELECT COUNT(*) FROM temp.{staged.name}")
    except sqlite3.OperationalError:
        return False  # the table is gone
    return int(rows[0][0]) == staged.count


async def drop_stage(conn: aiosqlite.Connection, staged: StagedImport) -> None:
    """Drop the temporary table of a staged import.

    SQLite refuses to drop a table while another task's statement is still reading on the
    shared connection ("database table is locked"); that read ends in a moment, so try again
    for a while. A table still there then goes with the connection (its name is the import's
    own): never fail an import that is stored for the sake of its scratch table.
    """
    for attempt in range(DROP_TRIES):
        try:
            async with settled(conn):  # not inside another task's transaction
                await conn.execute(f"DROP TABLE IF EXISTS temp.{staged.name}")
            return
        except sqlite3.OperationalError as error:
            code = getattr(error, "sqlite_errorcode", None)
            if code is None or code & 0xFF != sqlite3.SQLITE_LOCKED:
                raise
            await asyncio.sleep(0.01 * (attempt + 1))


async def apply_import(conn: aiosqlite.Connection, staged: StagedImport, at: str) -> int:
    """Store a staged import with bulk statements (inside the caller's transaction).

    Return the plan's id.
    """
    writes, stage = staged.writes, f"temp.{staged.name}"
    targets, assignments, reports = (
        f"s.rowid BETWEEN {first} AND {last}" for first, last in staged.ranges
    )
    plan_id = writes.plan_id
    if plan_id is None:
        plan_id = (await create_plan(conn, writes.title, writes.year, at)).id
    await conn.executemany(
        "INSERT OR IGNORE INTO leader (name) VALUES (?)", [(n,) for n in writes.leaders]
    )
    await conn.executemany(
        "INSERT OR IGNORE INTO unit (name) VALUES (?)", [(n,) for n in writes.units]
    )
    await conn.execute(
        "INSERT INTO target (plan_id, number, content, deadline, due_date, label, category, extra)"
        " SELECT ?, number, content, deadline, due_date, label, category, extra"
        f" FROM {stage} s WHERE {targets} ORDER BY s.rowid",
        (plan_id,),
    )
    await conn.executemany(
        "UPDATE target SET content = ?, deadline = ?, due_date = ?, label = ?, category = ?,"
        " extra = ?, retired_at = NULL WHERE id = ?",
        [
            (
                t.content,
                t.deadline,
                _iso(t.due_date),
                t.label,
                t.category,
                extra_to_json(t.extra),
                t.target_id,
            )
            for t in writes.targets
            if t.target_id is not None
        ],
    )
    kept = [a for a in writes.assignments if a.assignment_id is not None]
    leader_ids = await _ids(conn, "leader", {a.leader for a in kept})
    await conn.executemany(
        "UPDATE assignment SET leader_id = ?, retired_at = NULL WHERE id = ?",
        [(leader_ids[a.leader], a.assignment_id) for a in kept],
    )
    await conn.executemany(
        "DELETE FROM assignment_unit WHERE assignment_id = ?", [(a.assignment_id,) for a in kept]
    )
    # A staged row finds its target by the plan and number, its assignment by the position.
    slot = (
        "JOIN target t ON t.plan_id = ? AND t.number = s.number"
        " JOIN assignment a ON a.target_id = t.id AND a.position = s.position"
    )
    await conn.execute(
        "INSERT INTO assignment (target_id, position, leader_id)"
        f" SELECT t.id, s.position, l.id FROM {stage} s"
        " JOIN target t ON t.plan_id = ? AND t.number = s.number"
        f" JOIN leader l ON l.name = s.name WHERE {assignments} ORDER BY s.rowid",
        (plan_id,),
    )
    await conn.execute(
        "INSERT INTO assignment_unit (assignment_id, position, unit_id, role)"
        " SELECT a.id, j.key + 1, u.id, CASE WHEN j.key < s.leads THEN 'lead' ELSE 'assist' END"
        f" FROM {stage} s JOIN json_each(s.units) j {slot} JOIN unit u ON u.name = j.value"
        f" WHERE {assignments} ORDER BY s.rowid, j.key",
        (plan_id,),
    )
    # The next revision of each report is counted in SQL, from what is stored at the time.
    await conn.execute(
        """
        INSERT INTO report (assignment_id, period, revision, progress, status, source,
                            submitted_at, needs_review, as_of)
        SELECT a.id, ?, COALESCE((SELECT MAX(r.revision) FROM report r
                                  WHERE r.assignment_id = a.id AND r.period = ?), 0) + 1,
               s.progress, s.status, 'import', ?, 0, ?
        """
        f" FROM {stage} s {slot} WHERE {reports} ORDER BY s.rowid",
        (writes.period, writes.period, at, _iso(writes.as_of), plan_id),
    )
    await conn.executemany(
        "UPDATE assignment SET retired_at = ? "
        "WHERE target_id = ? AND position > ? AND retired_at IS NULL",
        [(at, target_id, position) for target_id, position in writes.retire_after],
    )
    await conn.executemany(
        "UPDATE target SET retired_at = ? WHERE id = ?",
        [(at, target_id) for target_id in writes.retired_targets],
    )
    if writes.layout is not None:
        await store_layout(conn, plan_id, writes.layout)
    if writes.make_current:
        await make_current(conn, plan_id)
    return plan_id


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


async def _ids(conn: aiosqlite.Connection, table: str, names: set[str]) -> dict[str, int]:
    """Return the ids of these leader or unit names (`table` is one of the two)."""
    assert table in ("leader", "unit")
    rows = await _fetch_in(conn, f"SELECT id, name FROM {table} WHERE name {{}}", sorted(names))
    return {row["name"]: int(row["id"]) for row in rows}
