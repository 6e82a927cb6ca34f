"""Repository reads for the query engine: everything a plan's search index is built from."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.targets import Named, official


@dataclass(frozen=True)
class AssignmentRow:
    """An assignment with its leader and units (lead first)."""

    id: int
    target_id: int
    position: int
    leader: Named
    units: tuple[Named, ...]  # the lead units
    assisting: tuple[Named, ...] = ()  # units of a 配合单位 column


@dataclass(frozen=True)
class ReportRow:
    """The latest revision of one assignment's report for one period."""

    assignment_id: int
    period: str
    revision: int
    status: str
    progress: str


@dataclass(frozen=True)
class TargetRow:
    """A live target of the plan."""

    id: int
    number: int
    content: str
    deadline: str
    due_date: str | None
    label: str | None = None  # the number as the table shows it (2-3)
    category: str | None = None
    extra: str = "[]"  # the table's other columns, as stored (JSON)
    closed_on: str | None = None  # 办结: the day it was closed
    extended: int = 0  # 1: an approved extension request (延期) moved its due date


@dataclass(frozen=True)
class PlanRows:
    """Everything the search index of one plan is built from."""

    targets: list[TargetRow]
    assignments: list[AssignmentRow]
    reports: list[ReportRow]


async def signature(conn: aiosqlite.Connection) -> tuple[object, ...]:
    """Return a value that changes whenever what the search sees may have changed.

    Reports are append-only; every change of targets, aliases or plans is audited.
    """
    async with conn.execute(
        "SELECT (SELECT id FROM plan WHERE is_current = 1), (SELECT MAX(id) FROM report), "
        "(SELECT MAX(id) FROM audit_log)"
    ) as cursor:
        row = await cursor.fetchone()
    return tuple(row) if row else ()


async def load_plan(conn: aiosqlite.Connection, plan_id: int) -> PlanRows:
    """Return a plan's live targets, assignments, and latest report per assignment and period."""
    async with conn.execute(
        "SELECT id, number, content, deadline, due_date, label, category, extra, closed_on,"
        " EXISTS (SELECT 1 FROM extension_request e WHERE e.target_id = target.id"
        " AND e.state = 'approved') FROM target "
        "WHERE plan_id = ? AND retired_at IS NULL ORDER BY number",
        (plan_id,),
    ) as cursor:
        targets = [TargetRow(*row) for row in await cursor.fetchall()]
    async with conn.execute(
        """
        SELECT au.assignment_id, u.id, u.name, au.role
        FROM assignment_unit au JOIN unit u ON u.id = au.unit_id
        JOIN assignment a ON a.id = au.assignment_id JOIN target t ON t.id = a.target_id
        WHERE t.plan_id = ? ORDER BY au.assignment_id, au.position
        """,
        (plan_id,),
    ) as cursor:
        units: dict[int, list[Named]] = {}
        assisting: dict[int, list[Named]] = {}
        for aid, uid, name, role in await cursor.fetchall():
            (assisting if role == "assist" else units).setdefault(aid, []).append(Named(uid, name))
    async with conn.execute(
        """
        SELECT a.id, a.target_id, a.position, l.id, l.name
        FROM assignment a JOIN target t ON t.id = a.target_id JOIN leader l ON l.id = a.leader_id
        WHERE t.plan_id = ? AND t.retired_at IS NULL AND a.retired_at IS NULL
        ORDER BY t.number, a.position
        """,
        (plan_id,),
    ) as cursor:
        assignments = [
            AssignmentRow(
                aid,
                tid,
                position,
                Named(lid, lname),
                tuple(units.get(aid, ())),
                tuple(assisting.get(aid, ())),
            )
            for aid, tid, position, lid, lname in await cursor.fetchall()
        ]
    async with conn.execute(
        f"""
        SELECT assignment_id, period, revision, status, progress FROM (
            SELECT r.assignment_id, r.period, r.revision, r.status, r.progress,
                ROW_NUMBER() OVER (
                    PARTITION BY r.assignment_id, r.period ORDER BY r.id DESC) AS rank
            FROM report r JOIN assignment a ON a.id = r.assignment_id
            JOIN target t ON t.id = a.target_id
            WHERE t.plan_id = ? AND {official()}
        ) WHERE rank = 1
        """,
        (plan_id,),
    ) as cursor:
        reports = [ReportRow(*row) for row in await cursor.fetchall()]
    return PlanRows(targets, assignments, reports)


async def aliases(conn: aiosqlite.Connection) -> dict[str, Named]:
    """Return the unit aliases admins defined."""
    async with conn.execute(
        "SELECT a.alias, u.id, u.name FROM unit_alias a JOIN unit u ON u.id = a.unit_id"
    ) as cursor:
        return {alias: Named(uid, name) for alias, uid, name in await cursor.fetchall()}


async def set_alias(conn: aiosqlite.Connection, alias: str, unit_id: int) -> None:
    """Make `alias` name the unit (replacing what it named before)."""
    await conn.execute(
        "INSERT INTO unit_alias (alias, unit_id) VALUES (?, ?) "
        "ON CONFLICT (alias) DO UPDATE SET unit_id = excluded.unit_id",
        (alias, unit_id),
    )


async def remove_alias(conn: aiosqlite.Connection, alias: str) -> bool:
    """Forget an alias; False if there was none."""
    async with conn.execute("DELETE FROM unit_alias WHERE alias = ?", (alias,)) as cursor:
        return cursor.rowcount == 1


async def save_query(conn: aiosqlite.Connection, telegram_id: int, text: str, at: str) -> int:
    """Keep a question so its result pages can be turned by button; return its id."""
    row = await conn.execute_insert(
        "INSERT INTO saved_query (telegram_id, text, created_at) VALUES (?, ?, ?)",
        (telegram_id, text, at),
    )
    assert row is not None
    return int(row[0])


async def saved_query(conn: aiosqlite.Connection, query_id: int) -> tuple[int, str] | None:
    """Return (owner's Telegram id, text) of a kept question."""
    rows = await conn.execute_fetchall(
        "SELECT telegram_id, text FROM saved_query WHERE id = ?", (query_id,)
    )
    return next(((int(row[0]), str(row[1])) for row in rows), None)
