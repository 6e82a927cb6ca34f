"""The running bot's daily backups: one file a day in BACKUP_DIR, the last BACKUP_KEEP kept."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from storage.backup import BackupError, backup_database, check_backup, restore_database

__all__ = [
    "BackupError",
    "DailyBackup",
    "backup_database",
    "check_backup",
    "daily_backup",
    "daily_name",
    "restore_database",
]

DAILY = re.compile(r"^targetbot-(\d{4}-\d{2}-\d{2})\.db$")


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


async def daily_backup(database: Path, folder: Path, day: date, keep: int) -> DailyBackup:
    """Back up the database as `day`'s file in `folder`, then delete all but the last `keep`."""
    written = folder / daily_name(day)
    await backup_database(database, written)
    return DailyBackup(written, await asyncio.to_thread(prune, folder, keep))


def prune(folder: Path, keep: int) -> tuple[Path, ...]:
    """Delete all but the last `keep` daily backups in `folder`; return those deleted."""
    files = daily_files(folder)
    old = tuple(files[:-keep]) if keep > 0 else tuple(files)
    for path in old:
        path.unlink(missing_ok=True)
    return old
