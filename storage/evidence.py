"""Repository of 佐证材料 (evidence): the rows naming files kept with drafts, reports, answers.

An owner is a pair (kind, id):
- `draft`: the /report draft of a user, id = the drafter's Telegram id (one draft per user);
- `report`: one report revision, id = report.id;
- `answer_draft`: an answer to an instruction being written, id = its draft's id (never reused);
- `answer`: a stored answer to an instruction, id = its row id.

Every function here runs inside the caller's transaction (storage/db.transaction): `move` is
called in the very transaction that stores the report (or the answer) it moves to, so the files
are either still the draft's or already the stored row's, never lost in between. The bytes of
each file are not here: `sha256` names them in the content-addressed folder (bot/report/evidence).
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

OWNER_KINDS = ("draft", "report", "answer_draft", "answer")

_COLUMNS = (
    "id, owner_kind, owner_id, position, sha256, file_id, file_unique_id, name, kind, mime, "
    "size, added_by, added_at"
)


@dataclass(frozen=True)
class Evidence:
    """One file kept with an owner: what Telegram calls it, what it is, where its bytes are."""

    id: int
    owner_kind: str
    owner_id: int
    position: int  # 1, 2, … in the order the files were sent
    sha256: str  # names the bytes in the files folder
    file_id: str  # re-sends the file through Telegram
    file_unique_id: str
    name: str
    kind: str  # photo or document
    mime: str
    size: int  # bytes
    added_by: int
    added_at: str


@dataclass(frozen=True)
class NewEvidence:
    """A file to keep, before it has a row."""

    sha256: str
    file_id: str
    file_unique_id: str
    name: str
    kind: str
    mime: str
    size: int
    added_by: int
    added_at: str


def _evidence(row: aiosqlite.Row) -> Evidence:
    return Evidence(**dict(row))


async def add(
    conn: aiosqlite.Connection, owner_kind: str, owner_id: int, new: NewEvidence
) -> Evidence:
    """Add a file at the end of an owner's list; return its row."""
    async with conn.execute(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM evidence WHERE owner_kind = ? AND owner_id = ?",
        (owner_kind, owner_id),
    ) as cursor:
        row = await cursor.fetchone()
    position = int(row[0]) if row else 1
    async with conn.execute(
        f"""
        INSERT INTO evidence ({_COLUMNS})
        VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        RETURNING {_COLUMNS}
        """,
        (
            owner_kind,
            owner_id,
            position,
            new.sha256,
            new.file_id,
            new.file_unique_id,
            new.name,
            new.kind,
            new.mime,
            new.size,
            new.added_by,
            new.added_at,
        ),
    ) as cursor:
        added = await cursor.fetchone()
    assert added is not None
    return _evidence(added)


async def list_for(conn: aiosqlite.Connection, owner_kind: str, owner_id: int) -> list[Evidence]:
    """Return an owner's files in the order they were sent."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM evidence WHERE owner_kind = ? AND owner_id = ? ORDER BY position",
        (owner_kind, owner_id),
    ) as cursor:
        return [_evidence(row) for row in await cursor.fetchall()]


async def files_of(
    conn: aiosqlite.Connection, owner_kind: str, owner_ids: list[int]
) -> dict[int, list[Evidence]]:
    """Return the files of many owners of one kind: owner id → files (owners without: absent)."""
    found: dict[int, list[Evidence]] = {}
    for start in range(0, len(owner_ids), 500):  # SQLite's limit of bound values
        chunk = owner_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM evidence WHERE owner_kind = ? AND owner_id IN ({marks}) "
            "ORDER BY owner_id, position",
            (owner_kind, *chunk),
        ) as cursor:
            for row in await cursor.fetchall():
                item = _evidence(row)
                found.setdefault(item.owner_id, []).append(item)
    return found


async def of_owners(
    conn: aiosqlite.Connection, owner_kind: str, owner_ids: list[int]
) -> dict[int, list[Evidence]]:
    """Return the files of many owners of one kind (the answers of a thread), by owner id."""
    found: dict[int, list[Evidence]] = {}
    for start in range(0, len(owner_ids), 500):
        chunk = owner_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM evidence WHERE owner_kind = ? AND owner_id IN ({marks})"
            " ORDER BY owner_id, position",
            (owner_kind, *chunk),
        ) as cursor:
            for row in await cursor.fetchall():
                found.setdefault(int(row["owner_id"]), []).append(_evidence(row))
    return found


async def by_id(conn: aiosqlite.Connection, evidence_id: int) -> Evidence | None:
    """Return one file's row."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM evidence WHERE id = ?", (evidence_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return _evidence(row) if row else None


