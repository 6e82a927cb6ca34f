"""Repository of the audit log: append-only records of who did what."""

from __future__ import annotations

import json
from collections.abc import Mapping

import aiosqlite


async def record(
    conn: aiosqlite.Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    at: str,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Append one entry to the audit log (inside the caller's transaction)."""
    await conn.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (at, actor, action, subject, json.dumps(dict(detail or {}), ensure_ascii=False)),
    )


async def actions_since(conn: aiosqlite.Connection, after: int) -> set[str]:
    """Return the actions of the entries after entry `after` (by id)."""
    async with conn.execute(
        "SELECT DISTINCT action FROM audit_log WHERE id > ?", (after,)
    ) as cursor:
        return {str(row[0]) for row in await cursor.fetchall()}
