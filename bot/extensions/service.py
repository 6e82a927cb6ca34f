"""The rules of extension requests: who may ask, when, who decides, what approval changes.

A liaison of a target's lead unit asks for a later due date before the current one passes,
with the reason and the progress so far; one open request per target. Admins decide (and the
target's leader too when EXTENSION_APPROVAL=leader). Approval moves the target's due date, so
that reminders and the overdue rule, which read `target.due_date`, follow the new date; the
original stays on the request. Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import aiosqlite

from storage import audit, targets
from storage import extensions as store
from storage.db import transaction
from storage.extensions import Request
from storage.users import User

APPROVERS = ("admin", "leader")  # the values of EXTENSION_APPROVAL
MAX_TEXT = 1000  # characters of a reason, a progress note or a comment


class ExtensionError(Exception):
    """A request or decision the rules refuse; `key` and `values` say why, in locales."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = f"extension.error.{key}"
        self.values = values


@dataclass(frozen=True)
class Asking:
    """What a liaison may ask about a target: its assignment, unit and current due date."""

    target: targets.Target
    assignment_id: int
    unit_id: int
    due: date


async def target_by_number(conn: aiosqlite.Connection, number: int) -> targets.Target:
    """Return a live target of the current plan by its number, or refuse."""
    plan = await targets.current_plan(conn)
    found = await targets.list_targets(conn, plan.id) if plan else []
    target = next((t for t in found if t.number == number and not t.retired), None)
    if target is None:
        raise ExtensionError("no_target", number=number)
    return target


async def may_ask(
    conn: aiosqlite.Connection, asker: User, target: targets.Target, today: date
) -> Asking:
    """Return what `asker` may ask about `target` today, or refuse saying why."""
    if asker.role != "liaison" or asker.unit is None or asker.unit_id is None:
        raise ExtensionError("not_lead", number=target.shown_number)
    assignment = next((a for a in target.assignments if asker.unit in a.units), None)
    if assignment is None:
        raise ExtensionError("not_lead", number=target.shown_number)
    if target.due_date is None:
        raise ExtensionError("no_due_date", number=target.shown_number)
    if today > target.due_date:
        raise ExtensionError(
            "after_due", number=target.shown_number, due=target.due_date.isoformat()
        )
    if await store.list_requests(conn, state="open", target_id=target.id):
        raise ExtensionError("already_open", number=target.shown_number)
    return Asking(target, assignment.id, asker.unit_id, target.due_date)


def check_new_date(asking: Asking, new_due: date) -> None:
    """Refuse a new date that is not later than the current due date."""
    if new_due <= asking.due:
        raise ExtensionError("not_later", due=asking.due.isoformat(), new=new_due.isoformat())


def check_text(text: str) -> str:
    """Return a reason, progress or comment trimmed, or refuse an empty or overlong one."""
    trimmed = text.strip()
    if not trimmed:
        raise ExtensionError("empty")
    if len(trimmed) > MAX_TEXT:
        raise ExtensionError("too_long", limit=MAX_TEXT)
    return trimmed


async def ask(
    conn: aiosqlite.Connection,
    asker: User,
    target: targets.Target,
    *,
    new_due: date,
    reason: str,
    progress: str,
    today: date,
    at: str,
) -> Request:
    """Store a liaison's request after checking every rule again; return it."""
    reason, progress = check_text(reason), check_text(progress)
    async with transaction(conn):
        asking = await may_ask(conn, asker, target, today)
        check_new_date(asking, new_due)
        request_id = await store.insert(
            conn,
            target_id=target.id,
            assignment_id=asking.assignment_id,
            unit_id=asking.unit_id,
            asked_by=asker.telegram_id,
            asked_at=at,
            original_due=asking.due,
            new_due=new_due,
            reason=reason,
            progress=progress,
        )
        await audit.record(
            conn,
            actor=f"user:{asker.telegram_id}",
            action="extension_ask",
            subject=f"target:{target.id}",
            at=at,
            detail={
                "request": request_id,
                "target": target.number,
                "due": asking.due.isoformat(),
                "new_due": new_due.isoformat(),
            },
        )
    request = await store.get(conn, request_id)
    assert request is not None
    return request


def may_decide(user: User | None, is_admin: bool, leaders: tuple[str, ...], approval: str) -> bool:
    """Return whether someone may approve or refuse a request on a target with these leaders."""
    if is_admin:
        return True
    return (
        approval == "leader"
        and user is not None
        and user.role == "leader"
        and user.leader is not None
        and user.leader in leaders
    )


async def decide(
    conn: aiosqlite.Connection,
    request_id: int,
    *,
    approve: bool,
    actor: str,
    comment: str | None,
    at: str,
) -> Request:
    """Approve or refuse an open request (approval moves the due date); return it decided."""
    if not approve and not (comment or "").strip():
        raise ExtensionError("comment_needed")
    note = check_text(comment) if comment and comment.strip() else None
    async with transaction(conn):
        request = await store.get(conn, request_id)
        if request is None:
            raise ExtensionError("no_request", id=request_id)
        if request.state != "open":
            raise ExtensionError("decided", id=request_id, state=request.state)
        await store.decide(
            conn, request_id, approved=approve, decided_by=actor, decided_at=at, comment=note
        )
        await audit.record(
            conn,
            actor=actor,
            action="extension_approve" if approve else "extension_refuse",
            subject=f"target:{request.target_id}",
            at=at,
            detail={
                "request": request_id,
                "target": request.target_number,
                "due": request.original_due.isoformat() if request.original_due else None,
                "new_due": request.new_due.isoformat(),
                "comment": note,
            },
        )
    decided = await store.get(conn, request_id)
    assert decided is not None
    return decided


async def open_requests(conn: aiosqlite.Connection) -> list[Request]:
    """Return the requests waiting for a decision, oldest first."""
    return await store.list_requests(conn, state="open")


async def all_requests(conn: aiosqlite.Connection) -> list[Request]:
    """Return every request, oldest first."""
    return await store.list_requests(conn)


async def extended_from(conn: aiosqlite.Connection, target_id: int) -> date | None:
    """Return the due date a target had before its first approved extension, if extended."""
    approved = await store.list_requests(conn, state="approved", target_id=target_id)
    return approved[0].original_due if approved else None
