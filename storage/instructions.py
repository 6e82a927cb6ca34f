"""Repository of instructions (批示): what a leader wrote on a target, to whom, the answers, and
the drafts of both. Instructions and answers are only ever inserted (the schema refuses more)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

import aiosqlite

from storage import evidence
from storage.evidence import Evidence

CONVERSATION = "instruct"  # the chat conversation whose states are the drafts' steps


@dataclass(frozen=True)
class Addressee:
    """A unit an instruction is addressed to: a lead unit (owes an answer) or an assisting one."""

    unit_id: int
    unit: str
    role: str  # lead or assist


@dataclass(frozen=True)
class Answer:
    """One unit's answer to an instruction."""

    id: int
    instruction_id: int
    unit_id: int
    unit: str
    answered_by: int
    answerer_name: str
    text: str
    answered_at: str
    files: tuple[Evidence, ...] = ()  # 佐证材料 sent with the answer


@dataclass(frozen=True)
class Instruction:
    """An instruction with its target, the units it is addressed to and their answers."""

    id: int
    target_id: int
    target_number: int
    target_label: str | None
    target_content: str
    author_id: int
    author_name: str
    author_role: str
    text: str
    written_at: str
    written_on: date
    reply_due: date
    to_assisting: bool
    units: tuple[Addressee, ...] = ()
    answers: tuple[Answer, ...] = ()  # oldest first

    @property
    def shown_number(self) -> str:
        """Return the target's number as the table shows it."""
        return self.target_label or str(self.target_number)


@dataclass(frozen=True)
class Draft:
    """An instruction or an answer being written, kept after every step."""

    id: int
    telegram_id: int
    chat_id: int
    kind: str  # write (an instruction) or answer
    target_id: int | None
    instruction_id: int | None
    step: str
    text: str | None
    to_assisting: bool
    paused: bool
    updated_at: str


_SELECT = """
    SELECT i.*, t.number AS target_number, t.label AS target_label, t.content AS target_content
    FROM instruction i JOIN target t ON t.id = i.target_id
"""


