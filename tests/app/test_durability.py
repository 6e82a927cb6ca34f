"""Durability of transactions: synced to disk (synchronous=FULL) unless nobody was told."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage.db import connect, transaction
from tests.conftest import scalar

FULL, NORMAL = 2, 1  # what PRAGMA synchronous answers


class Trace:
    """The statements a connection ran, spaces folded, upper case."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, sql: str) -> None:
        self.statements.append(" ".join(sql.split()).upper())

    def levels_at_commit(self) -> list[str]:
        """Return the synchronous setting in force at each COMMIT."""
        level, found = "FULL", []
        for statement in self.statements:
            if statement.startswith("PRAGMA SYNCHRONOUS ="):
                level = statement.rsplit("=", 1)[1].strip()
            elif statement == "COMMIT":
                found.append(level)
        return found


async def keep(conn: aiosqlite.Connection, text: str, *, durable: bool) -> None:
    async with transaction(conn, durable=durable):
        await conn.execute(
            "INSERT INTO saved_query (telegram_id, text, created_at) VALUES (1, ?, 'x')", (text,)
        )


async def test_transactions_are_durable_unless_they_say_so(db: aiosqlite.Connection) -> None:
    trace = Trace()
    await db.set_trace_callback(trace)
    assert await scalar(db, "PRAGMA synchronous") == FULL
    await keep(db, "durable", durable=True)
    await keep(db, "light 1", durable=False)
    await keep(db, "light 2", durable=False)
    assert await scalar(db, "PRAGMA synchronous") == NORMAL
    await keep(db, "durable again", durable=True)
    assert await scalar(db, "PRAGMA synchronous") == FULL
    assert trace.levels_at_commit() == ["FULL", "NORMAL", "NORMAL", "FULL"]
    # The setting changes only between transactions, and only when it must.
    switches = [s for s in trace.statements if s.startswith("PRAGMA SYNCHRONOUS =")]
    assert switches == ["PRAGMA SYNCHRONOUS = NORMAL", "PRAGMA SYNCHRONOUS = FULL"]


async def test_a_light_transaction_joined_by_a_durable_one_stays_durable(
    db: aiosqlite.Connection,
) -> None:
    trace = Trace()
    await db.set_trace_callback(trace)
    async with transaction(db):
        await keep(db, "inside", durable=False)  # joins the outer, durable transaction
    assert trace.levels_at_commit() == ["FULL"]


async def test_light_commits_survive_the_process_and_a_failed_one_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "targetbot.db"
    conn = await connect(path)
    await keep(conn, "kept", durable=False)

    async def failing() -> None:
        async with transaction(conn, durable=False):
            await conn.execute(
                "INSERT INTO saved_query (telegram_id, text, created_at) VALUES (1, 'lost', 'x')"
            )
            raise RuntimeError("the block failed")

    with pytest.raises(RuntimeError):
        await failing()
    await keep(conn, "durable", durable=True)
    # Another connection (another process would see the same) reads what was committed.
    with sqlite3.connect(path) as other:
        texts = [row[0] for row in other.execute("SELECT text FROM saved_query ORDER BY id")]
    assert texts == ["kept", "durable"]
    await conn.close()
