"""Schema migrations: a fresh and an older database both end at the current version."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from storage.db import connect
from storage.migrations import CURRENT_VERSION, SchemaTooNew, migrate, schema_version
from tests.conftest import scalar


async def test_a_fresh_database_is_at_the_current_version_with_wal_and_foreign_keys(
    tmp_path: Path,
) -> None:
    conn = await connect(tmp_path / "nested" / "dir" / "fresh.db")
    try:
        assert await schema_version(conn) == CURRENT_VERSION
        assert await scalar(conn, "PRAGMA journal_mode") == "wal"
        assert await scalar(conn, "PRAGMA foreign_keys") == 1
        with pytest.raises(aiosqlite.IntegrityError):
            await conn.execute(
                "INSERT INTO target (plan_id, number, content, deadline) VALUES (999, 1, 'x', 'y')"
            )
    finally:
        await conn.close()
    assert (tmp_path / "nested" / "dir" / "fresh.db").is_file()


async def test_an_older_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = await aiosqlite.connect(path, isolation_level=None)
    assert await migrate(old, target=1) == 1
    await old.execute(
        "INSERT INTO plan (title, year, is_current, created_at) VALUES ('旧计划', 2022, 1, 'then')"
    )
    await old.close()

    conn = await connect(path)
    try:
        assert await schema_version(conn) == CURRENT_VERSION
        assert await scalar(conn, "SELECT title FROM plan") == "旧计划"
        assert await scalar(conn, "SELECT COUNT(*) FROM audit_log") == 0
        # Connecting again is a no-op.
        assert await migrate(conn) == CURRENT_VERSION
    finally:
        await conn.close()


async def test_a_database_from_a_newer_targetbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    future = await aiosqlite.connect(path)
    await future.execute(f"PRAGMA user_version = {CURRENT_VERSION + 1}")
    await future.close()
    with pytest.raises(SchemaTooNew):
        await connect(path)
    # Nothing was changed by the refusal.
    check = await aiosqlite.connect(path)
    async with check.execute("PRAGMA user_version") as cursor:
        assert await cursor.fetchone() == (CURRENT_VERSION + 1,)
    await check.close()


async def test_report_history_cannot_be_overwritten_or_deleted(db: aiosqlite.Connection) -> None:
    await db.executescript(
        """
        INSERT INTO plan (id, title, year, created_at) VALUES (1, 'p', 2023, 'now');
        INSERT INTO leader (id, name) VALUES (1, '曹临');
        INSERT INTO target (id, plan_id, number, content, deadline) VALUES (1, 1, 90, 'x', '年底');
        INSERT INTO assignment (id, target_id, position, leader_id) VALUES (1, 1, 1, 1);
        INSERT INTO report (assignment_id, period, revision, progress, status, source,
                            submitted_at)
        VALUES (1, '2023Q3', 1, '完成投资16.32亿元', 'on_track', 'import', 'now');
        """
    )
    with pytest.raises(aiosqlite.IntegrityError, match="append-only"):
        await db.execute("UPDATE report SET progress = 'rewritten'")
    with pytest.raises(aiosqlite.IntegrityError, match="append-only"):
        await db.execute("DELETE FROM report")
    assert await scalar(db, "SELECT progress FROM report") == "完成投资16.32亿元"