def _instruction(
    row: aiosqlite.Row, units: tuple[Addressee, ...], answers: tuple[Answer, ...]
) -> Instruction:
    return Instruction(
        id=row["id"],
        target_id=row["target_id"],
        target_number=row["target_number"],
        target_label=row["target_label"],
        target_content=row["target_content"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        author_role=row["author_role"],
        text=row["text"],
        written_at=row["written_at"],
        written_on=date.fromisoformat(row["written_on"]),
        reply_due=date.fromisoformat(row["reply_due"]),
        to_assisting=bool(row["to_assisting"]),
        units=units,
        answers=answers,
    )


def _answer(row: aiosqlite.Row) -> Answer:
    return Answer(
        id=row["id"],
        instruction_id=row["instruction_id"],
        unit_id=row["unit_id"],
        unit=row["unit"],
        answered_by=row["answered_by"],
        answerer_name=row["answerer_name"],
        text=row["text"],
        answered_at=row["answered_at"],
    )


async def _complete(conn: aiosqlite.Connection, rows: list[aiosqlite.Row]) -> list[Instruction]:
    """Return instructions from their rows, each with its units and answers."""
    ids = [int(row["id"]) for row in rows]
    units: defaultdict[int, list[Addressee]] = defaultdict(list)
    answers: defaultdict[int, list[Answer]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            "SELECT iu.instruction_id, iu.unit_id, u.name, iu.role FROM instruction_unit iu"
            f" JOIN unit u ON u.id = iu.unit_id WHERE iu.instruction_id IN ({marks})"
            " ORDER BY iu.instruction_id, iu.role DESC, iu.rowid",
            chunk,
        ) as cursor:
            for instruction_id, unit_id, name, role in await cursor.fetchall():
                units[instruction_id].append(Addressee(unit_id, name, role))
        async with conn.execute(
            "SELECT a.*, u.name AS unit FROM instruction_answer a JOIN unit u ON u.id = a.unit_id"
            f" WHERE a.instruction_id IN ({marks}) ORDER BY a.id",
            chunk,
        ) as cursor:
            for row in await cursor.fetchall():
                answers[row["instruction_id"]].append(_answer(row))
    answer_ids = [a.id for found in answers.values() for a in found]
    files = await evidence.of_owners(conn, "answer", answer_ids) if answer_ids else {}
    if files:
        for key, found in answers.items():
            answers[key] = [replace(a, files=tuple(files.get(a.id, ()))) for a in found]
    return [_instruction(row, tuple(units[row["id"]]), tuple(answers[row["id"]])) for row in rows]


async def get(conn: aiosqlite.Connection, instruction_id: int) -> Instruction | None:
    """Return one instruction by its id."""
    async with conn.execute(_SELECT + " WHERE i.id = ?", (instruction_id,)) as cursor:
        row = await cursor.fetchone()
    return (await _complete(conn, [row]))[0] if row else None


async def by_source(conn: aiosqlite.Connection, source_key: str) -> Instruction | None:
    """Return the instruction stored from a draft, if one was."""
    async with conn.execute(_SELECT + " WHERE i.source_key = ?", (source_key,)) as cursor:
        row = await cursor.fetchone()
    return (await _complete(conn, [row]))[0] if row else None


async def target_of_answer(conn: aiosqlite.Connection, answer_id: int) -> int | None:
    """Return the target an answer's instruction is on, or None when there is no such answer."""
    async with conn.execute(
        "SELECT i.target_id FROM instruction_answer a JOIN instruction i ON i.id = a.instruction_id"
        " WHERE a.id = ?",
        (answer_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def answer_by_source(conn: aiosqlite.Connection, source_key: str) -> Answer | None:
    """Return the answer stored from a draft, if one was."""
    async with conn.execute(
        "SELECT a.*, u.name AS unit FROM instruction_answer a JOIN unit u ON u.id = a.unit_id"
        " WHERE a.source_key = ?",
        (source_key,),
    ) as cursor:
        row = await cursor.fetchone()
    return _answer(row) if row else None


async def list_instructions(
    conn: aiosqlite.Connection,
    *,
    target_id: int | None = None,
    author_id: int | None = None,
    unit_id: int | None = None,
    current_plan: bool = True,
    open_targets: bool = False,
) -> list[Instruction]:
    """Return instructions, newest first: of a target, by an author, to a unit, when given.

    `current_plan`: only those on live targets of the current plan; `open_targets`: only those
    on targets not closed (办结).
    """
    where: list[str] = []
    params: list[object] = []
    if target_id is not None:
        where.append("i.target_id = ?")
        params.append(target_id)
    if author_id is not None:
        where.append("i.author_id = ?")
        params.append(author_id)
    if unit_id is not None:
        where.append("i.id IN (SELECT instruction_id FROM instruction_unit WHERE unit_id = ?)")
        params.append(unit_id)
    if current_plan:
        where.append(
            "t.retired_at IS NULL AND t.plan_id = (SELECT id FROM plan WHERE is_current = 1)"
        )
    if open_targets:
        where.append("t.closed_on IS NULL")
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY i.id DESC"
    async with conn.execute(sql, params) as cursor:
        rows = list(await cursor.fetchall())
    return await _complete(conn, rows)


async def insert(
    conn: aiosqlite.Connection,
    *,
    target_id: int,
    author_id: int,
    author_name: str,
    author_role: str,
    text: str,
    written_at: str,
    written_on: date,
    reply_due: date,
    to_assisting: bool,
    units: list[tuple[int, str]],
    source_key: str,
) -> int:
    """Store an instruction and the units (id, lead|assist) it goes to; return its id."""
    cursor = await conn.execute(
        "INSERT INTO instruction (target_id, author_id, author_name, author_role, text,"
        " written_at, written_on, reply_due, to_assisting, source_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            target_id,
            author_id,
            author_name,
            author_role,
            text,
            written_at,
            written_on.isoformat(),
            reply_due.isoformat(),
            int(to_assisting),
            source_key,
        ),
    )
    assert cursor.lastrowid is not None
    instruction_id = cursor.lastrowid
    await conn.executemany(
        "INSERT OR IGNORE INTO instruction_unit (instruction_id, unit_id, role) VALUES (?, ?, ?)",
        [(instruction_id, unit_id, role) for unit_id, role in units],
    )
    return instruction_id


async def insert_answer(
    conn: aiosqlite.Connection,
    *,
    instruction_id: int,
    unit_id: int,
    answered_by: int,
    answerer_name: str,
    text: str,
    answered_at: str,
    source_key: str,
) -> int:
    """Store a unit's answer; return its id (evidence of the answer points at it)."""
    cursor = await conn.execute(
        "INSERT INTO instruction_answer (instruction_id, unit_id, answered_by, answerer_name,"
        " text, answered_at, source_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (instruction_id, unit_id, answered_by, answerer_name, text, answered_at, source_key),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


# ---------------------------------------------------------------------------- drafts


def _draft(row: aiosqlite.Row) -> Draft:
    return Draft(
        id=row["id"],
        telegram_id=row["telegram_id"],
        chat_id=row["chat_id"],
        kind=row["kind"],
        target_id=row["target_id"],
        instruction_id=row["instruction_id"],
        step=row["step"],
        text=row["text"],
        to_assisting=bool(row["to_assisting"]),
        paused=bool(row["paused"]),
        updated_at=row["updated_at"],
    )


async def draft_of(conn: aiosqlite.Connection, telegram_id: int) -> Draft | None:
    """Return someone's draft (one a person), if any."""
    async with conn.execute(
        "SELECT * FROM instruction_draft WHERE telegram_id = ?", (telegram_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return _draft(row) if row else None


async def active_drafts(conn: aiosqlite.Connection) -> list[Draft]:
    """Return the drafts not left idle: their writers are in the middle of the flow."""
    async with conn.execute("SELECT * FROM instruction_draft WHERE paused = 0") as cursor:
        return [_draft(row) for row in await cursor.fetchall()]


async def start_draft(
    conn: aiosqlite.Connection,
    *,
    telegram_id: int,
    chat_id: int,
    kind: str,
    target_id: int | None,
    instruction_id: int | None,
    step: str,
    at: str,
) -> int:
    """Replace someone's draft with a new, empty one (a new id); return its id."""
    await conn.execute("DELETE FROM instruction_draft WHERE telegram_id = ?", (telegram_id,))
    cursor = await conn.execute(
        "INSERT INTO instruction_draft (telegram_id, chat_id, kind, target_id, instruction_id,"
        " step, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (telegram_id, chat_id, kind, target_id, instruction_id, step, at),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def update_draft(
    conn: aiosqlite.Connection,
    draft_id: int,
    *,
    step: str,
    at: str,
    text: str | None = None,
    to_assisting: bool | None = None,
    paused: bool = False,
) -> None:
    """Move a draft to a step, with the text or the choice typed when given."""
    await conn.execute(
        "UPDATE instruction_draft SET step = ?, updated_at = ?, paused = ?,"
        " text = COALESCE(?, text), to_assisting = COALESCE(?, to_assisting) WHERE id = ?",
        (
            step,
            at,
            int(paused),
            text,
            None if to_assisting is None else int(to_assisting),
            draft_id,
        ),
    )


async def pause_draft(conn: aiosqlite.Connection, draft_id: int) -> None:
    """Leave a draft idle: kept, but its writer is no longer in the flow."""
    await conn.execute("UPDATE instruction_draft SET paused = 1 WHERE id = ?", (draft_id,))


async def delete_draft(conn: aiosqlite.Connection, draft_id: int) -> bool:
    """Forget a draft; False if it was gone already."""
    cursor = await conn.execute("DELETE FROM instruction_draft WHERE id = ?", (draft_id,))
    return cursor.rowcount == 1
