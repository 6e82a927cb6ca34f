"""The rules of instructions (批示): who writes, who is told, who answers, by when.

Any leader and any admin may write an instruction on a live target of the current plan: in a
city government the mayor and every vice-mayor instruct on targets outside their own portfolio,
and the supervision office (督查室) writes on a leader's behalf. It is addressed to the lead unit
of each of the target's assignments, and, when the author chooses, to the assisting units as
well. Every active liaison of an addressed unit gets it at once with a button to answer.

A liaison of an addressed unit answers (a unit may answer again: a thread). The instruction is
answered once every lead unit has answered; assisting units may answer but are not chased.
The answer goes to the author. An answer is due INSTRUCTION_REPLY_DAYS working days (Chinese
official calendar) after the local day the instruction was written; unanswered after that day
it is overdue: the planner chases the lead unit once, and the author's weekly digest and
/stats list it. Instructions and answers are append-only and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import aiosqlite

from bot import clock
from bot.i18n import Translator
from bot.people.accounts import Account, language_of
from bot.push.workdays import is_workday
from bot.settings import Settings
from storage import audit, targets, users
from storage import evidence as evidence_rows
from storage import instructions as store
from storage import pushes as push_store
from storage.db import transaction
from storage.instructions import CONVERSATION as CONVERSATION  # the chat flow's name
from storage.instructions import Addressee, Answer, Draft, Instruction
from storage.pushes import Push

ANSWER_DRAFT = "answer_draft"  # evidence owner kind of an answer being written (id: the draft's)

__all__ = [
    "Addressee",
    "Answer",
    "Draft",
    "Instruction",
    "InstructionError",
    "Sent",
]

MAX_TEXT = 1000  # characters of an instruction or an answer
WRITERS = ("leader", "admin")
TEXT, ASSIST, PREVIEW = "in_text", "in_assist", "in_preview"  # a draft's steps


class InstructionError(Exception):
    """Something the rules refuse; `key` and `values` say why, in locales."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = f"instruction.error.{key}"
        self.values = values


@dataclass(frozen=True)
class Sent:
    """What sending a draft did: the instruction or answer stored, and the pushes it claimed."""

    instruction: Instruction
    answer: Answer | None
    pushes: list[Push]
    again: bool = False  # the draft had been sent before (a second press): nothing new


def may_write(account: Account) -> bool:
    """Return whether this account may write instructions: a leader or an admin."""
    return account.role in WRITERS


def author_name(account: Account) -> str:
    """Return how an instruction names its author: the leader's name, else the person's."""
    if account.role == "leader" and account.leader:
        return account.leader
    return account.name or str(account.telegram_id)


def reply_due(written_on: date, days: int) -> date:
    """Return the day an answer is due: the `days`-th working day after `written_on`."""
    day, counted = written_on, 0
    while counted < days:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return day


def check_text(text: str) -> str:
    """Return an instruction or answer trimmed, or refuse an empty or overlong one."""
    trimmed = text.strip()
    if not trimmed:
        raise InstructionError("empty")
    if len(trimmed) > MAX_TEXT:
        raise InstructionError("too_long", limit=MAX_TEXT, length=len(trimmed))
    return trimmed


def lead_units(target: targets.Target) -> list[str]:
    """Return the target's lead units: the first unit of each assignment, once each."""
    found: list[str] = []
    for assignment in target.assignments:
        if assignment.units and assignment.units[0] not in found:
            found.append(assignment.units[0])
    return found


def assisting_units(target: targets.Target) -> list[str]:
    """Return the target's other units (co-responsible and 配合单位), once each, no lead unit."""
    lead = set(lead_units(target))
    found: list[str] = []
    for assignment in target.assignments:
        for unit in (*assignment.units[1:], *assignment.assisting):
            if unit not in lead and unit not in found:
                found.append(unit)
    return found


