"""The rules of extension requests: who may ask, when, who decides, what approval changes.

A liaison of a target's lead unit asks for a later due date before the current one passes,
with the reason and the progress so far; one open request per target. Admins decide (and the
target's leader too when EXTENSION_APPROVAL=leader). Approval moves the target's due date, so
that reminders and the overdue rule, which read `target.due_date`, follow the new date; the
original stays on the request. Every step is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import aiosqlite

from bot.i18n import Translator
from bot.people.accounts import admin_ids, language_of
from bot.settings import Settings
from storage import audit, targets
from storage import extensions as store
from storage import pushes as push_store
from storage.db import transaction
from storage.extensions import Request as Request  # re-exported for the handlers
from storage.pushes import Push

APPROVERS = ("admin", "leader")  # the values of EXTENSION_APPROVAL
MAX_TEXT = 1000  # characters of a reason, a progress note or a comment


class Person(Protocol):
    """Who acts: a stored user or the bot's account of them."""

    @property
    def telegram_id(self) -> int: ...
    @property
    def role(self) -> str | None: ...
    @property
    def unit_id(self) -> int | None: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def leader(self) -> str | None: ...


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


async def target_by_id(conn: aiosqlite.Connection, target_id: int) -> targets.Target | None:
    """Return a live target of the current plan by its id, or None."""
    plan = await targets.current_plan(conn)
    target = await targets.target_by_id(conn, target_id)
    if target is None or plan is None or target.plan_id != plan.id or target.retired:
        return None
    return target


_DATE = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*")


def parse_date(text: str) -> date | None:
    """Return the date written as 2024-03-31, 2024/3/31, 2024.3.31 or 2024年3月31日, or None."""
    found = _DATE.fullmatch(text)
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


async def may_ask(
    conn: aiosqlite.Connection, asker: Person, target: targets.Target, today: date
) -> Asking:
    """Return what `asker` may ask about `target` today, or refuse saying why."""
    if asker.role != "liaison" or asker.unit is None or asker.unit_id is None:
        raise ExtensionError("not_lead", number=target.shown_number)
    # The lead unit is the first of an assignment's units; the others only work with it.
    assignment = next((a for a in target.assignments if a.units[:1] == (asker.unit,)), None)
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
    asker: Person,
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


def may_decide(
    user: Person | None, is_admin: bool, leaders: tuple[str, ...], approval: str
) -> bool:
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


async def get(conn: aiosqlite.Connection, request_id: int) -> Request | None:
    """Return one request by its id."""
    return await store.get(conn, request_id)


async def may_decide_request(
    conn: aiosqlite.Connection, settings: Settings, person: Person, request: Request
) -> bool:
    """Return whether `person` may approve or refuse `request` (read afresh)."""
    is_admin = person.role == "admin" or person.telegram_id in settings.admin_ids
    target = await targets.target_by_id(conn, request.target_id)
    leaders = tuple(a.leader for a in target.assignments) if target else ()
    return may_decide(person, is_admin, leaders, settings.extension_approval)


async def deciders(conn: aiosqlite.Connection, settings: Settings, request: Request) -> list[int]:
    """Return who is asked to decide a request: the admins, and the leader if the setting says."""
    found = set(await admin_ids(conn, settings))
    if settings.extension_approval == "leader":
        found |= set(await store.leader_users(conn, request.target_id))
    return sorted(found)


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


def request_values(request: Request) -> dict[str, object]:
    """Return the values the texts about a request name (its number, dates, words)."""
    return {
        "id": request.id,
        "number": request.shown_number,
        "unit": request.unit or "—",
        "due": request.original_due.isoformat() if request.original_due else "—",
        "new": request.new_due.isoformat(),
        "reason": request.reason,
        "progress": request.progress,
        "comment": request.comment or "—",
    }


async def tell_asker(
    conn: aiosqlite.Connection,
    settings: Settings,
    t: Translator,
    request: Request,
    at: str,
    *,
    now: bool,
) -> list[Push]:
    """Claim the push that tells the asker of a decided request (once, whoever decided).

    `now`: the caller sends it at once (a decision in chat); otherwise (the command line) it
    waits as a retry due now, and the running bot's next minute check sends it.
    """
    language = await language_of(conn, settings, request.asked_by)
    push = Push(
        key=f"extension_told:{request.id}",
        kind="extension_told",
        recipient=request.asked_by,
        text=t(f"extension.told_{request.state}", language, **request_values(request)),
        payload={"request": request.id},
    )
    async with transaction(conn):
        if not await push_store.claim(conn, push, at):
            return []
        if not now:
            await push_store.settle(conn, push.key, "retry", at=at, next_try_at=at)
    return [push] if now else []


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


async def open_for(conn: aiosqlite.Connection, target_id: int) -> list[Request]:
    """Return a target's request waiting for a decision (at most one)."""
    return await store.list_requests(conn, state="open", target_id=target_id)
