"""Keep a period's calendar deadline once it is announced, so that it holds after it passes.

What counts as announced: the running bot has the period open with its calendar deadline. The
bot records it at start-up and then every minute (before any reminder can name it, and as soon
as /report or /period can show it to anyone). A deadline merely computed (by the command line,
a test, or for a plan whose year is over, such as the demo table) is not announced. An admin's
deadline is stored by the admin's own command. A database from before deadlines were kept gets
back the deadline its sent report reminders named.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import aiosqlite

from bot import clock
from bot.report.periods import OpenPeriod
from bot.report.service import window
from storage import audit, periods
from storage.db import transaction


async def announce_deadline(
    conn: aiosqlite.Connection, today: date, days: int
) -> OpenPeriod | None:
    """Record the open period's calendar deadline as announced; return it if stored just now."""
    current = await window(conn, today, days)
    if current is None or current.open is None:
        return None
    period, deadline = current.open.period, current.open.deadline
    if current.open.how == "plan":
        # Reminders sent before deadlines were kept (an older targetbot) told one: keep it.
        deadline = _told(await periods.reminded_texts(conn, period))
    elif current.open.how != "calendar":
        return None
    if deadline is None:
        return None
    now = clock.stamp()
    async with transaction(conn):
        if not await periods.announce(conn, current.plan.id, period, deadline, at=now):
            return None
        await audit.record(
            conn,
            actor="calendar",
            action="period_announced",
            subject=f"plan:{current.plan.id}:{period}",
            at=now,
            detail={"deadline": deadline.isoformat()},
        )
    return replace(current.open, deadline=deadline, how="announced")


_DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def _told(texts: list[str]) -> date | None:
    """Return the deadline the latest reminder named (its first date), if any."""
    for text in texts:
        found = _DAY.search(text)
        if found:
            return date.fromisoformat(found.group(1))
    return None