def is_answered(instruction: Instruction) -> bool:
    """Return whether every lead unit the instruction went to has answered."""
    answered = {a.unit_id for a in instruction.answers}
    return all(u.unit_id in answered for u in instruction.units if u.role == "lead")


def waiting_units(instruction: Instruction) -> list[Addressee]:
    """Return the lead units that still owe an answer."""
    answered = {a.unit_id for a in instruction.answers}
    return [u for u in instruction.units if u.role == "lead" and u.unit_id not in answered]


def is_overdue(instruction: Instruction, today: date) -> bool:
    """Return whether the answer is late: not answered, and its due day has passed."""
    return not is_answered(instruction) and today > instruction.reply_due


async def live_target(conn: aiosqlite.Connection, target_id: int) -> targets.Target | None:
    """Return a live target of the current plan by its id, or None."""
    plan = await targets.current_plan(conn)
    target = await targets.target_by_id(conn, target_id)
    if target is None or plan is None or target.plan_id != plan.id or target.retired:
        return None
    return target


async def target_by_number(conn: aiosqlite.Connection, number: int) -> targets.Target:
    """Return a live target of the current plan by its number, or refuse."""
    plan = await targets.current_plan(conn)
    found = await targets.list_targets(conn, plan.id) if plan else []
    target = next((t for t in found if t.number == number and not t.retired), None)
    if target is None:
        raise InstructionError("no_target", number=number)
    return target


def check_writer(account: Account, target: targets.Target) -> None:
    """Refuse a writer who is no leader or admin, or a target no unit answers for."""
    if not may_write(account):
        raise InstructionError("not_writer")
    if not lead_units(target):
        raise InstructionError("no_unit", number=target.shown_number)


# ---------------------------------------------------------------------------- drafts


async def draft_of(conn: aiosqlite.Connection, telegram_id: int) -> Draft | None:
    """Return someone's draft, if any."""
    return await store.draft_of(conn, telegram_id)


async def _holds_words(conn: aiosqlite.Connection, draft: Draft) -> bool:
    """Tell whether a draft holds something its writer gave: text, or files of an answer."""
    if draft.text:
        return True
    return bool(await evidence_rows.list_for(conn, ANSWER_DRAFT, draft.id))


def other_draft(
    draft: Draft, *, target_id: int | None = None, instruction_id: int | None = None
) -> bool:
    """Tell whether the draft returned is for something other than what was asked to start."""
    if instruction_id is not None:
        return draft.kind != "answer" or draft.instruction_id != instruction_id
    return draft.kind != "write" or draft.target_id != target_id


async def start_writing(
    conn: aiosqlite.Connection, account: Account, target: targets.Target, chat_id: int, at: str
) -> Draft:
    """Start (or resume, for the same target) an instruction's draft; return it.

    One draft at a time, and never a word lost: while a draft with words or files waits for
    another target or instruction, that draft is returned (resumed) instead; its writer sends
    or cancels it first.
    """
    check_writer(account, target)
    async with transaction(conn):
        found = await store.draft_of(conn, account.telegram_id)
        same = found is not None and found.kind == "write" and found.target_id == target.id
        if found is not None and (same or await _holds_words(conn, found)):
            await store.update_draft(conn, found.id, step=found.step, at=at)
        else:
            await store.start_draft(
                conn,
                telegram_id=account.telegram_id,
                chat_id=chat_id,
                kind="write",
                target_id=target.id,
                instruction_id=None,
                step=TEXT,
                at=at,
            )
    draft = await store.draft_of(conn, account.telegram_id)
    assert draft is not None
    return draft


