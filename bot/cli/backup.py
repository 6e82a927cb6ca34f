"""`targetbot backup FILE` and `targetbot restore FILE [--force]`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bot.backup import (
    BackupError,
    backup_files,
    check_backup,
    files_beside,
    restore_database,
    restore_files,
)
from bot.backup import backup_database as copy_live
from bot.cli.common import EXIT_BAD_INPUT, EXIT_BAD_SETTINGS, CliError
from bot.i18n import Translator
from bot.settings import Settings
from storage.db import DatabaseInUse, lock_for_running

COMMANDS = ("backup", "restore")
# Refusals that concern the configured database rather than the FILE given.
ABOUT_THE_DATABASE = ("backup.no_database", "backup.cannot_read")


def add_commands(command: Callable[[str], argparse.ArgumentParser], t: Translator) -> None:
    """Add `backup` and `restore` to the CLI's parser."""
    backing = command("backup")
    backing.add_argument("file", type=Path, help=t("cli.help.backup_file"))
    restoring = command("restore")
    restoring.add_argument("file", type=Path, help=t("cli.help.restore_file"))
    restoring.add_argument("--force", action="store_true", help=t("cli.help.force"))


def _refusal(error: BackupError, t: Translator) -> CliError:
    code = EXIT_BAD_SETTINGS if error.key in ABOUT_THE_DATABASE else EXIT_BAD_INPUT
    return CliError(t(error.key, **error.values), code)


async def main(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Back the database up to FILE, or put FILE back in its place."""
    database = settings.database_path
    if args.command == "backup":
        try:
            await copy_live(database, args.file)
            version = check_backup(args.file)
            # After the database: every row in the copy names a file already on disk.
            copied = await backup_files(database, files_beside(args.file))
        except BackupError as error:
            raise _refusal(error, t) from None
        except OSError as error:
            raise CliError(t("backup.cannot_write", path=args.file, error=error)) from None
        size = max(1, args.file.stat().st_size // 1024)
        print(t("backup.written", database=database, path=args.file, size=size, version=version))
        if files_beside(args.file).is_dir():
            kept = len(list(files_beside(args.file).glob("??/*")))
            print(t("evidence.backup_files", path=files_beside(args.file), count=kept, new=copied))
        return 0
    return _restore(args.file, database, args.force, t)


def _restore(backup: Path, database: Path, force: bool, t: Translator) -> int:
    """Check FILE, then replace the database with it — never under a running bot."""
    try:
        check_backup(backup)  # first: a bad file is refused whatever else is true
    except BackupError as error:
        raise _refusal(error, t) from None
    if database.exists() and not force:
        raise CliError(t("backup.exists", path=database))
    # The run lock: held by a running bot (flock, dropped when it ends in any way); held by us
    # until the restore is done, so no bot starts on a half-restored database either.
    try:
        lock = lock_for_running(database)
    except DatabaseInUse as busy:
        raise CliError(t("backup.running", path=database, pid=busy.pid or "?")) from None
    except OSError as error:
        raise CliError(t("backup.cannot_write", path=database, error=error)) from None
    try:
        files = restore_files(backup, database)  # first: a restored row finds its file
        version = restore_database(backup, database)
    except BackupError as error:
        raise _refusal(error, t) from None
    except OSError as error:
        raise CliError(t("backup.cannot_write", path=database, error=error)) from None
    finally:
        if lock is not None:
            lock.close()
    print(t("backup.restored", path=database, backup=backup, version=version))
    if files:
        print(t("evidence.restored_files", count=files))
    return 0
