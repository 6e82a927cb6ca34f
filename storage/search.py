"""Repository reads for the query engine: everything a plan's search index is built from."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

import aiosqlite

from storage.targets import Named, official


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    """An assignment with its leader and units (lead first)."""

    id: int
    target_id: int
    position: int
    leader: Named
    units: tuple[Named, ...]  # the lead units
    assisting: tuple[Named, ...] = ()  # units of a 配合单位 column


@dataclass(frozen=True, slots=True)
class ReportRow:
    """The latest revision of one assignment's report for one period."""

    assignment_id: int
    period: str
    revision: int
    status: str
    progress: str


@dataclass(frozen=True, slots=True)
class TargetRow:
    """A live target of the plan."""

    id: int
    number: int
    content: str
    deadline: str
    due_date: str | None
    label: str | None = None  # the number as the table shows it (2-3)
    category: str | None = None
    extra: str = "[]"  # the table's other columns, as stored (JSON)
    closed_on: str | None = None  # 办结: the day it was closed
    extended: int = 0  # 1: an approved extension request (延期) moved its due date


@dataclass(frozen=True)
class PlanRows:
    """Everything the search index of one plan is built from."""

    targets: list[TargetRow]
    assignments: list[AssignmentRow]
    reports: list[ReportRow]


@dataclass(frozen=True)
class Head:
    """Where the data the search sees stands: the current plan, the latest report and audit row.

    Reports are append-only, and every other change of what the search sees is audited, so a
    search index that has read up to a head knows what to read to catch up with a later one.
    """

    plan: int | None
    report: int
    audit: int


# What each audited action changes in what the search sees. Actions not named here (accounts,
# invitations, 批示, schedules, period announcements, extension requests and refusals) change
# nothing a search answers from.
_ASSIGNMENT = ("report_submit",)  # subject assignment:<id>
_REPORT = ("review_",)  # subject report:<id>; a prefix: review_approved, review_returned
_TARGET = ("target_close", "target_reopen", "extension_approve")  # subject target:<id>
_VOCABULARY = ("alias", "alias_removed")
_PLAN = ("import",)  # the plan's own rows changed: the index is built anew
_UNSEEN = (
    "bind",
    "invite",
    "revoke",
    "role_change",
    "schedule_change",
    "instruction_write",
    "instruction_answer",
    "extension_ask",
    "extension_refuse",
    "period_",
)


@dataclass
class Changes:
    """What changed in what the search sees between two heads."""

    assignments: set[int] = field(default_factory=set)  # ids whose reports may have changed
    targets: set[int] = field(default_factory=set)  # ids whose dates or closing may have changed
    vocabulary: bool = False  # aliases
    plan: bool = False  # the plan itself (an import, or an action this module does not know)


def _starts(action: str, prefixes: Sequence[str]) -> bool:
    return any(action == p or (p.endswith("_") and action.startswith(p)) for p in prefixes)


def _number(subject: str, kind: str) -> int | None:
    head, _, value = subject.partition(":")
    return int(value) if head == kind and value.isdigit() else None


_HEAD = (
    "SELECT (SELECT id FROM plan WHERE is_current = 1), (SELECT MAX(id) FROM report), "
    "(SELECT MAX(id) FROM audit_log)"
)


def _head(row: Sequence[object] | None) -> Head:
    plan, report, audit = tuple(row) if row else (None, None, None)
    return Head(
        int(plan) if isinstance(plan, int) else None,
        report if isinstance(report, int) else 0,
        audit if isinstance(audit, int) else 0,
    )


async def head(conn: aiosqlite.Connection) -> Head:
    """Return where the data the search sees stands now (one small read)."""
    async with conn.execute(_HEAD) as cursor:
        return _head(await cursor.fetchone())


async def changes(conn: aiosqlite.Connection, since: Head, until: Head) -> Changes:
    """Return what changed in what the search sees after `since`, up to `until`.

    New reports name their assignments; audit rows name the rest. An action this module does
    not know is taken as a change of the plan (a full build), never as nothing.
    """
    found = Changes()
    async with conn.execute(
        "SELECT DISTINCT assignment_id FROM report WHERE id > ? AND id <= ?",
        (since.report, until.report),
    ) as cursor:
        found.assignments.update(int(row[0]) for row in await cursor.fetchall())
    reviewed: list[int] = []
    async with conn.execute(
        "SELECT action, subject FROM audit_log WHERE id > ? AND id <= ?",
        (since.audit, until.audit),
    ) as cursor:
        for action, subject in await cursor.fetchall():
            if _starts(action, _ASSIGNMENT) and (n := _number(subject, "assignment")):
                found.assignments.add(n)
            elif _starts(action, _REPORT) and (n := _number(subject, "report")):
                reviewed.append(n)
            elif _starts(action, _TARGET) and (n := _number(subject, "target")):
                found.targets.add(n)
            elif _starts(action, _VOCABULARY):
                found.vocabulary = True
            elif not _starts(action, _UNSEEN):
                found.plan = True  # an import, or an action not known here
    for chunk in _chunks(reviewed):
        async with conn.execute(
            f"SELECT DISTINCT assignment_id FROM report WHERE id IN ({_marks(chunk)})", chunk
        ) as cursor:
            found.assignments.update(int(row[0]) for row in await cursor.fetchall())
    return found