async def start_answering(
    conn: aiosqlite.Connection, account: Account, instruction_id: int, chat_id: int, at: str
) -> tuple[Draft, Instruction]:
    """Start (or resume, for the same instruction) an answer's draft; refuse if not theirs.

    A draft with words or files for something else is returned (resumed) instead, as in
    `start_writing`.
    """
    instruction = await store.get(conn, instruction_id)
    if instruction is None:
        raise InstructionError("no_instruction")
    unit_of(account, instruction)
    async with transaction(conn):
        found = await store.draft_of(conn, account.telegram_id)
        same = (
            found is not None and found.kind == "answer" and found.instruction_id == instruction.id
        )
        if found is not None and (same or await _holds_words(conn, found)):
            await store.update_draft(conn, found.id, step=found.step, at=at)
        else:
            await store.start_draft(
                conn,
                telegram_id=account.telegram_id,
                chat_id=chat_id,
                kind="answer",
                target_id=instruction.target_id,
                instruction_id=instruction.id,
                step=TEXT,
                at=at,
            )
    draft = await store.draft_of(conn, account.telegram_id)
    assert draft is not None
    return draft, instruction


async def keep_text(
    conn: aiosqlite.Connection, draft: Draft, text: str, *, has_assisting: bool, at: str
) -> Draft:
    """Store the text typed (checked) and move on: to the choice of units, or the preview."""
    checked = check_text(text)
    step = ASSIST if draft.kind == "write" and has_assisting else PREVIEW
    async with transaction(conn):
        await store.update_draft(conn, draft.id, step=step, at=at, text=checked)
    kept = await store.draft_of(conn, draft.telegram_id)
    assert kept is not None
    return kept


async def choose_units(
    conn: aiosqlite.Connection, draft: Draft, to_assisting: bool, at: str
) -> Draft:
    """Store whether the assisting units get the instruction too; go to the preview."""
    async with transaction(conn):
        await store.update_draft(conn, draft.id, step=PREVIEW, at=at, to_assisting=to_assisting)
    kept = await store.draft_of(conn, draft.telegram_id)
    assert kept is not None
    return kept


async def rewrite(conn: aiosqlite.Connection, draft: Draft, at: str) -> None:
    """Go back to the text step (the text typed stays until a new one replaces it)."""
    async with transaction(conn):
        await store.update_draft(conn, draft.id, step=TEXT, at=at)


async def drop(conn: aiosqlite.Connection, draft: Draft) -> None:
    """Forget a draft, and the rows of the files sent with it (their bytes stay)."""
    async with transaction(conn):
        await evidence_rows.drop(conn, ANSWER_DRAFT, draft.id)
        await store.delete_draft(conn, draft.id)


async def pause(conn: aiosqlite.Connection, telegram_id: int) -> Draft | None:
    """Leave someone's draft idle (kept for later); return it."""
    draft = await store.draft_of(conn, telegram_id)
    if draft is not None:
        async with transaction(conn):
            await store.pause_draft(conn, draft.id)
    return draft


async def active_drafts(conn: aiosqlite.Connection) -> list[Draft]:
    """Return the drafts whose writers are in the middle of the flow."""
    return await store.active_drafts(conn)


# ---------------------------------------------------------------------------- sending


def draft_key(draft: Draft) -> str:
    """Return the key an instruction or answer keeps of its draft (a second send finds it)."""
    return f"d{draft.id}"


async def _addressees(
    conn: aiosqlite.Connection, target: targets.Target, to_assisting: bool
) -> list[tuple[int, str]]:
    ids = {unit.name: unit.id for unit in await targets.list_units(conn)}
    chosen = [(ids[name], "lead") for name in lead_units(target) if name in ids]
    if to_assisting:
        chosen += [(ids[name], "assist") for name in assisting_units(target) if name in ids]
    return chosen


async def liaisons_of(conn: aiosqlite.Connection, unit_ids: set[int]) -> list[users.User]:
    """Return the active liaisons of these units."""
    return [
        u
        for u in await users.list_users(conn)
        if u.role == "liaison" and u.active and u.unit_id in unit_ids
    ]


def answer_button(t: Translator, language: str, instruction_id: int) -> tuple[str, str]:
    """Return the ✍️ 答复 button under an instruction a liaison was sent."""
    return (t("instruction.button.answer", language), f"in:ans:{instruction_id}")


