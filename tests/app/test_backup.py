"""Backups: a consistent copy of the live database, a checked and atomic restore, the daily job."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Job

from bot import clock
from bot.backup import BackupError, check_backup, daily_backup, daily_name, restore_files
from bot.plan.importer import DEMO_TABLE
from bot.report.evidence import FileStore, Incoming, Owner, attach
from bot.settings import Settings
from handlers.backup import DailyBackupFailed, back_up_daily, start_backing_up
from handlers.context import BotContext
from storage.backup import backup_database
from storage.db import connect, lock_for_running, transaction
from storage.migrations import CURRENT_VERSION
from tests.app.test_cli import targetbot
from tests.harness import running_bot
from tests.report.test_report_chat import ADMIN


def demo_database(tmp_path: Path, name: str = "live.db") -> Path:
    db = tmp_path / name
    result = targetbot(tmp_path, "import", str(DEMO_TABLE), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def progress(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT progress FROM report ORDER BY id")]


def contents(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT content FROM target ORDER BY id")]


async def test_a_backup_taken_while_another_connection_writes_is_a_consistent_snapshot(
    tmp_path: Path,
) -> None:
    db = demo_database(tmp_path)
    writer = await connect(db)
    # Each transaction adds two rows; a consistent copy holds whole transactions only.
    await writer.execute("CREATE TABLE pair (n INTEGER, half INTEGER)")
    written = 0
    copies: list[Path] = []

    async def write() -> None:
        nonlocal written
        for n in range(400):
            async with transaction(writer):
                await writer.execute("INSERT INTO pair VALUES (?, 1)", (n,))
                await writer.execute("INSERT INTO pair VALUES (?, 2)", (n,))
            written += 1
            await asyncio.sleep(0)

    async def back_up() -> None:
        for i in range(8):
            before = written
            copy = tmp_path / f"copy-{i}.db"
            await backup_database(db, copy)
            copies.append(copy)
            assert count(copy, "SELECT COUNT(DISTINCT n) FROM pair") >= before

    try:
        await asyncio.gather(write(), back_up())
    finally:
        await writer.close()

    for copy in copies:
        assert_whole(copy)
    assert count(db, "SELECT COUNT(*) FROM pair") == 800


def assert_whole(copy: Path) -> None:
    """The copy checks out, holds whole transactions only, and is one self-contained file."""
    assert check_backup(copy) == CURRENT_VERSION
    assert count(copy, "SELECT COUNT(*) FROM pair") % 2 == 0
    assert count(copy, "SELECT COUNT(*) FROM report") == 59
    assert not Path(f"{copy}-wal").exists()


def test_the_cli_backs_up_and_restores_into_a_new_database(tmp_path: Path) -> None:
    db = demo_database(tmp_path)
    made = targetbot(tmp_path, "backup", "backups/one.db", "--db", str(db))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"已将 {db} 备份到 backups/one.db（")
    restored = targetbot(tmp_path, "restore", "backups/one.db", "--db", "fresh.db")
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.splitlines() == [
        f"已用 backups/one.db 恢复数据库 fresh.db（结构版本 {CURRENT_VERSION}）。"
        "请重新启动机器人：targetbot run。"
    ]
    assert progress(tmp_path / "fresh.db") == progress(db)
    assert [p.name for p in tmp_path.glob(".*.tmp")] == []


def test_restore_refuses_to_replace_a_database_without_force(tmp_path: Path) -> None:
    db = demo_database(tmp_path)
    assert targetbot(tmp_path, "backup", "b.db", "--db", str(db)).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE target SET content = 'changed after the backup'")
    en = {"DEFAULT_LANGUAGE": "en"}

    refused = targetbot(tmp_path, "restore", "b.db", "--db", str(db), env=en)

    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"The database {db} exists and restoring would replace it: stop the bot, then run the "
        "restore again with --force."
    ]
    assert set(contents(db)) == {"changed after the backup"}

    forced = targetbot(tmp_path, "restore", "b.db", "--db", str(db), "--force", env=en)
    assert forced.returncode == 0, forced.stderr
    assert "changed after the backup" not in contents(db)
    assert len(contents(db)) == 57


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"not a database at all\n" * 100, "is not an SQLite database (file is not a database)"),
        (None, "is damaged (integrity check: database disk image is malformed)"),
        (b"", "is an SQLite file but not a targetbot database"),
    ],
)
def test_a_corrupt_or_foreign_file_is_refused_in_one_line_and_nothing_changes(
    tmp_path: Path, content: bytes | None, says: str
) -> None:
    db = demo_database(tmp_path)
    bad = tmp_path / "bad.db"
    if content is None:  # a backup cut short: the first pages, not the rest
        assert targetbot(tmp_path, "backup", "whole.db", "--db", str(db)).returncode == 0
        bad.write_bytes((tmp_path / "whole.db").read_bytes()[:16384])
    else:
        bad.write_bytes(content)
    before = db.read_bytes()
    bad_before = bad.read_bytes()

    result = targetbot(
        tmp_path, "restore", "bad.db", "--db", str(db), "--force", env={"DEFAULT_LANGUAGE": "en"}
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"bad.db {says}; nothing was changed."]
    assert db.read_bytes() == before
    assert bad.read_bytes() == bad_before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("bad", "."))) == [
        "bad.db"
    ]


def test_a_backup_from_a_newer_targetbot_is_refused(tmp_path: Path) -> None:
    db = demo_database(tmp_path)
    newer = tmp_path / "newer.db"
    assert targetbot(tmp_path, "backup", str(newer), "--db", str(db)).returncode == 0
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {CURRENT_VERSION + 1}")
    with pytest.raises(BackupError) as refused:
        check_backup(newer)
    assert refused.value.key == "backup.too_new"


def test_restore_refuses_while_a_bot_runs_on_the_database(tmp_path: Path) -> None:
    db = demo_database(tmp_path)
    assert targetbot(tmp_path, "backup", "b.db", "--db", str(db)).returncode == 0
    before = db.read_bytes()
    lock = lock_for_running(db)  # what `targetbot run` holds while it runs
    try:
        result = targetbot(
            tmp_path, "restore", "b.db", "--db", str(db), "--force", env={"DEFAULT_LANGUAGE": "en"}
        )
    finally:
        assert lock is not None
        lock.close()
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith("A targetbot run (process ")
    assert result.stderr.splitlines()[0].endswith(
        f"is using the database {db}: stop it first, then restore; nothing was changed."
    )
    assert db.read_bytes() == before


def test_backup_of_a_missing_database_says_so(tmp_path: Path) -> None:
    result = targetbot(
        tmp_path, "backup", "b.db", "--db", "none.db", env={"DEFAULT_LANGUAGE": "en"}
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "There is no database at none.db to back up (set DATABASE_PATH or --db)."
    ]
    assert not (tmp_path / "none.db").exists()
    assert not (tmp_path / "b.db").exists()


async def test_the_daily_backup_keeps_the_last_n_and_leaves_other_files_alone(
    tmp_path: Path,
) -> None:
    db = demo_database(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    days = [date(2023, 10, d) for d in range(1, 11)]
    for day in days:
        done = await daily_backup(db, folder, day, keep=3)
        assert done.written == folder / daily_name(day)
    assert sorted(p.name for p in folder.iterdir()) == [
        "notes.txt",
        "targetbot-2023-10-08.db",
        "targetbot-2023-10-09.db",
        "targetbot-2023-10-10.db",
    ]
    assert check_backup(folder / "targetbot-2023-10-10.db") == CURRENT_VERSION


async def test_the_running_bots_daily_job_writes_todays_backup_and_keeps_the_last_n(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "daily"
    zone = ZoneInfo("Asia/Shanghai")
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), BACKUP_DIR=str(folder), BACKUP_KEEP="2"
    ) as harness:
        app = harness.app
        assert app.job_queue is not None
        start_backing_up(app.job_queue, app.bot_data.settings, date(2023, 10, 1))
        jobs = app.job_queue.get_jobs_by_name("backup")
        at_three = [j for j in jobs if j.next_t and j.next_t.astimezone(zone).time() == time(3)]
        # Today's is missing, so one comes soon after start too; the test runs the job itself.
        [first] = [job for job in jobs if job not in at_three]
        first.schedule_removal()
        assert len(at_three) == 1
        for day in (1, 2, 3):  # 03:00 on three days in a row
            clock.set(partial(datetime, 2023, 10, day, 3, 0, tzinfo=zone))
            await Job(back_up_daily, name="backup").run(app)
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["targetbot-2023-10-02.db", "targetbot-2023-10-03.db"]
        assert check_backup(folder / names[-1]) == CURRENT_VERSION
        assert count(folder / names[-1], "SELECT COUNT(*) FROM report") == 59


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"BACKUP_KEEP": "0"}, "BACKUP_KEEP: “0” should be a whole number from 1 to 365."),
        (
            {"BACKUP_DIR": "a-file"},
            "BACKUP_DIR: “a-file” is a file, not a folder: give the folder the backups go in.",
        ),
    ],
)
def test_bad_backup_settings_stop_the_cli_with_one_line(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    (tmp_path / "a-file").write_text("")
    result = targetbot(tmp_path, "targets", env={"DEFAULT_LANGUAGE": "en", **values})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]


def test_backup_settings_default_to_no_daily_backups_and_seven_kept() -> None:
    settings = Settings.from_mapping({})
    assert (settings.backup_dir, settings.backup_keep) == (None, 7)
    chosen = Settings.from_mapping({"BACKUP_DIR": "/srv/backups", "BACKUP_KEEP": "30"})
    assert (chosen.backup_dir, chosen.backup_keep) == (Path("/srv/backups"), 30)


async def test_a_failed_daily_backup_is_told_to_the_admins(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    folder = tmp_path / "a-file" / "backups"  # cannot be made: a file is in the way
    async with running_bot(tmp_path, frozenset({ADMIN.id}), BACKUP_DIR=str(folder)) as harness:
        with pytest.raises(DailyBackupFailed) as failed:
            await back_up_daily(BotContext(harness.app))
        assert str(failed.value) == f"每日备份到 {folder} 失败：Not a directory"
        before = len(harness.request.calls)
        await harness.app.process_error(None, failed.value)  # what the JobQueue does with it
        told = [(m, body.get("chat_id"), body.get("text")) for m, body in harness.request.calls]
    assert told[before:] == [
        ("sendMessage", ADMIN.id, f"⚠️ 机器人出错：DailyBackupFailed: {failed.value}")
    ]


async def _with_evidence(db: Path, data: bytes) -> str:
    """Keep a file as a report's evidence, as the chat does: the bytes first, then the row."""
    conn = await connect(db)
    try:
        owner = Owner("report", count(db, "SELECT MIN(id) FROM report"))
        incoming = Incoming("f1", "u1", "现场照片.jpg", "photo", "image/jpeg", len(data))
        attached = await attach(
            conn, FileStore.beside(db), owner, incoming, data, added_by=1, total_mb=50
        )
    finally:
        await conn.close()
    return attached.item.sha256


