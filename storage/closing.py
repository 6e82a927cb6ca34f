"""Repository of 办结: closing a target and reopening it (the caller audits, in its transaction)."""

from __future__ import annotations

import aiosqlite


async def close(conn: aiosqlite.Connection, target_id: int, *, on: str, by: str) -> bool:
    """Mark an open target closed on the local date `on`; return False if it was closed already."""
    cursor = await conn.execute(
        "UPDATE target SET closed_on = ?, closed_by = ? WHERE id = ? AND closed_on IS NULL",
        (on, by, target_id),
    )
    return cursor.rowcount == 1


async def reopen(conn: aiosqlite.Connection, target_id: int) -> bool:
    """Open a closed target again; return False if it was not closed."""
    cursor = await conn.execute(
        "UPDATE target SET closed_on = NULL, closed_by = NULL"
        " WHERE id = ? AND closed_on IS NOT NULL",
        (target_id,),
    )
    return cursor.rowcount == 1
