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
