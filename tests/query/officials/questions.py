"""Questions as officials type them, with the answers read from the tables (see README.md).

Loads the question files of this folder, imports the tables into real SQLite files, asks every
question through the query engine and says which were answered exactly right. Used by
tests/query/test_officials.py (the thresholds) and bench/bench_understanding.py (the figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import aiosqlite

from bot.plan.importer import DEMO_TABLE, import_file
from bot.query.engine import Answer, QueryEngine
from storage.db import connect

TODAY = date(2026, 11, 25)  # the day of tests/query/test_bodies.py
HERE = Path(__file__).parent
TABLES = {"demo": DEMO_TABLE, "county": HERE / "county.tsv"}
NEAR_MISSES = HERE / "near_misses.tsv"
STATUSES = {"behind", "on_track", "at_risk", "overdue", "completed", "not_submitted"}


@dataclass(frozen=True)
class Question:
    """A question and its right answer: target numbers, or the choices to offer."""

    table: str
    category: str
    text: str
    numbers: frozenset[int]
    choices: frozenset[str] | None = None  # "which one did you mean?" with these names
    statuses: frozenset[str] | None = None  # what the status words must be taken as
    line: int = 0

    @property
    def expected(self) -> str:
        """Return the right answer as the files write it."""
        if self.choices is not None:
            return "ambiguous " + " ".join(sorted(self.choices))
        text = spans(self.numbers)
        return text + (f" [{' '.join(sorted(self.statuses))}]" if self.statuses else "")


@dataclass(frozen=True)
class NearMiss:
    """A name close to a unit or leader of a table, and the names it may be taken as."""

    table: str
    text: str
    right: frozenset[str]
    line: int = 0


@dataclass(frozen=True)
class Verdict:
    """How one question was answered."""

    question: Question
    found: str  # what the engine answered, as the files would write it
    right: bool


def spans(numbers: frozenset[int] | set[int]) -> str:
    """Return target numbers as the files write them: `40-45 48 90`, or `none`."""
    if not numbers:
        return "none"
    ordered = sorted(numbers)
    parts: list[str] = []
    start = previous = ordered[0]
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return " ".join(parts)


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """Return the data lines of a TSV file (no comments, no blank lines) with their numbers."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            found.append((number, [cell.strip() for cell in line.split("\t")]))
    return found


def _numbers(text: str, where: str) -> frozenset[int]:
    if text == "none":
        return frozenset()
    found: set[int] = set()
    for part in text.split():
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise ValueError(f"{where}: not a number or range: {part!r}")
        found.update(range(int(first), int(last or first) + 1))
    return frozenset(found)


def load_questions(table: str) -> list[Question]:
    """Return the questions about one table (`demo` or `county`)."""
    path = HERE / f"{table}_questions.tsv"
    questions = []
    for line, cells in _rows(path):
        where = f"{path.name}:{line}"
        if len(cells) not in (3, 4):
            raise ValueError(f"{where}: want category, question, expected[, statuses]")
        category, text, expected = cells[:3]
        statuses = frozenset(cells[3].split()) if len(cells) == 4 and cells[3] else None
        if statuses is not None and not statuses <= STATUSES:
            raise ValueError(f"{where}: unknown status in {cells[3]!r}")
        if expected.startswith("ambiguous "):
            choices = frozenset(expected.split()[1:])
            questions.append(Question(table, category, text, frozenset(), choices, statuses, line))
        else:
            numbers = _numbers(expected, where)
            questions.append(Question(table, category, text, numbers, None, statuses, line))
    return questions


def load_near_misses() -> list[NearMiss]:
    """Return the near-miss names of both tables."""
    found = []
    for line, cells in _rows(NEAR_MISSES):
        if len(cells) != 3 or cells[0] not in TABLES:
            raise ValueError(f"{NEAR_MISSES.name}:{line}: want table, name, right names")
        table, text, right = cells
        names = frozenset() if right == "-" else frozenset(right.split())
        found.append(NearMiss(table, text, names, line))
    return found


async def open_table(table: str, directory: Path) -> aiosqlite.Connection:
    """Import one table into a fresh SQLite file under `directory`; return the connection."""
    conn = await connect(directory / f"{table}.db")
    await import_file(conn, TABLES[table], actor="test")
    return conn


def numbers_of(answer: Answer) -> set[int]:
    """Return the target numbers an answer found."""
    return {hit.target.number for hit in answer.hits}


def taken(answer: Answer) -> set[str]:
    """Return the units and leaders a question was confidently taken to name."""
    return {n.name for n in (*answer.parsed.units, *answer.parsed.leaders)}


def describe(answer: Answer) -> str:
    """Return what an answer found, as the files write it, with how it was understood."""
    parsed = answer.parsed
    text = spans(numbers_of(answer))
    notes = []
    if parsed.statuses:
        notes.append("statuses " + " ".join(parsed.statuses))
    if parsed.ambiguous:
        notes.append(
            "ambiguous "
            + "; ".join(
                f"{a.word}: {'/'.join(c.name for c in a.choices)}" for a in parsed.ambiguous
            )
        )
    if parsed.keywords:
        notes.append("keywords " + " ".join(parsed.keywords))
    if parsed.unplaced:
        notes.append("unplaced " + " ".join(parsed.unplaced))
    if answer.mine_unbound:
        notes.append("asked for 'my' targets")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def is_right(question: Question, answer: Answer) -> bool:
    """Tell whether an answer is exactly right.

    Choices: the offered choices are exactly those, nothing found yet. Numbers: exactly those
    targets, the status words taken as said, and no word left unplaced, no choice offered (the
    reply would say "could not place …", and `none` would pass for "not understood").
    """
    parsed = answer.parsed
    if question.choices is not None:
        offered = [frozenset(c.name for c in a.choices) for a in parsed.ambiguous]
        return question.choices in offered and not answer.hits
    if numbers_of(answer) != question.numbers:
        return False
    if question.statuses is not None and frozenset(parsed.statuses) != question.statuses:
        return False
    return not (parsed.unplaced or parsed.ambiguous or answer.mine_unbound)


async def answer_all(conn: aiosqlite.Connection, questions: list[Question]) -> list[Verdict]:
    """Ask every question of one table (as an admin) and judge the answers."""
    engine = QueryEngine()
    verdicts = []
    for question in questions:
        answer = await engine.ask(conn, question.text, today=TODAY)
        verdicts.append(Verdict(question, describe(answer), is_right(question, answer)))
    return verdicts


async def confident_wrong(
    connections: dict[str, aiosqlite.Connection], near_misses: list[NearMiss]
) -> list[tuple[NearMiss, set[str]]]:
    """Return the near-miss names taken as a unit or leader outside their right names."""
    engines = {table: QueryEngine() for table in connections}
    wrong = []
    for miss in near_misses:
        answer = await engines[miss.table].ask(connections[miss.table], miss.text, today=TODAY)
        outside = taken(answer) - miss.right
        if outside:
            wrong.append((miss, outside))
    return wrong
