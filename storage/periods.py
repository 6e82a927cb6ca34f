"""Repository of announced deadlines: a period's calendar deadline kept once people were told."""

from __future__ import annotations

from datetime import date

import aiosqlite


async def announce(
    conn: aiosqlite.Connection, plan_id: int, period: str, deadline: date, *, at: str
) -> bool:
    """Keep a period's deadline as announced, unless the period has a row; True if stored now."""
    async with conn.execute(
        """
        INSERT INTO period (plan_id, period, state, deadline, changed_by, changed_at)
        VALUES (?, ?, 'announced', ?, 'calendar', ?)
        ON CONFLICT (plan_id, period) DO NOTHING
        """,
        (plan_id, period, deadline.isoformat(), at),
    ) as cursor:
        return cursor.rowcount == 1


async def reminded_texts(conn: aiosqlite.Connection, period: str) -> list[str]:
    """Return the texts of the report reminders sent for a period, latest first."""
    async with conn.execute(
        "SELECT text FROM push WHERE kind = 'remind' AND state = 'sent' AND key LIKE ? "
        "ORDER BY sent_at DESC",
        (f"remind:{period}:%",),
    ) as cursor:
        return [str(row[0]) for row in await cursor.fetchall()]
