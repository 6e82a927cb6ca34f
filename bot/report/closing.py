"""办结: an admin closes a target once its lead units report it completed, and may reopen it.

A closed target leaves the reminder and due-date planner (storage.pushes.lead_duties skips it)
and is shown as 办结 with its date. Closing and reopening (with the reason) are audited.
"""

from __future__ import annotations

from datetime import date

import aiosqlite

from bot.people.accounts import Account
from storage import audit
from storage import closing as repo
from storage import targets as plans
from storage.db import transaction
from storage.targets import Target


class ClosingRefused(Exception):
    """Closing or reopening is not possible; `key` names the message (in [close])."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def completed(target: Target) -> bool:
    """Tell whether every live assignment's latest official report is 已完成 (and one exists)."""
    reports = [a.latest_report for a in target.assignments]
    return bool(reports) and all(r is not None and r.status == "completed" for r in reports)


def may_close(account: Account, target: Target) -> bool:
    """Tell whether the account is offered ✅ 办结 on this target."""
    return (
        account.has("admin")
        and target.closed_on is None
        and not target.retired
        and completed(target)
    )


def may_reopen(account: Account, target: Target) -> bool:
    """Tell whether the account may reopen this target."""
    return account.has("admin") and target.closed_on is not None


async def close(
    conn: aiosqlite.Connection, target_id: int, *, actor: str, today: date, at: str
) -> Target:
    """Close a target its lead units report completed; return it closed, or raise ClosingRefused."""
    async with transaction(conn):
        target = await plans.target_by_id(conn, target_id)
        if target is None or target.retired:
            raise ClosingRefused("close.not_found")
        if target.closed_on is not None:
            raise ClosingRefused(
                "close.already", number=target.shown_number, date=target.closed_on.isoformat()
            )
        if not completed(target):
            raise ClosingRefused("close.not_completed", number=target.shown_number)
        await repo.close(conn, target.id, on=today.isoformat(), by=actor)
        await audit.record(
            conn,
            actor=actor,
            action="target_close",
            subject=f"target:{target.id}",
            at=at,
            detail={"number": target.shown_number, "on": today.isoformat()},
        )
    closed = await plans.target_by_id(conn, target_id)
    assert closed is not None
    return closed


async def reopen(
    conn: aiosqlite.Connection, target_id: int, *, actor: str, reason: str, at: str
) -> Target:
    """Reopen a closed target, with a reason; return it open, or raise ClosingRefused."""
    reason = reason.strip()
    async with transaction(conn):
        target = await plans.target_by_id(conn, target_id)
        if target is None or target.retired:
            raise ClosingRefused("close.not_found")
        if target.closed_on is None:
            raise ClosingRefused("close.not_closed", number=target.shown_number)
        if not reason:
            raise ClosingRefused("close.reason_needed", number=target.shown_number)
        await repo.reopen(conn, target.id)
        await audit.record(
            conn,
            actor=actor,
            action="target_reopen",
            subject=f"target:{target.id}",
            at=at,
            detail={
                "number": target.shown_number,
                "closed_on": target.closed_on.isoformat(),
                "reason": reason,
            },
        )
    opened = await plans.target_by_id(conn, target_id)
    assert opened is not None
    return opened


async def find(conn: aiosqlite.Connection, number: str) -> Target | None:
    """Return the current plan's live target shown as `number` (86 or 2-3), or None."""
    plan = await plans.current_plan(conn)
    if plan is None:
        return None
    wanted = number.strip().lstrip("#")
    listed = await plans.list_targets(conn, plan.id)
    return next((t for t in listed if t.shown_number == wanted), None) or next(
        (t for t in listed if str(t.number) == wanted), None
    )
