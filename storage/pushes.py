"""Repository of pushes: each reminder, summary or digest by its stable key, and its fate."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiosqlite

from storage.search import AssignmentRow, PlanRows, ReportRow, TargetRow
from storage.targets import Named, official

SCHEDULE_KEY = "schedule"  # the admins' schedule, in the meta table


@dataclass(frozen=True)
class Push:
    """A message to one person, named by a key that never repeats (kind, period, whom, day)."""

    key: str
    kind: str
    recipient: int
    text: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)
    state: str = "sending"
    attempts: int = 0
    error: str | None = None
    sent_at: str | None = None


def _push(row: aiosqlite.Row) -> Push:
    return Push(
        key=row["key"],
        kind=row["kind"],
        recipient=row["recipient"],
        text=row["text"],
        buttons=[[(label, data) for label, data in line] for line in json.loads(row["buttons"])],
        payload=json.loads(row["payload"]),
        state=row["state"],
        attempts=row["attempts"],
        error=row["error"],
        sent_at=row["sent_at"],
    )


async def known(conn: aiosqlite.Connection, keys: Iterable[str]) -> set[str]:
    """Return which of these keys were claimed already (whatever became of them)."""
    wanted = list(keys)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(f"SELECT key FROM push WHERE key IN ({marks})", chunk) as cursor:
            found.update(row[0] for row in await cursor.fetchall())
    return found


async def claim(conn: aiosqlite.Connection, push: Push, at: str) -> bool:
    """Record a push as being sent; False if its key was claimed before (it is not sent again)."""
    async with conn.execute(
        """
        INSERT OR IGNORE INTO push (key, kind, recipient, text, buttons, payload, state,
                                    attempts, attempted_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 'sending', 1, ?, ?)
        """,
        (
            push.key,
            push.kind,
            push.recipient,
            push.text,
            json.dumps(push.buttons, ensure_ascii=False),
            json.dumps(push.payload, ensure_ascii=False),
            at,
            at,
        ),
    ) as cursor:
        return cursor.rowcount == 1


async def retake(conn: aiosqlite.Connection, key: str, at: str) -> bool:
    """Take a push due for another try; False if another check took it first."""
    async with conn.execute(
        "UPDATE push SET state = 'sending', attempts = attempts + 1, attempted_at = ? "
        "WHERE key = ? AND state IN ('retry', 'sending')",
        (at, key),
    ) as cursor:
        return cursor.rowcount == 1


async def settle(
    conn: aiosqlite.Connection,
    key: str,
    state: str,
    *,
    at: str,
    error: str | None = None,
    next_try_at: str | None = None,
) -> None:
    """Record what became of a push: sent, retry later, failed for good, or blocked."""
    await conn.execute(
        "UPDATE push SET state = ?, error = ?, next_try_at = ?, "
        "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE key = ?",
        (state, error, next_try_at, state, at, key),
    )


async def remember_parts(conn: aiosqlite.Connection, key: str, sent: int, group: str) -> None:
    """Remember how many messages of a split push went out (with whom it was sent together)."""
    await conn.execute(
        "UPDATE push SET payload = json_set(payload, '$.parts_sent', ?, '$.parts_group', ?) "
        "WHERE key = ?",
        (sent, group, key),
    )


async def due_again(conn: aiosqlite.Connection, now: str, stale_before: str) -> list[Push]:
    """Return pushes to try again: retries whose time came, and sends a crash interrupted."""
    async with conn.execute(
        """
        SELECT * FROM push
        WHERE (state = 'retry' AND next_try_at <= ?) OR (state = 'sending' AND attempted_at < ?)
        ORDER BY created_at, key
        """,
        (now, stale_before),
    ) as cursor:
        return [_push(row) for row in await cursor.fetchall()]


async def last_payload(
    conn: aiosqlite.Connection, recipient: int, kind: str
) -> dict[str, Any] | None:
    """Return what the last sent push of a kind to someone carried (the last digest's lights)."""
    async with conn.execute(
        "SELECT payload FROM push WHERE recipient = ? AND kind = ? AND state = 'sent' "
        "ORDER BY sent_at DESC LIMIT 1",
        (recipient, kind),
    ) as cursor:
        row = await cursor.fetchone()
    return json.loads(row[0]) if row else None


async def set_digest_muted(conn: aiosqlite.Connection, telegram_id: int, muted: bool) -> None:
    """Mute or unmute someone's weekly digest."""
    await conn.execute(
        "UPDATE user SET digest_muted = ? WHERE telegram_id = ?", (int(muted), telegram_id)
    )


async def digest_muted(conn: aiosqlite.Connection) -> set[int]:
    """Return who muted the weekly digest."""
    async with conn.execute("SELECT telegram_id FROM user WHERE digest_muted = 1") as cursor:
        return {int(row[0]) for row in await cursor.fetchall()}


class DutyRow(NamedTuple):
    """A live assignment of the current plan with its lead unit and leader.

    A named tuple of plain values: kept by the hundred thousand, never scanned by the collector.
    """

    assignment_id: int
    target_id: int
    number: int
    content: str
    due_date: str | None
    unit_id: int
    unit: str
    leader_id: int
    leader: str


async def lead_duties(conn: aiosqlite.Connection, plan_id: int) -> list[DutyRow]:
    """Return every live assignment of a plan with its lead unit, by target number."""
    async with conn.execute(
        """
        SELECT a.id, t.id, t.number, t.content, t.due_date, u.id, u.name, l.id, l.name
        FROM assignment a JOIN target t ON t.id = a.target_id
        JOIN assignment_unit au ON au.assignment_id = a.id AND au.position = 1
        JOIN unit u ON u.id = au.unit_id JOIN leader l ON l.id = a.leader_id
        WHERE t.plan_id = ? AND t.retired_at IS NULL AND a.retired_at IS NULL
          AND t.closed_on IS NULL  -- 办结: a closed target is neither reminded nor pushed
        ORDER BY t.number, a.position
        """,
        (plan_id,),
    ) as cursor:
        found: list[DutyRow] = []
        # In chunks: the event loop runs between them (100k rows made at once would stall it).
        while rows := await cursor.fetchmany(CHUNK):
            found.extend(DutyRow(*row) for row in rows)
        return found


CHUNK = 2000  # rows read and made into objects at a time


async def marks(conn: aiosqlite.Connection) -> tuple[int | None, int, int]:
    """Return the current plan, the newest report and the newest audit entry (by id).

    Reports and the audit log are append-only, and every change of the plan, its periods, the
    people's roles, reviews and instructions is audited: a push planned before any of these
    moved is planned again the same.
    """
    async with conn.execute(
        "SELECT (SELECT id FROM plan WHERE is_current = 1), "
        "(SELECT COALESCE(MAX(id), 0) FROM report), (SELECT COALESCE(MAX(id), 0) FROM audit_log)"
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0], int(row[1]), int(row[2])


async def draft_marks(conn: aiosqlite.Connection) -> frozenset[tuple[int, str, int]]:
    """Return the updates being written: (assignment, period, unit) of every report draft."""
    async with conn.execute(
        "SELECT assignment_id, period, unit_id FROM draft WHERE assignment_id IS NOT NULL"
    ) as cursor:
        return frozenset((int(a), str(p), int(u)) for a, p, u in await cursor.fetchall())


async def completed_assignments(conn: aiosqlite.Connection, plan_id: int) -> set[int]:
    """Return the plan's assignments whose latest official report says completed."""
    async with conn.execute(
        f"""
        SELECT assignment_id FROM (
            SELECT r.assignment_id, r.status, ROW_NUMBER() OVER (
                PARTITION BY r.assignment_id ORDER BY r.period DESC, r.id DESC) AS rank
            FROM report r JOIN assignment a ON a.id = r.assignment_id
            JOIN target t ON t.id = a.target_id
            WHERE t.plan_id = ? AND a.retired_at IS NULL AND {official()}
        ) WHERE rank = 1 AND status = 'completed'
        """,
        (plan_id,),
    ) as cursor:
        return {int(row[0]) for row in await cursor.fetchall()}


async def latest_period(conn: aiosqlite.Connection, plan_id: int) -> str | None:
    """Return the latest period any official report of the plan is for (the lights' period)."""
    async with conn.execute(
        f"SELECT MAX(r.period) FROM report r JOIN assignment a ON a.id = r.assignment_id "
        f"JOIN target t ON t.id = a.target_id WHERE t.plan_id = ? AND {official()}",
        (plan_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] else None


async def leaders_targets(
    conn: aiosqlite.Connection, plan_id: int, leader_ids: Iterable[int]
) -> dict[int, list[int]]:
    """Return the live targets of each of these leaders in a plan (ids, one query for all)."""
    found: dict[int, list[int]] = {leader: [] for leader in leader_ids}
    async with conn.execute(
        "SELECT DISTINCT a.leader_id, a.target_id FROM assignment a "
        "JOIN target t ON t.id = a.target_id "
        "WHERE t.plan_id = ? AND t.retired_at IS NULL AND a.retired_at IS NULL "
        "AND a.leader_id IN (SELECT value FROM json_each(?))",
        (plan_id, json.dumps(sorted(found))),
    ) as cursor:
        for leader, target in await cursor.fetchall():
            found[int(leader)].append(int(target))
    return found


async def targets_rows(conn: aiosqlite.Connection, target_ids: list[int]) -> PlanRows:
    """Return these targets with all their live assignments and latest official reports.

    Point reads by id, in three queries whatever the plan's size (a leader's digest).
    """
    ids = json.dumps(target_ids)
    async with conn.execute(
        "SELECT id, number, content, deadline, due_date, label, category, extra, closed_on "
        "FROM target WHERE id IN (SELECT value FROM json_each(?)) ORDER BY number",
        (ids,),
    ) as cursor:
        targets = [TargetRow(*row) for row in await cursor.fetchall()]
    async with conn.execute(
        "SELECT a.id, a.target_id, a.position, l.id, l.name FROM assignment a "
        "JOIN leader l ON l.id = a.leader_id "
        "WHERE a.retired_at IS NULL AND a.target_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY a.target_id, a.position",
        (ids,),
    ) as cursor:
        assignments = [
            AssignmentRow(aid, tid, position, Named(lid, name), ())
            for aid, tid, position, lid, name in await cursor.fetchall()
        ]
    async with conn.execute(
        f"""
        SELECT assignment_id, period, revision, status, progress FROM (
            SELECT r.assignment_id, r.period, r.revision, r.status, r.progress,
                ROW_NUMBER() OVER (
                    PARTITION BY r.assignment_id, r.period ORDER BY r.id DESC) AS rank
            FROM assignment a JOIN report r ON r.assignment_id = a.id
            WHERE a.retired_at IS NULL AND a.target_id IN (SELECT value FROM json_each(?))
              AND {official()}
        ) WHERE rank = 1
        """,
        (ids,),
    ) as cursor:
        reports = [ReportRow(*row) for row in await cursor.fetchall()]
    return PlanRows(targets, assignments, reports)


async def latest_payloads(conn: aiosqlite.Connection, kind: str) -> dict[int, dict[str, Any]]:
    """Return, per recipient, what the latest push of a kind carried (whatever its fate)."""
    async with conn.execute(
        "SELECT recipient, payload FROM push p WHERE kind = ? AND rowid = "
        "(SELECT MAX(o.rowid) FROM push o WHERE o.kind = p.kind AND o.recipient = p.recipient)",
        (kind,),
    ) as cursor:
        return {int(row[0]): json.loads(row[1]) for row in await cursor.fetchall()}