def _chunks(ids: Iterable[int], size: int = 500) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def _marks(chunk: Sequence[int]) -> str:
    return ", ".join("?" * len(chunk))


_TARGETS = (
    "SELECT id, number, content, deadline, due_date, label, category, extra, closed_on,"
    " EXISTS (SELECT 1 FROM extension_request e WHERE e.target_id = target.id"
    " AND e.state = 'approved') FROM target "
)
_UNITS = """
    SELECT au.assignment_id, u.id, u.name, au.role
    FROM assignment_unit au JOIN unit u ON u.id = au.unit_id
    JOIN assignment a ON a.id = au.assignment_id JOIN target t ON t.id = a.target_id
    WHERE t.plan_id = ? ORDER BY au.assignment_id, au.position
"""
_ASSIGNMENTS = """
    SELECT a.id, a.target_id, a.position, l.id, l.name
    FROM assignment a JOIN target t ON t.id = a.target_id JOIN leader l ON l.id = a.leader_id
    WHERE t.plan_id = ? AND t.retired_at IS NULL AND a.retired_at IS NULL
    ORDER BY t.number, a.position
"""


def _latest_reports(where: str) -> str:
    return f"""
        SELECT assignment_id, period, revision, status, progress FROM (
            SELECT r.assignment_id, r.period, r.revision, r.status, r.progress,
                ROW_NUMBER() OVER (
                    PARTITION BY r.assignment_id, r.period ORDER BY r.id DESC) AS rank
            FROM report r JOIN assignment a ON a.id = r.assignment_id
            JOIN target t ON t.id = a.target_id
            WHERE {where} AND {official()}
        ) WHERE rank = 1
    """


class _Names:
    """One Named per leader or unit, shared by every row that names it (memory at 100k rows)."""

    def __init__(self) -> None:
        self._known: dict[int, Named] = {}

        self._groups: dict[tuple[Named, ...], tuple[Named, ...]] = {}

    def __call__(self, id_: int, name: str) -> Named:
        known = self._known.get(id_)
        if known is None or known.name != name:
            known = self._known[id_] = Named(id_, name)
        return known

    def group(self, names: list[Named]) -> tuple[Named, ...]:
        """Return one tuple per list of names, shared by every row that names the same ones."""
        group = tuple(names)
        return self._groups.setdefault(group, group)


def _plan_rows(
    targets: Iterable[Sequence[Any]],
    units: Iterable[Sequence[Any]],
    assignments: Iterable[Sequence[Any]],
    reports: Iterable[Sequence[Any]],
) -> PlanRows:
    """Return a plan's rows from what the four queries read."""
    names = _Names()
    words: dict[str, str] = {}  # one str per repeated short value (年底, a category)

    def shared(value: Any) -> Any:
        if isinstance(value, str) and len(value) <= 24:
            return words.setdefault(value, value)
        return value

    target_rows = [
        TargetRow(
            row[0],
            row[1],
            row[2],
            shared(row[3]),
            shared(row[4]),
            shared(row[5]),
            shared(row[6]),
            shared(row[7]),
            row[8],
            row[9],
        )
        for row in targets
    ]
    # Units come by assignment: each assignment's are made a shared tuple as soon as they are
    # read (lists of them for every assignment were the peak of reading 100k targets).
    lead: dict[int, tuple[Named, ...]] = {}
    assisting: dict[int, tuple[Named, ...]] = {}
    for aid, rows in groupby(units, key=itemgetter(0)):
        mine: tuple[list[Named], list[Named]] = ([], [])
        for _, uid, name, role in rows:
            mine[role == "assist"].append(names(uid, name))
        for found, group in zip((lead, assisting), mine, strict=True):
            if group:
                found[aid] = names.group([*found.get(aid, ()), *group])
    assignment_rows = [
        AssignmentRow(
            aid,
            tid,
            position,
            names(lid, lname),
            lead.get(aid, ()),
            assisting.get(aid, ()),
        )
        for aid, tid, position, lid, lname in assignments
    ]
    report_rows = [
        ReportRow(aid, shared(period), revision, shared(status), shared(progress))
        for aid, period, revision, status, progress in reports
    ]
    return PlanRows(target_rows, assignment_rows, report_rows)


