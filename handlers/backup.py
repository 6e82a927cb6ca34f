"""The daily backup job: the database copied into BACKUP_DIR, the newest BACKUP_KEEP kept."""

from __future__ import annotations

import logging
from datetime import date, time
from typing import Any

from bot.backup import BackupError, daily_backup, has_backup_of
from bot.settings import Settings
from handlers.context import BotContext

log = logging.getLogger(__name__)
BACKUP_AT = time(3, 0)  # local time (TIMEZONE): the quietest hour of an office's day
FIRST_AFTER = 5  # seconds after start: today's backup, when it is missing
JOB = "backup"  # a stable name: one daily job


class DailyBackupFailed(Exception):
    """The daily backup could not be written; the message says why, for the admins."""


async def back_up_daily(context: BotContext) -> None:
    """The job: back the database up as today's file; delete the oldest beyond BACKUP_KEEP."""
    services = context.services
    settings = services.settings
    if settings.backup_dir is None:
        return
    try:
        done = await daily_backup(
            settings.database_path, settings.backup_dir, services.today(), settings.backup_keep
        )
    except (BackupError, OSError) as error:
        if isinstance(error, BackupError):
            detail = services.t(error.key, **error.values)
        else:  # the reason alone: the folder is said in the message already
            detail = error.strerror or str(error)
        # Raised again: the error handler logs it and tells the admins, in one line.
        message = services.t("backup.daily_failed", folder=settings.backup_dir, error=detail)
        raise DailyBackupFailed(message) from error
    log.info("daily backup: %s written, %d old ones deleted", done.written, len(done.deleted))


def start_backing_up(job_queue: Any, settings: Settings, today: date) -> None:
    """Back up every day at BACKUP_AT, and soon after start if today's backup is missing."""
    for job in job_queue.get_jobs_by_name(JOB):
        job.schedule_removal()
    if settings.backup_dir is None:
        return
    at = BACKUP_AT.replace(tzinfo=settings.timezone)
    job_queue.run_daily(back_up_daily, time=at, name=JOB)
    if not has_backup_of(settings.backup_dir, today):
        job_queue.run_once(back_up_daily, when=FIRST_AFTER, name=JOB)
