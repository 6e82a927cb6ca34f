"""Repository of extension requests (延期申请): a later due date asked for, and the decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import aiosqlite

STATES = ("open", "approved", "refused")


@dataclass(frozen=True)
class Request:
    """One extension request with the target it is for and, once decided, the decision."""

    id: int
    target_id: int
    target_number: int
    target_label: str | None
    deadline: str  # the target's deadline as the table words it (年底)
    assignment_id: int | None
    unit_id: int | None
    unit: str | None
    asked_by: int
    asked_at: str
    original_due: date | None
    new_due: date
    reason: str
    progress: str
    state: str
    decided_by: str | None
    decided_at: str | None
    comment: str | None

    @property
    def shown_number(self) -> str:
        """Return the target's number as the table shows it."""
        return self.target_label or str(self.target_number)


_SELECT = """
    SELECT e.*, t.number AS target_number, t.label AS target_label, t.deadline AS deadline,
           u.name AS unit
    FROM extension_request e JOIN target t ON t.id = e.target_id
    LEFT JOIN unit u ON u.id = e.unit_id
"""


def _request(row: aiosqlite.Row) -> Request:
    return Request(
        id=row["id"],
        target_id=row["target_id"],
        target_number=row["target_number"],
        target_label=row["target_label"],
        deadline=row["deadline"],
        assignment_id=row["assignment_id"],
        unit_id=row["unit_id"],
        unit=row["unit"],
        asked_by=row["asked_by"],
        asked_at=row["asked_at"],
        original_due=date.fromisoformat(row["original_due"]) if row["original_due"] else None,
        new_due=date.fromisoformat(row["new_due"]),
        reason=row["reason"],
        progress=row["progress"],
        state=row["state"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        comment=row["comment"],
    )


async def get(conn: aiosqlite.Connection, request_id: int) -> Request | None:
    """Return one request by its id."""
    async with conn.execute(_SELECT + " WHERE e.id = ?", (request_id,)) as cursor:
        row = await cursor.fetchone()
    return _request(row) if row else None


async def list_requests(
    conn: aiosqlite.Connection, *, state: str | None = None, target_id: int | None = None
) -> list[Request]:
    """Return requests, oldest first, of one state and/or one target when given."""
    where: list[str] = []
    params: list[object] = []
    if state is not None:
        where.append("e.state = ?")
        params.append(state)
    if target_id is not None:
        where.append("e.target_id = ?")
        params.append(target_id)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY e.id"
    async with conn.execute(sql, params) as cursor:
        return [_request(row) for row in await cursor.fetchall()]


async def insert(
    conn: aiosqlite.Connection,
    *,
    target_id: int,
    assignment_id: int | None,
    unit_id: int | None,
    asked_by: int,
    asked_at: str,
    original_due: date | None,
    new_due: date,
    reason: str,
    progress: str,
) -> int:
    """Store a new open request (inside the caller's transaction); return its id."""
    cursor = await conn.execute(
        "INSERT INTO extension_request (target_id, assignment_id, unit_id, asked_by, asked_at,"
        " original_due, new_due, reason, progress) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            target_id,
            assignment_id,
            unit_id,
            asked_by,
            asked_at,
            original_due.isoformat() if original_due else None,
            new_due.isoformat(),
            reason,
            progress,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def decide(
    conn: aiosqlite.Connection,
    request_id: int,
    *,
    approved: bool,
    decided_by: str,
    decided_at: str,
    comment: str | None,
) -> bool:
    """Mark an open request approved or refused; on approval move the target's due date.

    Returns False when the request was no longer open (decided by someone else first).
    Runs inside the caller's transaction.
    """
    cursor = await conn.execute(
        "UPDATE extension_request SET state = ?, decided_by = ?, decided_at = ?, comment = ?"
        " WHERE id = ? AND state = 'open'",
        ("approved" if approved else "refused", decided_by, decided_at, comment, request_id),
    )
    if cursor.rowcount != 1:
        return False
    if approved:
        await conn.execute(
            "UPDATE target SET due_date = (SELECT new_due FROM extension_request WHERE id = ?)"
            " WHERE id = (SELECT target_id FROM extension_request WHERE id = ?)",
            (request_id, request_id),
        )
    return True


async def leader_users(conn: aiosqlite.Connection, target_id: int) -> list[int]:
    """Return the active leader users bound to a leader of the target's live assignments."""
    async with conn.execute(
        "SELECT DISTINCT u.telegram_id FROM user u JOIN assignment a ON a.leader_id = u.leader_id"
        " WHERE a.target_id = ? AND a.retired_at IS NULL AND u.role = 'leader' AND u.active = 1"
        " ORDER BY u.telegram_id",
        (target_id,),
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]