async def write(
    conn: aiosqlite.Connection,
    settings: Settings,
    t: Translator,
    account: Account,
    draft: Draft,
    *,
    now: datetime,
) -> Sent:
    """Store a draft as an instruction, audited, and claim its pushes to the liaisons."""
    key = draft_key(draft)
    at = clock.stamp(now)
    async with transaction(conn):
        before = await store.by_source(conn, key)
        if before is not None:
            return Sent(before, None, [], again=True)
        target = await live_target(conn, draft.target_id or 0)
        if target is None:
            raise InstructionError("no_target", number="?")
        check_writer(account, target)
        text = check_text(draft.text or "")
        units = await _addressees(conn, target, draft.to_assisting)
        written_on = now.date()
        instruction_id = await store.insert(
            conn,
            target_id=target.id,
            author_id=account.telegram_id,
            author_name=author_name(account),
            author_role="admin" if account.role == "admin" else "leader",
            text=text,
            written_at=at,
            written_on=written_on,
            reply_due=reply_due(written_on, settings.instruction_reply_days),
            to_assisting=draft.to_assisting,
            units=units,
            source_key=key,
        )
        await store.delete_draft(conn, draft.id)
        await audit.record(
            conn,
            actor=f"user:{account.telegram_id}",
            action="instruction_write",
            subject=f"target:{target.id}",
            at=at,
            detail={"instruction": instruction_id, "target": target.number, "text": text},
        )
        instruction = await store.get(conn, instruction_id)
        assert instruction is not None
        pushes = await _claim_to_liaisons(conn, settings, t, instruction, at)
    return Sent(instruction, None, pushes)


async def _claim_to_liaisons(
    conn: aiosqlite.Connection, settings: Settings, t: Translator, instruction: Instruction, at: str
) -> list[Push]:
    claimed: list[Push] = []
    roles = {u.unit_id: u.role for u in instruction.units}
    for liaison in await liaisons_of(conn, set(roles)):
        language = await language_of(conn, settings, liaison.telegram_id)
        key = "instruction.push_assist" if roles.get(liaison.unit_id or 0) == "assist" else None
        push = Push(
            key=f"instruction:{instruction.id}:{liaison.telegram_id}",
            kind="instruction",
            recipient=liaison.telegram_id,
            text=t(
                key or "instruction.push",
                language,
                author=instruction.author_name,
                number=instruction.shown_number,
                content=instruction.target_content,
                text=instruction.text,
                due=instruction.reply_due.isoformat(),
                unit=liaison.unit or "",
            ),
            buttons=[[answer_button(t, language, instruction.id)]],
            payload={"instruction": instruction.id},
        )
        if await push_store.claim(conn, push, at):
            claimed.append(push)
    return claimed


def unit_of(account: Account, instruction: Instruction) -> Addressee:
    """Return the addressed unit this account answers for, or refuse."""
    if account.role != "liaison" or account.unit_id is None:
        raise InstructionError("not_answerer", number=instruction.shown_number)
    found = next((u for u in instruction.units if u.unit_id == account.unit_id), None)
    if found is None:
        raise InstructionError("not_answerer", number=instruction.shown_number)
    return found


