"""Backups of the database and of the evidence files beside it; the running bot's daily ones.

The evidence (佐证材料) is not in the database: its bytes are in `<database folder>/files`,
content-addressed (bot/report/evidence.py). A backup carries them: `targetbot backup FILE`
copies the folder to `FILE.files/`, and `restore FILE` brings `FILE.files/` back (files first,
then the database, so a restored row never names a missing file). Daily backups share one
`BACKUP_DIR/files/` (a file never changes under its name, so each is copied once, and old
dailies are deleted without touching it). The database is copied first, the files after: a row
is committed only after its file is on disk, so every row in the copy finds its file.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.report.evidence import FileStore, sync_folder
from storage.backup import BackupError, backup_database, check_backup, restore_database

__all__ = [
    "BackupError",
    "DailyBackup",
    "backup_database",
    "backup_files",
    "check_backup",
    "copy_files",
    "daily_backup",
    "daily_name",
    "files_beside",
    "restore_database",
    "restore_files",
]

DAILY = re.compile(r"^targetbot-(\d{4}-\d{2}-\d{2})\.db$")
KEPT_FILE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class DailyBackup:
    """What one daily backup did."""

    written: Path
    deleted: tuple[Path, ...]


def daily_name(day: date) -> str:
    """Return the file name of the backup of `day`, which sorts by date."""
    return f"targetbot-{day.isoformat()}.db"


def daily_files(folder: Path) -> list[Path]:
    """Return the daily backups in `folder`, oldest first (other files are not ours)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and DAILY.match(p.name))


def has_backup_of(folder: Path, day: date) -> bool:
    """Tell whether `folder` already holds the backup of `day`."""
    return (folder / daily_name(day)).is_file()


def files_beside(backup: Path) -> Path:
    """Return the folder the evidence files of a backup file go to: `FILE.files`."""
    return backup.with_name(backup.name + ".files")


def copy_files(source: Path, target: Path) -> int:
    """Copy the evidence files of `source` missing from `target`; return how many were copied.

    Each is checked against its name (its sha256) and written as the store writes (temporary
    file, fsync, rename, fsync of the folder); one already there is left alone.
    """
    if not source.is_dir():
        return 0
    store = FileStore(target)
    copied = 0
    for path in sorted(source.glob("??/*")):
        if not KEPT_FILE.match(path.name) or not path.is_file() or store.has(path.name):
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != path.name:
            continue  # damaged: never copy bytes under a name they do not have
        store.keep_now(data, path.name)
        copied += 1
    if copied and target.parent.is_dir():
        sync_folder(target.parent)
    return copied


async def backup_files(database: Path, target: Path) -> int:
    """Copy the evidence files beside the database to `target` in a worker thread."""
    return await asyncio.to_thread(copy_files, FileStore.beside(database).root, target)


def restore_files(backup: Path, database: Path) -> int:
    """Bring the evidence files of a backup file back beside the database.

    From `FILE.files/`, or for a daily backup from the `files/` folder the dailies share.
    """
    source = files_beside(backup)
    if not source.is_dir():
        source = backup.parent / "files"
    return copy_files(source, FileStore.beside(database).root)


async def daily_backup(database: Path, folder: Path, day: date, keep: int) -> DailyBackup:
    """Back up the database as `day`'s file in `folder`, then delete all but the last `keep`."""
    written = folder / daily_name(day)
    await backup_database(database, written)
    await backup_files(database, folder / "files")  # shared by the dailies (see above)
    return DailyBackup(written, await asyncio.to_thread(prune, folder, keep))


def prune(folder: Path, keep: int) -> tuple[Path, ...]:
    """Delete all but the last `keep` daily backups in `folder`; return those deleted."""
    files = daily_files(folder)
    old = tuple(files[:-keep]) if keep > 0 else tuple(files)
    for path in old:
        path.unlink(missing_ok=True)
    return old