async def move(
    conn: aiosqlite.Connection, from_kind: str, from_id: int, to_kind: str, to_id: int
) -> int:
    """Give an owner's files to another (a draft's to the report it became); return how many.

    Appended after the files the new owner has already, in their order.
    """
    async with conn.execute(
        "SELECT COALESCE(MAX(position), 0) FROM evidence WHERE owner_kind = ? AND owner_id = ?",
        (to_kind, to_id),
    ) as cursor:
        row = await cursor.fetchone()
    offset = int(row[0]) if row else 0
    # Positions are moved out of the way first: UNIQUE (owner, position) holds at every row.
    await conn.execute(
        "UPDATE evidence SET position = -position WHERE owner_kind = ? AND owner_id = ?",
        (from_kind, from_id),
    )
    async with conn.execute(
        "UPDATE evidence SET owner_kind = ?, owner_id = ?, position = ? - position "
        "WHERE owner_kind = ? AND owner_id = ?",
        (to_kind, to_id, offset, from_kind, from_id),
    ) as cursor:
        return cursor.rowcount


async def copy(
    conn: aiosqlite.Connection,
    from_kind: str,
    from_id: int,
    to_kind: str,
    to_id: int,
    *,
    added_by: int,
    added_at: str,
) -> int:
    """Give another owner copies of an owner's rows (the same files); return how many."""
    count = 0
    for item in await list_for(conn, from_kind, from_id):
        await add(
            conn,
            to_kind,
            to_id,
            NewEvidence(
                sha256=item.sha256,
                file_id=item.file_id,
                file_unique_id=item.file_unique_id,
                name=item.name,
                kind=item.kind,
                mime=item.mime,
                size=item.size,
                added_by=added_by,
                added_at=added_at,
            ),
        )
        count += 1
    return count


async def drop(
    conn: aiosqlite.Connection, owner_kind: str, owner_id: int, evidence_id: int | None = None
) -> int:
    """Forget one file of an owner (`evidence_id`) or all of them; return how many rows went.

    The bytes stay in the files folder: another row, a backup or an older revision may name them.
    """
    sql = "DELETE FROM evidence WHERE owner_kind = ? AND owner_id = ?"
    params: tuple[object, ...] = (owner_kind, owner_id)
    if evidence_id is not None:
        sql, params = sql + " AND id = ?", (*params, evidence_id)
    async with conn.execute(sql, params) as cursor:
        return cursor.rowcount


async def target_of_report(conn: aiosqlite.Connection, report_id: int) -> int | None:
    """Return the id of the target a report revision is about."""
    async with conn.execute(
        "SELECT a.target_id FROM report r JOIN assignment a ON a.id = r.assignment_id "
        "WHERE r.id = ?",
        (report_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def current_with_files(conn: aiosqlite.Connection, target_id: int) -> list[tuple[int, int]]:
    """Return (report id, file count) of a target's current revisions that carry files.

    Current: per assignment and unit, the newest revision (of the latest period it wrote for)
    that leaders may see: one still waiting for review (REVIEW_REQUIRED), or sent back, is not
    shown; the one before it is.
    """
    async with conn.execute(
        """
        SELECT r.id, COUNT(e.id) FROM report r JOIN assignment a ON a.id = r.assignment_id
        JOIN evidence e ON e.owner_kind = 'report' AND e.owner_id = r.id
        WHERE a.target_id = ? AND r.id = (
            SELECT o.id FROM report o WHERE o.assignment_id = r.assignment_id
            AND COALESCE(o.unit_id, 0) = COALESCE(r.unit_id, 0)
            AND (o.needs_review = 0 OR EXISTS (SELECT 1 FROM review v
                 WHERE v.report_id = o.id AND v.decision = 'approved'))
            ORDER BY o.period DESC, o.revision DESC, o.id DESC LIMIT 1)
        GROUP BY r.id ORDER BY a.position, r.id
        """,
        (target_id,),
    ) as cursor:
        return [(int(i), int(n)) for i, n in await cursor.fetchall()]


async def report_ids_of(conn: aiosqlite.Connection, plan_id: int, period: str) -> list[int]:
    """Return the ids of a plan's reports for a period that carry evidence."""
    async with conn.execute(
        """
        SELECT DISTINCT r.id FROM report r JOIN assignment a ON a.id = r.assignment_id
        JOIN target t ON t.id = a.target_id
        JOIN evidence e ON e.owner_kind = 'report' AND e.owner_id = r.id
        WHERE t.plan_id = ? AND r.period = ?
        """,
        (plan_id, period),
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]