async def answer(
    conn: aiosqlite.Connection,
    settings: Settings,
    t: Translator,
    account: Account,
    draft: Draft,
    *,
    now: datetime,
) -> Sent:
    """Store a draft as the unit's answer, audited, and claim its push to the author."""
    key = draft_key(draft)
    at = clock.stamp(now)
    async with transaction(conn):
        before = await store.answer_by_source(conn, key)
        if before is not None:
            found = await store.get(conn, before.instruction_id)
            assert found is not None
            return Sent(found, before, [], again=True)
        instruction = await store.get(conn, draft.instruction_id or 0)
        if instruction is None:
            raise InstructionError("no_instruction")
        unit = unit_of(account, instruction)
        text = check_text(draft.text or "")
        answer_id = await store.insert_answer(
            conn,
            instruction_id=instruction.id,
            unit_id=unit.unit_id,
            answered_by=account.telegram_id,
            answerer_name=account.name or str(account.telegram_id),
            text=text,
            answered_at=at,
            source_key=key,
        )
        # 佐证材料 sent with the draft become the answer's, in this very transaction.
        await evidence_rows.move(conn, ANSWER_DRAFT, draft.id, "answer", answer_id)
        await store.delete_draft(conn, draft.id)
        await audit.record(
            conn,
            actor=f"user:{account.telegram_id}",
            action="instruction_answer",
            subject=f"target:{instruction.target_id}",
            at=at,
            detail={
                "instruction": instruction.id,
                "answer": answer_id,
                "unit": unit.unit,
                "text": text,
            },
        )
        answered = await store.get(conn, instruction.id)
        assert answered is not None
        stored = next(a for a in answered.answers if a.id == answer_id)
        pushes = await _claim_to_author(conn, settings, t, answered, stored, at)
    return Sent(answered, stored, pushes)


async def _claim_to_author(
    conn: aiosqlite.Connection,
    settings: Settings,
    t: Translator,
    instruction: Instruction,
    answer: Answer,
    at: str,
) -> list[Push]:
    author = await users.get_user(conn, instruction.author_id)
    if author is None or not author.active:
        return []
    language = await language_of(conn, settings, author.telegram_id)
    files = len(answer.files)
    rows = [
        [
            (
                t("instruction.button.thread", language, number=instruction.shown_number),
                f"qd:{instruction.target_id}",
            )
        ]
    ]
    if files:  # the leader sees the photos and documents with one tap (handlers/instruct.py)
        rows.insert(0, [(t("evidence.button.send", language, count=files), f"ev:a:{answer.id}")])
    push = Push(
        key=f"instruction_answer:{answer.id}:{author.telegram_id}",
        kind="instruction_answer",
        recipient=author.telegram_id,
        text=t(
            "instruction.answered_push",
            language,
            unit=answer.unit,
            number=instruction.shown_number,
            answer=answer.text,
            text=instruction.text,
            written_on=instruction.written_on.isoformat(),
        )
        + ("\n" + t("evidence.detail", language, count=files) if files else ""),
        buttons=rows,
        payload={"instruction": instruction.id, "answer": answer.id},
    )
    return [push] if await push_store.claim(conn, push, at) else []


async def sent_from(conn: aiosqlite.Connection, key: str, telegram_id: int) -> str | None:
    """Return what someone's draft of this key became: `sent_again` (an instruction they
    wrote), `answer_again` (an answer they sent), or None."""
    written = await store.by_source(conn, key)
    if written is not None and written.author_id == telegram_id:
        return "sent_again"
    answered = await store.answer_by_source(conn, key)
    if answered is not None and answered.answered_by == telegram_id:
        return "answer_again"
    return None


# ---------------------------------------------------------------------------- reading


async def answer_target(conn: aiosqlite.Connection, answer_id: int) -> int | None:
    """Return the id of the target an answer is about, or None when there is no such answer."""
    return await store.target_of_answer(conn, answer_id)


async def get(conn: aiosqlite.Connection, instruction_id: int) -> Instruction | None:
    """Return one instruction with its units and answers."""
    return await store.get(conn, instruction_id)


async def of_target(conn: aiosqlite.Connection, target_id: int) -> list[Instruction]:
    """Return a target's instructions, newest first."""
    return await store.list_instructions(conn, target_id=target_id, current_plan=False)


async def of_targets(conn: aiosqlite.Connection) -> dict[int, list[Instruction]]:
    """Return the current plan's instructions by target id, newest first."""
    found: dict[int, list[Instruction]] = {}
    for instruction in await store.list_instructions(conn):
        found.setdefault(instruction.target_id, []).append(instruction)
    return found