async def test_a_backup_carries_the_evidence_files_and_a_restore_brings_them_back(
    tmp_path: Path,
) -> None:
    db = demo_database(tmp_path)
    sha = await _with_evidence(db, b"photo bytes" * 1000)
    made = targetbot(tmp_path, "backup", "backups/one.db", "--db", str(db))
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[-1] == (
        "佐证材料文件：backups/one.db.files（共 1 份，本次新复制 1 份）"
    )
    copy = tmp_path / "backups" / "one.db.files" / sha[:2] / sha
    assert copy.read_bytes() == b"photo bytes" * 1000
    # A second backup beside it copies nothing new; a damaged file is never restored.
    again = targetbot(tmp_path, "backup", "backups/one.db", "--db", str(db))
    assert again.stdout.splitlines()[-1].endswith("（共 1 份，本次新复制 0 份）")
    bogus = "0" * 64
    (copy.parent.parent / "00").mkdir()
    (copy.parent.parent / "00" / bogus).write_bytes(b"not what the name says")
    (tmp_path / "elsewhere").mkdir()
    restored = targetbot(tmp_path, "restore", "backups/one.db", "--db", "elsewhere/fresh.db")
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.splitlines()[-1] == "已恢复佐证材料文件 1 份。"
    back = tmp_path / "elsewhere" / "files" / sha[:2] / sha
    assert back.read_bytes() == b"photo bytes" * 1000
    assert not (tmp_path / "elsewhere" / "files" / "00").exists()
    assert count(tmp_path / "elsewhere" / "fresh.db", "SELECT COUNT(*) FROM evidence") == 1


async def test_daily_backups_share_one_files_folder_and_restore_from_it(tmp_path: Path) -> None:
    db = demo_database(tmp_path)
    sha = await _with_evidence(db, b"scan" * 500)
    folder = tmp_path / "backups"
    for day in (date(2023, 10, 1), date(2023, 10, 2)):
        await daily_backup(db, folder, day, keep=1)
    assert sorted(p.name for p in folder.iterdir()) == ["files", "targetbot-2023-10-02.db"]
    assert (folder / "files" / sha[:2] / sha).read_bytes() == b"scan" * 500
    (tmp_path / "new").mkdir()
    assert restore_files(folder / "targetbot-2023-10-02.db", tmp_path / "new" / "t.db") == 1
    assert (tmp_path / "new" / "files" / sha[:2] / sha).is_file()
