"""Copy the live database with SQLite's online backup API; check a copy; put one back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from storage.migrations import CURRENT_VERSION

BUSY_TIMEOUT_MS = 5000


class BackupError(Exception):
    """A backup or restore cannot be done; `key` and `values` render the one-line message."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


def _open(path: Path, mode: str) -> sqlite3.Connection:
    """Open an existing SQLite file (never create one) in `mode` (ro or rw)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _temporary_beside(target: Path) -> Path:
    """Return the temporary file a copy is written to before it is renamed to `target`."""
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (fsync of the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_into_place(
    source: sqlite3.Connection, target: Path, before_rename: Callable[[], None] | None = None
) -> None:
    """Copy `source` page by page to a temporary file beside `target`, then rename it there.

    One backup step of all pages runs inside one read transaction of the source: the copy is
    the database as of one moment, whatever other connections write meanwhile (WAL lets them).
    The copy is switched to the rollback journal, so it is one self-contained file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_beside(target)
    temporary.unlink(missing_ok=True)
    try:
        copy = sqlite3.connect(temporary)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        if before_rename is not None:
            before_rename()
        os.replace(temporary, target)
        _sync_folder(target.parent)
    finally:
        temporary.unlink(missing_ok=True)


def copy_database(database: Path, target: Path) -> None:
    """Write a consistent copy of the (possibly live) database at `database` to `target`."""
    if not database.is_file():
        raise BackupError("backup.no_database", path=database)
    if target.exists() and target.resolve() == database.resolve():
        raise BackupError("backup.same_file", path=target)
    try:
        source = _open(database, "rw")
    except sqlite3.Error as error:
        raise BackupError("backup.cannot_read", path=database, error=error) from None
    try:
        _copy_into_place(source, target)
    except sqlite3.DatabaseError as error:
        raise BackupError("backup.cannot_read", path=database, error=error) from None
    finally:
        source.close()


async def backup_database(database: Path, target: Path) -> None:
    """Copy the database to `target` in a worker thread, the event loop running on."""
    await asyncio.to_thread(copy_database, database, target)


def check_backup(path: Path) -> int:
    """Check that `path` is an undamaged targetbot database this code can use; return its
    schema version. Raise BackupError saying what is wrong; the file is never changed."""
    if not path.is_file():
        raise BackupError("backup.no_file", path=path)
    try:
        conn = _open(path, "ro")
    except sqlite3.Error as error:
        raise BackupError("backup.not_sqlite", path=path, error=error) from None
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall()]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        key = "backup.not_sqlite" if code == sqlite3.SQLITE_NOTADB else "backup.damaged"
        raise BackupError(key, path=path, error=error) from None
    finally:
        conn.close()
    if rows != ["ok"]:
        raise BackupError("backup.damaged", path=path, error="; ".join(rows[:3]))
    if version == 0 or "target" not in tables:
        raise BackupError("backup.not_targetbot", path=path)
    if version > CURRENT_VERSION:
        raise BackupError("backup.too_new", path=path, version=version, supported=CURRENT_VERSION)
    return version


def restore_database(backup: Path, database: Path) -> int:
    """Put the checked copy `backup` in place of `database`, atomically; return its version.

    The copy is written beside the database and renamed over it, so the database is either the
    old one or the whole backup. The old database's -wal and -shm files go first: a WAL left
    beside the new file would be replayed into it. The caller makes sure no bot runs on it.
    """
    version = check_backup(backup)
    if database.exists() and database.resolve() == backup.resolve():
        raise BackupError("backup.same_file", path=backup)

    def drop_old_journals() -> None:
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{database}{suffix}")

    source = _open(backup, "ro")
    try:
        _copy_into_place(source, database, before_rename=drop_old_journals)
    finally:
        source.close()
    return version
