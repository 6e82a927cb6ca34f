"""An admin's review in chat: the oldest submission waiting, and whether one may be returned."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage import reports as repo
from storage.reports import Pending
from storage.targets import Report


@dataclass(frozen=True)
class Waiting:
    """The oldest submission waiting for review, the report before it, and how many wait."""

    item: Pending
    previous: Report | None
    count: int


async def oldest_waiting(conn: aiosqlite.Connection) -> Waiting | None:
    """Return the oldest submission waiting for review, or None when none waits."""
    waiting = await repo.pending_reviews(conn, limit=1)
    if not waiting:
        return None
    item = waiting[0]
    previous = await repo.latest_before(conn, item.report.assignment_id, item.report.period)
    return Waiting(item, previous, await repo.pending_count(conn))


async def returnable(conn: aiosqlite.Connection, report_id: int | None) -> Report | None:
    """Return the report if it exists and waits for review still."""
    report = await repo.report_by_id(conn, report_id) if report_id else None
    if report is None or await repo.review_of(conn, report.id) is not None:
        return None
    return report
