"""Questions asked in chat: who may see what, the kept questions, a target's details."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import aiosqlite

from bot import clock
from bot.extensions import service as extensions
from bot.i18n import Translator
from bot.instructions import service as instructions
from bot.instructions.text import thread_lines
from bot.people.accounts import Account
from bot.people.visits import Visits
from bot.query.engine import Answer, Asker, QueryEngine
from bot.query.text import details, header, summary
from storage import evidence, reports
from storage import search as saved
from storage import targets as plans
from storage.db import transaction
from storage.targets import Named, Target

__all__ = [
    "Target",
    "ask",
    "asker",
    "details_text",
    "keep",
    "kept",
    "may_see",
    "only_unit",
    "single_text",
    "visible_target",
]


def only_unit(account: Account) -> int | None:
    """Return the one unit whose targets the account may see: a liaison's own, else none."""
    return account.unit_id if account.role == "liaison" else None


def may_see(account: Account, target: Target) -> bool:
    """Return whether the account may see this target: a liaison only their unit's (a unit of
    the table's units cell or of its 配合单位 column: both have a part and are sent 批示)."""
    units = {u for a in target.assignments for u in (*a.units, *a.assisting)}
    return account.role != "liaison" or account.unit in units


def asker(account: Account) -> Asker:
    """Return whose "my" targets the account means: its leader's, or its unit's."""
    leader = (
        Named(account.leader_id, account.leader)
        if account.leader_id is not None and account.leader
        else None
    )
    unit = (
        Named(account.unit_id, account.unit)
        if account.unit_id is not None and account.unit
        else None
    )
    return Asker(leader=leader, unit=unit)


async def ask(
    conn: aiosqlite.Connection, engine: QueryEngine, account: Account, text: str, today: date
) -> Answer:
    """Ask the engine, as this account may see."""
    return await engine.ask(
        conn, text, today=today, only_unit=only_unit(account), asker=asker(account)
    )


async def keep(conn: aiosqlite.Connection, telegram_id: int, text: str, visits: Visits) -> int:
    """Keep the asker's question, so its buttons can ask it again; return its id.

    The last-seen times noted so far go in the same transaction: a question makes one small
    write transaction. Neither was the user told is saved, so it is not synced to disk
    (storage/db.py): a power cut may cost the last question's page buttons (they then say the
    question is gone), never a report.
    """
    async with transaction(conn, durable=False):
        await visits.store(conn)
        return await saved.save_query(conn, telegram_id, text, clock.stamp())


async def kept(conn: aiosqlite.Connection, query_id: int) -> tuple[int, str] | None:
    """Return a kept question's asker and text, if it is still kept."""
    return await saved.saved_query(conn, query_id)


async def visible_target(
    conn: aiosqlite.Connection, account: Account, target_id: int | None
) -> Target | None:
    """Return the target, if it exists and the account may see it."""
    target = await plans.target_by_id(conn, target_id) if target_id is not None else None
    return target if target is not None and may_see(account, target) else None


async def details_text(
    conn: aiosqlite.Connection,
    engine: QueryEngine,
    account: Account,
    target: Target,
    *,
    today: date,
    t: Translator,
    tz: ZoneInfo,
) -> str:
    """Return a target's details in the account's language, with its light of the latest period."""
    history = await reports.history(conn, target.id)
    pending = await reports.pending_assignments(conn, target.id)
    await engine.refresh(conn)
    hit = engine.index.light_of(target.number, today=today) if engine.index else None
    extended = await extensions.extended_from(conn, target.id) is not None
    notes = tuple(
        t(
            "extension.open_note",
            account.language,
            id=r.id,
            due=r.original_due.isoformat() if r.original_due else "—",
            new=r.new_due.isoformat(),
        )
        for r in await extensions.open_for(conn, target.id)
    )
    thread = thread_lines(
        await instructions.of_target(conn, target.id), t, account.language, today, tz
    )
    text = details(
        target,
        history,
        t,
        account.language,
        hit,
        pending=pending,
        tz=tz,
        extended=extended,
        extension_lines=notes,
        instruction_lines=tuple(thread),
    )
    count = sum(n for _, n in await evidence.current_with_files(conn, target.id))
    if count:  # the details' 📎 button sends them (handlers/evidence.py)
        text += "\n" + t("evidence.detail", account.language, count=count)
    return text


async def single_text(
    conn: aiosqlite.Connection,
    engine: QueryEngine,
    account: Account,
    answer: Answer,
    *,
    today: date,
    t: Translator,
    tz: ZoneInfo,
) -> str:
    """Return the answer of a question that found one target: its first lines, then details."""
    lines = header(answer, t, account.language)
    target = await plans.target_by_id(conn, answer.hits[0].target.id)
    if target is None:  # retired between the search and now
        return summary(answer, t, account.language)
    text = await details_text(conn, engine, account, target, today=today, t=t, tz=tz)
    return "\n".join([*lines, text])