async def load_plan(conn: aiosqlite.Connection, plan_id: int) -> PlanRows:
    """Return a plan's live targets, assignments, and latest report per assignment and period."""
    fetched = []
    for sql in (
        _TARGETS + "WHERE plan_id = ? AND retired_at IS NULL ORDER BY number",
        _UNITS,
        _ASSIGNMENTS,
        _latest_reports("t.plan_id = ?"),
    ):
        async with conn.execute(sql, (plan_id,)) as cursor:
            fetched.append(await cursor.fetchall())
    return _plan_rows(*fetched)


def read_plan_file(path: str) -> tuple[Head, PlanRows | None]:
    """Read the current plan's rows from the database file at `path`, in one read transaction.

    For a build in a worker thread: its own connection, so neither the event loop nor another
    task's open transaction is in the way. Returns the head it read at, and no rows without a
    current plan.
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")
        now = _head(conn.execute(_HEAD).fetchone())
        if now.plan is None:
            return now, None
        plan = (now.plan,)
        return now, _plan_rows(
            conn.execute(
                _TARGETS + "WHERE plan_id = ? AND retired_at IS NULL ORDER BY number", plan
            ),
            conn.execute(_UNITS, plan),
            conn.execute(_ASSIGNMENTS, plan),
            conn.execute(_latest_reports("t.plan_id = ?"), plan),
        )
    finally:
        conn.close()


async def database_file(conn: aiosqlite.Connection) -> str | None:
    """Return the path of the connection's database file; None for a database in memory."""
    async with conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'") as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] else None


async def load_changed(
    conn: aiosqlite.Connection, plan_id: int, assignment_ids: set[int], target_ids: set[int]
) -> PlanRows:
    """Return the rows of some targets and the latest reports of some assignments of a plan.

    The assignments list holds those of the changed targets (no units: those change only by
    import); the reports are every period's latest of the changed assignments.
    """
    targets: list[Sequence[Any]] = []
    for chunk in _chunks(target_ids):
        async with conn.execute(
            _TARGETS + f"WHERE plan_id = ? AND retired_at IS NULL AND id IN ({_marks(chunk)})",
            (plan_id, *chunk),
        ) as cursor:
            targets.extend(await cursor.fetchall())
    reports: list[Sequence[Any]] = []
    for chunk in _chunks(assignment_ids):
        async with conn.execute(
            _latest_reports(f"t.plan_id = ? AND r.assignment_id IN ({_marks(chunk)})"),
            (plan_id, *chunk),
        ) as cursor:
            reports.extend(await cursor.fetchall())
    return _plan_rows(targets, [], [], reports)


async def aliases(conn: aiosqlite.Connection) -> dict[str, Named]:
    """Return the unit aliases admins defined."""
    async with conn.execute(
        "SELECT a.alias, u.id, u.name FROM unit_alias a JOIN unit u ON u.id = a.unit_id"
    ) as cursor:
        return {alias: Named(uid, name) for alias, uid, name in await cursor.fetchall()}


async def set_alias(conn: aiosqlite.Connection, alias: str, unit_id: int) -> None:
    """Make `alias` name the unit (replacing what it named before)."""
    await conn.execute(
        "INSERT INTO unit_alias (alias, unit_id) VALUES (?, ?) "
        "ON CONFLICT (alias) DO UPDATE SET unit_id = excluded.unit_id",
        (alias, unit_id),
    )


async def remove_alias(conn: aiosqlite.Connection, alias: str) -> bool:
    """Forget an alias; False if there was none."""
    async with conn.execute("DELETE FROM unit_alias WHERE alias = ?", (alias,)) as cursor:
        return cursor.rowcount == 1


async def save_query(conn: aiosqlite.Connection, telegram_id: int, text: str, at: str) -> int:
    """Keep a question so its result pages can be turned by button; return its id."""
    row = await conn.execute_insert(
        "INSERT INTO saved_query (telegram_id, text, created_at) VALUES (?, ?, ?)",
        (telegram_id, text, at),
    )
    assert row is not None
    return int(row[0])


async def saved_query(conn: aiosqlite.Connection, query_id: int) -> tuple[int, str] | None:
    """Return (owner's Telegram id, text) of a kept question."""
    rows = await conn.execute_fetchall(
        "SELECT telegram_id, text FROM saved_query WHERE id = ?", (query_id,)
    )
    return next(((int(row[0]), str(row[1])) for row in rows), None)
