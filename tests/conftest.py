"""Shared fixtures: a real SQLite file per test, and the demo table in its several shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiosqlite
import pytest

from bot import clock
from bot.plan.importer import DEMO_TABLE, import_file
from storage.db import connect


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """Open a fresh, migrated database file under tmp_path."""
    conn = await connect(tmp_path / "targetbot.db")
    yield conn
    await conn.close()


@pytest.fixture
async def demo(db: aiosqlite.Connection) -> aiosqlite.Connection:
    """Return a fresh database holding the demo table."""
    await import_file(db, DEMO_TABLE, actor="test")
    return db


@pytest.fixture
def demo_lines() -> list[str]:
    """Return the demo table's lines as the supervision office sent them."""
    return DEMO_TABLE.read_text(encoding="utf-8").splitlines()


async def snapshot(conn: aiosqlite.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Return every row of every table, to prove that something changed nothing."""
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ) as cursor:
        tables = [row[0] for row in await cursor.fetchall()]
    result: dict[str, list[tuple[object, ...]]] = {}
    for table in tables:
        async with conn.execute(f"SELECT * FROM {table} ORDER BY rowid") as cursor:
            result[table] = [tuple(row) for row in await cursor.fetchall()]
    return result


async def scalar(conn: aiosqlite.Connection, sql: str, *params: object) -> object:
    """Return the first column of the first row of a query."""
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    """Give every test the real clock, whatever the one before it set."""
    clock.reset()
    yield
    clock.reset()