async def visible(
    conn: aiosqlite.Connection, account: Account, *, only_open: bool = False
) -> list[Instruction]:
    """Return the instructions an account asks about, newest first.

    A leader: those they wrote; an admin: all; a liaison: those to their unit.
    """
    if account.role == "admin":
        found = await store.list_instructions(conn)
    elif account.role == "leader":
        found = await store.list_instructions(conn, author_id=account.telegram_id)
    elif account.role == "liaison" and account.unit_id is not None:
        found = await store.list_instructions(conn, unit_id=account.unit_id)
    else:
        found = []
    return [i for i in found if not is_answered(i)] if only_open else found


async def all_instructions(
    conn: aiosqlite.Connection, *, only_open: bool = False
) -> list[Instruction]:
    """Return every instruction of the current plan, newest first (the CLI's list)."""
    found = await store.list_instructions(conn)
    return [i for i in found if not is_answered(i)] if only_open else found


async def open_instructions(conn: aiosqlite.Connection) -> list[Instruction]:
    """Return the instructions of the current plan still waiting for a lead unit's answer,
    oldest first, on targets not closed (a closed target is chased no more)."""
    found = await store.list_instructions(conn, open_targets=True)
    return [i for i in reversed(found) if not is_answered(i)]


# ---------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Tally:
    """How many instructions one author wrote, or one lead unit was sent: open and overdue."""

    name: str
    total: int
    open: int
    overdue: int

    def as_json(self) -> dict[str, object]:
        """Return the tally as `stats --json` prints it."""
        return {"name": self.name, "total": self.total, "open": self.open, "overdue": self.overdue}


@dataclass(frozen=True)
class Tallies:
    """The instructions of the current plan: in all, per author (leader), per lead unit."""

    total: int = 0
    open: int = 0
    overdue: int = 0
    authors: tuple[Tally, ...] = ()
    units: tuple[Tally, ...] = ()

    def as_json(self) -> dict[str, object]:
        """Return the tallies as `stats --json` prints them."""
        return {
            "total": self.total,
            "open": self.open,
            "overdue": self.overdue,
            "leaders": [tally.as_json() for tally in self.authors],
            "units": [tally.as_json() for tally in self.units],
        }


async def tallies(
    conn: aiosqlite.Connection,
    today: date,
    *,
    author: str | None = None,
    unit_id: int | None = None,
) -> Tallies:
    """Count the current plan's instructions (by one author's name, or to one unit, if given)."""
    found = await store.list_instructions(conn, unit_id=unit_id)
    if author is not None:
        found = [i for i in found if i.author_name == author]
    by_author: dict[str, list[int]] = {}
    by_unit: dict[str, list[int]] = {}
    for instruction in reversed(found):  # oldest first: names in the order they came
        waiting = {u.unit_id for u in waiting_units(instruction)}
        late = today > instruction.reply_due
        counts = by_author.setdefault(instruction.author_name, [0, 0, 0])
        counts[0] += 1
        counts[1] += int(bool(waiting))
        counts[2] += int(bool(waiting) and late)
        for unit in instruction.units:
            if unit.role != "lead" or (unit_id is not None and unit.unit_id != unit_id):
                continue
            of_unit = by_unit.setdefault(unit.unit, [0, 0, 0])
            of_unit[0] += 1
            of_unit[1] += int(unit.unit_id in waiting)
            of_unit[2] += int(unit.unit_id in waiting and late)
    return Tallies(
        total=len(found),
        open=sum(1 for i in found if not is_answered(i)),
        overdue=sum(1 for i in found if is_overdue(i, today)),
        authors=tuple(Tally(name, *counts) for name, counts in by_author.items()),
        units=tuple(Tally(name, *counts) for name, counts in by_unit.items()),
    )
