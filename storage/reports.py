"""Repository of the quarterly update: periods admins decide, drafts, units' parts, reviews."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import aiosqlite

from storage.targets import Named, Report, official, report_from_row

DRAFT_CONVERSATION = "report"  # the conversation whose states are the drafts' steps


@dataclass(frozen=True)
class Draft:
    """An update being written: kept after every step, so nothing typed is lost."""

    telegram_id: int
    key: str  # names the draft in its buttons and, once submitted, its report
    chat_id: int
    assignment_id: int
    unit_id: int
    period: str
    step: str
    progress: str = ""
    status: str | None = None
    reason: str | None = None
    remedy: str | None = None
    replace_next: bool = False  # the next progress message replaces the text instead of adding
    paused: bool = False  # left idle: resumed by /report, not by the next message
    last_message_id: int = 0  # messages at or below this id were taken already
    started_at: str = ""
    updated_at: str = ""
    back_to_preview: bool = False  # a step changed from the preview returns to it
    held_text: str | None = None  # a message that read as a question, kept until placed
    held_message_id: int = 0

    def but(self, **changes: object) -> Draft:
        """Return the draft with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Entry:
    """One revision in a target's history: who wrote it for which unit, and its review."""

    report: Report
    unit: str | None
    submitter: str | None
    review: str | None  # None (no review needed), 'pending', 'approved' or 'returned'
    comment: str | None


@dataclass(frozen=True)
class Pending:
    """A submission waiting for an admin's review."""

    report: Report
    target_id: int
    number: int
    content: str
    unit: str
    lead: bool
    submitter: str | None


_DRAFT_COLUMNS = (
    "telegram_id, key, chat_id, assignment_id, unit_id, period, step, progress, status, reason, "
    "remedy, replace_next, paused, last_message_id, started_at, updated_at, back_to_preview, "
    "held_text, held_message_id"
)


def _draft(row: aiosqlite.Row) -> Draft:
    values = dict(row)
    values["replace_next"] = bool(values["replace_next"])
    values["paused"] = bool(values["paused"])
    values["back_to_preview"] = bool(values["back_to_preview"])
    return Draft(**values)


async def decisions(conn: aiosqlite.Connection, plan_id: int) -> dict[str, tuple[str, date | None]]:
    """Return the periods admins opened or closed: period → (state, deadline)."""
    async with conn.execute(
        "SELECT period, state, deadline FROM period WHERE plan_id = ?", (plan_id,)
    ) as cursor:
        return {
            period: (state, date.fromisoformat(deadline) if deadline else None)
            for period, state, deadline in await cursor.fetchall()
        }


async def decide(
    conn: aiosqlite.Connection,
    plan_id: int,
    period: str,
    state: str,
    deadline: date | None,
    *,
    by: str,
    at: str,
) -> None:
    """Record that an admin opened (with or without a deadline) or closed a period."""
    await conn.execute(
        """
        INSERT INTO period (plan_id, period, state, deadline, changed_by, changed_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (plan_id, period) DO UPDATE SET state = excluded.state,
            deadline = excluded.deadline, changed_by = excluded.changed_by,
            changed_at = excluded.changed_at
        """,
        (plan_id, period, state, deadline.isoformat() if deadline else None, by, at),
    )
    if state == "open":  # one open period at a time
        await conn.execute(
            "UPDATE period SET state = 'closed', changed_by = ?, changed_at = ? "
            "WHERE plan_id = ? AND period != ? AND state = 'open'",
            (by, at, plan_id, period),
        )


async def latest_reported(conn: aiosqlite.Connection, plan_id: int) -> str | None:
    """Return the latest period any report of the plan is for.

    Read newest first by the period index (CROSS JOIN keeps that order): the first report of
    the plan found is the answer, not a walk of the plan's every report.
    """
    rows = await conn.execute_fetchall(
        "SELECT r.period FROM report r CROSS JOIN assignment a CROSS JOIN target t "
        "WHERE a.id = r.assignment_id AND t.id = a.target_id AND t.plan_id = ? "
        "ORDER BY r.period DESC LIMIT 1",
        (plan_id,),
    )
    return next((str(row[0]) for row in rows), None)


