"""A liaison's update in chat: which draft /report continues, which period takes reports."""

from __future__ import annotations

from datetime import date

import aiosqlite

from bot.query.parse import number_alone
from bot.report import service as reporting
from bot.report.periods import OpenPeriod
from bot.report.service import Task, UpdateRefused
from storage import reports as repo
from storage.reports import DRAFT_CONVERSATION, Draft
from storage.targets import Report

__all__ = [
    "DRAFT_CONVERSATION",
    "Draft",
    "accepting",
    "continued",
    "draft_of",
    "numbered",
    "previous_report",
    "requested_number",
    "resumed",
]


def requested_number(args: list[str]) -> int | None:
    """Return the target number of `/report 90` (also #90, 90号, 第90项); None without one."""
    return number_alone("".join(args))


async def draft_of(conn: aiosqlite.Connection, telegram_id: int) -> Draft | None:
    """Return the user's draft, if any."""
    return await repo.get_draft(conn, telegram_id)


async def _unpaused(conn: aiosqlite.Connection, draft: Draft) -> Draft:
    """Return the draft going again (stored so), when it was paused."""
    if not draft.paused:
        return draft
    draft = draft.but(paused=False)
    await reporting.store(conn, draft)
    return draft


async def resumed(conn: aiosqlite.Connection, telegram_id: int, unit_id: int) -> Draft | None:
    """Return the user's draft of their unit, going again; a draft of another unit is dropped."""
    draft = await repo.get_draft(conn, telegram_id)
    if draft is not None and draft.unit_id == unit_id:
        return await _unpaused(conn, draft)
    if draft is not None:  # a draft of a unit the user no longer belongs to
        await reporting.discard(conn, telegram_id)
    return None


async def continued(
    conn: aiosqlite.Connection, telegram_id: int, unit_id: int, assignment_id: int
) -> tuple[Draft, str] | None:
    """Return the draft to continue instead of opening a target, and the line that leads it.

    One draft at a time: never drop words typed for another target.
    """
    draft = await repo.get_draft(conn, telegram_id)
    if (
        draft is None
        or draft.unit_id != unit_id
        or not (draft.assignment_id == assignment_id or draft.progress or draft.status)
    ):
        return None
    key = "report.resume" if draft.assignment_id == assignment_id else "report.other_draft"
    return await _unpaused(conn, draft), key


async def accepting(conn: aiosqlite.Connection, today: date, days: int) -> OpenPeriod:
    """Return the period taking reports now, or refuse (no plan, or none taking reports)."""
    current = await reporting.window(conn, today, days)
    if current is None:
        raise UpdateRefused("query.no_plan")
    return current.accepting(today)


async def numbered(
    conn: aiosqlite.Connection, unit_id: int, period: str, number: int
) -> Task | None:
    """Return the unit's task of this target number in the period, if it has one."""
    tasks = await reporting.tasks(conn, unit_id, period)
    return next((task for task in tasks if task.number == number), None)


async def previous_report(conn: aiosqlite.Connection, draft: Draft) -> Report | None:
    """Return the last official report of the draft's assignment before the draft's period."""
    return await repo.latest_before(conn, draft.assignment_id, draft.period)
