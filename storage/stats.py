"""Repository reads for statistics: when each assignment's official report was first stored."""

from __future__ import annotations

import aiosqlite

from storage.targets import official


async def first_reported(conn: aiosqlite.Connection, plan_id: int, period: str) -> dict[int, str]:
    """Return assignment id → when its first official report for a period came in by chat.

    Imported reports are left out: the table an office imports was not late by being imported.
    """
    async with conn.execute(
        f"""
        SELECT r.assignment_id, MIN(r.submitted_at)
        FROM report r JOIN assignment a ON a.id = r.assignment_id
        JOIN target t ON t.id = a.target_id
        WHERE t.plan_id = ? AND r.period = ? AND r.source = 'chat' AND {official()}
        GROUP BY r.assignment_id
        """,
        (plan_id, period),
    ) as cursor:
        return {int(aid): str(at) for aid, at in await cursor.fetchall()}