async def get_draft(conn: aiosqlite.Connection, telegram_id: int) -> Draft | None:
    """Return a user's draft, if any."""
    async with conn.execute(
        f"SELECT {_DRAFT_COLUMNS} FROM draft WHERE telegram_id = ?", (telegram_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return _draft(row) if row else None


async def active_drafts(conn: aiosqlite.Connection) -> list[Draft]:
    """Return every draft not left idle: their writers are in the middle of the flow."""
    async with conn.execute(f"SELECT {_DRAFT_COLUMNS} FROM draft WHERE paused = 0") as cursor:
        return [_draft(row) for row in await cursor.fetchall()]


async def save_draft(conn: aiosqlite.Connection, draft: Draft) -> None:
    """Store a user's draft (one per user), replacing what was there."""
    await conn.execute(
        f"""
        INSERT OR REPLACE INTO draft ({_DRAFT_COLUMNS})
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            draft.telegram_id,
            draft.key,
            draft.chat_id,
            draft.assignment_id,
            draft.unit_id,
            draft.period,
            draft.step,
            draft.progress,
            draft.status,
            draft.reason,
            draft.remedy,
            int(draft.replace_next),
            int(draft.paused),
            draft.last_message_id,
            draft.started_at,
            draft.updated_at,
            int(draft.back_to_preview),
            draft.held_text,
            draft.held_message_id,
        ),
    )


async def delete_draft(conn: aiosqlite.Connection, telegram_id: int) -> bool:
    """Forget a user's draft; False if there was none."""
    async with conn.execute("DELETE FROM draft WHERE telegram_id = ?", (telegram_id,)) as cur:
        return cur.rowcount == 1


async def drafts_of_unit(conn: aiosqlite.Connection, unit_id: int, period: str) -> set[int]:
    """Return the assignments a unit's liaisons have drafts for in a period."""
    async with conn.execute(
        "SELECT assignment_id FROM draft WHERE unit_id = ? AND period = ?", (unit_id, period)
    ) as cursor:
        return {int(row[0]) for row in await cursor.fetchall()}


async def report_by_draft(conn: aiosqlite.Connection, key: str) -> Report | None:
    """Return the report a draft became, if it was submitted."""
    async with conn.execute("SELECT * FROM report WHERE draft_key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return report_from_row(row) if row else None


async def report_by_id(conn: aiosqlite.Connection, report_id: int) -> Report | None:
    """Return one report revision."""
    async with conn.execute("SELECT * FROM report WHERE id = ?", (report_id,)) as cursor:
        row = await cursor.fetchone()
    return report_from_row(row) if row else None


@dataclass(frozen=True)
class Revision:
    """One revision of an assignment's report for a period, with its review if any."""

    report: Report
    decision: str | None  # None (no review yet, or none needed), 'approved' or 'returned'
    comment: str | None  # the reviewer's words


async def unit_reports(
    conn: aiosqlite.Connection, assignment_id: int, period: str
) -> list[Revision]:
    """Return every revision of an assignment for a period with its review, oldest first."""
    async with conn.execute(
        """
        SELECT r.*, v.decision, v.comment FROM report r LEFT JOIN review v ON v.report_id = r.id
        WHERE r.assignment_id = ? AND r.period = ? ORDER BY r.revision
        """,
        (assignment_id, period),
    ) as cursor:
        return [
            Revision(report_from_row(row), row["decision"], row["comment"])
            for row in await cursor.fetchall()
        ]


async def latest_before(
    conn: aiosqlite.Connection, assignment_id: int, period: str
) -> Report | None:
    """Return the latest official report of an assignment for a period before `period`."""
    async with conn.execute(
        f"""
        SELECT r.* FROM report r WHERE r.assignment_id = ? AND r.period < ? AND {official()}
        ORDER BY r.period DESC, r.revision DESC LIMIT 1
        """,
        (assignment_id, period),
    ) as cursor:
        row = await cursor.fetchone()
    return report_from_row(row) if row else None


async def history(conn: aiosqlite.Connection, target_id: int) -> list[Entry]:
    """Return every report revision of a target, newest first, with writer, unit and review."""
    async with conn.execute(
        """
        SELECT r.*, un.name AS unit_name, us.name AS submitter, v.decision, v.comment
        FROM report r JOIN assignment a ON a.id = r.assignment_id
        LEFT JOIN unit un ON un.id = r.unit_id
        LEFT JOIN user us ON us.telegram_id = r.submitted_by
        LEFT JOIN review v ON v.report_id = r.id
        WHERE a.target_id = ?
        ORDER BY r.period DESC, r.submitted_at DESC, r.revision DESC
        """,
        (target_id,),
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        Entry(
            report_from_row(row),
            row["unit_name"],
            row["submitter"] or None,
            row["decision"] or ("pending" if row["needs_review"] else None),
            row["comment"],
        )
        for row in rows
    ]


async def pending_reviews(conn: aiosqlite.Connection, *, limit: int = -1) -> list[Pending]:
    """Return the submissions waiting for review, oldest first (the first `limit` of them).

    Read by the index of the reports that had to wait for review (migration 15).
    """
    async with conn.execute(
        """
        SELECT r.*, t.id AS target_id, t.number, t.content, un.name AS unit_name,
               us.name AS submitter,
               (SELECT au.unit_id FROM assignment_unit au
                WHERE au.assignment_id = r.assignment_id AND au.position = 1) AS lead_unit
        FROM report r JOIN assignment a ON a.id = r.assignment_id
        JOIN target t ON t.id = a.target_id
        LEFT JOIN unit un ON un.id = r.unit_id
        LEFT JOIN user us ON us.telegram_id = r.submitted_by
        WHERE r.needs_review = 1 AND NOT EXISTS (SELECT 1 FROM review v WHERE v.report_id = r.id)
        ORDER BY r.id LIMIT ?
        """,
        (limit,),
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        Pending(
            report_from_row(row),
            row["target_id"],
            row["number"],
            row["content"],
            row["unit_name"] or "",
            row["lead_unit"] == row["unit_id"],
            row["submitter"] or None,
        )
        for row in rows
    ]


async def pending_count(conn: aiosqlite.Connection) -> int:
    """Return how many submissions wait for review."""
    rows = await conn.execute_fetchall(
        "SELECT COUNT(*) FROM report r WHERE r.needs_review = 1"
        " AND NOT EXISTS (SELECT 1 FROM review v WHERE v.report_id = r.id)"
    )
    return next((int(row[0]) for row in rows), 0)


async def review_of(conn: aiosqlite.Connection, report_id: int) -> str | None:
    """Return the decision on a report, if one was made."""
    async with conn.execute(
        "SELECT decision FROM review WHERE report_id = ?", (report_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def record_review(
    conn: aiosqlite.Connection,
    report_id: int,
    decision: str,
    comment: str | None,
    *,
    reviewer: int,
    at: str,
) -> bool:
    """Record an admin's decision on a report; False if it was decided already."""
    async with conn.execute(
        "INSERT OR IGNORE INTO review (report_id, decision, comment, reviewer, at) "
        "VALUES (?, ?, ?, ?, ?)",
        (report_id, decision, comment, reviewer, at),
    ) as cursor:
        return cursor.rowcount == 1


async def pending_assignments(conn: aiosqlite.Connection, target_id: int) -> set[int]:
    """Return a target's assignments with a lead-unit update newer than what leaders see."""
    async with conn.execute(
        """
        SELECT DISTINCT r.assignment_id FROM report r JOIN assignment a ON a.id = r.assignment_id
        WHERE a.target_id = ? AND r.needs_review = 1
        AND NOT EXISTS (SELECT 1 FROM review v WHERE v.report_id = r.id)
        AND r.unit_id = (SELECT au.unit_id FROM assignment_unit au
                         WHERE au.assignment_id = r.assignment_id AND au.position = 1)
        """,
        (target_id,),
    ) as cursor:
        return {int(row[0]) for row in await cursor.fetchall()}


@dataclass(frozen=True)
class TaskRow:
    """A live assignment of the current plan in which a unit has a part."""

    assignment_id: int
    target_id: int
    number: int
    content: str
    deadline: str
    due_date: date | None
    leader: str
    lead: bool  # the unit leads the assignment


def _parts(only: int | None) -> str:
    """Return the condition on `au` (the unit's assignment_unit row): all its parts, or one.

    One part is a point read by the (assignment_id, unit_id) key, not a walk of the unit's parts.
    """
    return "au.unit_id = ?" + (" AND au.assignment_id = ?" if only is not None else "")


def _part_params(unit_id: int, only: int | None) -> tuple[int, ...]:
    return (unit_id,) if only is None else (unit_id, only)


async def unit_assignments(
    conn: aiosqlite.Connection, unit_id: int, *, only: int | None = None
) -> list[TaskRow]:
    """Return the live assignments of the current plan a unit has a part in, by target number.

    `only` narrows it to one assignment.
    """
    rows = await conn.execute_fetchall(
        f"""
        SELECT a.id AS assignment_id, t.id AS target_id, t.number, t.content, t.deadline,
               t.due_date, l.name AS leader, au.position
        FROM assignment_unit au JOIN assignment a ON a.id = au.assignment_id
        JOIN target t ON t.id = a.target_id JOIN plan p ON p.id = t.plan_id
        JOIN leader l ON l.id = a.leader_id
        WHERE {_parts(only)} AND p.is_current = 1 AND t.retired_at IS NULL
          AND a.retired_at IS NULL
        ORDER BY t.number, a.position
        """,
        _part_params(unit_id, only),
    )
    return [  # unpacked by position: a /report list builds hundreds of these
        TaskRow(aid, tid, number, content, deadline, _day(due), leader, position == 1)
        for aid, tid, number, content, deadline, due, leader, position in rows
    ]


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


async def latest_of_unit(
    conn: aiosqlite.Connection, unit_id: int, period: str, *, only: int | None = None
) -> dict[int, Revision]:
    """Return, per assignment a unit has a part in, the unit's latest revision for a period.

    The unit's own revisions: those it wrote, and imported ones when it leads the assignment.
    `only` narrows it to one assignment. One query; each assignment's revisions are found by
    the (assignment_id, period, revision) index, newest first.
    """
    rows = await conn.execute_fetchall(
        f"""
        SELECT r.*, v.decision, v.comment FROM assignment_unit au
        JOIN report r ON r.id = (
            SELECT o.id FROM report o
            WHERE o.assignment_id = au.assignment_id AND o.period = ?
              AND (o.unit_id = au.unit_id OR (o.unit_id IS NULL AND au.position = 1))
            ORDER BY o.revision DESC LIMIT 1)
        LEFT JOIN review v ON v.report_id = r.id
        WHERE {_parts(only)}
        """,
        (period, *_part_params(unit_id, only)),
    )
    return {
        int(row["assignment_id"]): Revision(report_from_row(row), row["decision"], row["comment"])
        for row in rows
    }


async def assignment_units(conn: aiosqlite.Connection, assignment_id: int) -> list[Named]:
    """Return the units of an assignment, lead unit first."""
    async with conn.execute(
        "SELECT u.id, u.name FROM assignment_unit au JOIN unit u ON u.id = au.unit_id "
        "WHERE au.assignment_id = ? ORDER BY au.position",
        (assignment_id,),
    ) as cursor:
        return [Named(int(i), str(name)) for i, name in await cursor.fetchall()]


async def target_of(conn: aiosqlite.Connection, assignment_id: int) -> tuple[int, str]:
    """Return the number and content of an assignment's target."""
    async with conn.execute(
        "SELECT t.number, t.content FROM assignment a JOIN target t ON t.id = a.target_id "
        "WHERE a.id = ?",
        (assignment_id,),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


async def lead_revisions(
    conn: aiosqlite.Connection, period: str
) -> dict[int, tuple[bool, str | None]]:
    """Return, per assignment, its lead unit's latest revision: needs review?, decision."""
    async with conn.execute(
        """
        SELECT r.assignment_id, r.needs_review, v.decision FROM report r
        LEFT JOIN review v ON v.report_id = r.id
        WHERE r.id IN (
            SELECT MAX(o.id) FROM report o
            JOIN assignment_unit au ON au.assignment_id = o.assignment_id AND au.position = 1
            WHERE o.period = ? AND (o.unit_id IS NULL OR o.unit_id = au.unit_id)
            GROUP BY o.assignment_id)
        """,
        (period,),
    ) as cursor:
        return {
            int(assignment_id): (bool(needs_review), decision)
            for assignment_id, needs_review, decision in await cursor.fetchall()
        }


async def lead_drafts(conn: aiosqlite.Connection, period: str) -> set[int]:
    """Return the assignments whose lead unit has a draft for a period."""
    async with conn.execute(
        """
        SELECT d.assignment_id FROM draft d
        JOIN assignment_unit au ON au.assignment_id = d.assignment_id AND au.position = 1
        WHERE d.period = ? AND d.unit_id = au.unit_id
        """,
        (period,),
    ) as cursor:
        return {int(row[0]) for row in await cursor.fetchall()}
