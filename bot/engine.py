"""The query engine: keeps the current plan's search index fresh and answers questions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import aiosqlite
from rapidfuzz import fuzz, process

from bot.query import ParsedQuery, Vocabulary, parse_query
from bot.search import Hit, SearchResult, TargetIndex
from storage import search as rows
from storage import targets as plans

SUGGESTIONS = 3


@dataclass
class Answer:
    """A question, how it was understood, what it found, and what to try when nothing."""

    parsed: ParsedQuery
    result: SearchResult
    plan: plans.Plan | None
    suggestions: list[str] = field(default_factory=list)

    @property
    def hits(self) -> list[Hit]:
        """Return the targets found, ranked."""
        return self.result.hits


class QueryEngine:
    """Answers questions about the current plan from an index rebuilt only when data changed."""

    def __init__(self, margin_points: int = 15) -> None:
        self.margin = margin_points / 100
        self._signature: tuple[object, ...] | None = None
        self._plan: plans.Plan | None = None
        self._index: TargetIndex | None = None
        self._vocabulary = Vocabulary((), ())

    async def refresh(self, conn: aiosqlite.Connection, today: date | None = None) -> None:
        """Rebuild the index if targets, reports, aliases or the current plan changed.

        With `today`, the latest period's statuses are worked out now too, so that the first
        question after a change does not wait for them.
        """
        signature = await rows.signature(conn)
        if signature == self._signature:
            return
        plan = await plans.current_plan(conn)
        self._vocabulary = Vocabulary(
            tuple(await plans.list_leaders(conn)),
            tuple(await plans.list_units(conn)),
            await rows.aliases(conn),
        )
        self._plan = plan
        self._index = (
            TargetIndex.build(await rows.load_plan(conn, plan.id), plan.year, self.margin)
            if plan
            else None
        )
        self._signature = signature
        if self._index is not None and today is not None:
            self._index.warm(today)

    @property
    def index(self) -> TargetIndex | None:
        """Return the current plan's index (after `refresh`)."""
        return self._index

    @property
    def vocabulary(self) -> Vocabulary:
        """Return the leaders, units and aliases questions can name."""
        return self._vocabulary

    async def ask(
        self,
        conn: aiosqlite.Connection,
        text: str,
        *,
        today: date,
        only_unit: int | None = None,
    ) -> Answer:
        """Answer a question about the current plan; `only_unit` limits it to a liaison's unit."""
        await self.refresh(conn, today)
        index = self._index
        year = index.year if index else today.year
        parsed = parse_query(
            text,
            self._vocabulary,
            plan_year=year,
            is_known_word=index.knows if index else (lambda word, exactly: False),
        )
        if index is None:
            return Answer(parsed, SearchResult(parsed, None, []), None)
        if parsed.ambiguous or (parsed.is_empty and parsed.unplaced):
            # Ask which was meant, or say nothing was understood: never "everything".
            answer = Answer(parsed, SearchResult(parsed, None, []), self._plan)
            answer.suggestions = [] if parsed.ambiguous else self.suggest(parsed)
            return answer
        result = index.search(parsed, today=today, only_unit=only_unit)
        answer = Answer(parsed, result, self._plan)
        if not result.ranked and not result.without_status:
            answer.suggestions = self.suggest(parsed)
        return answer

    def suggest(self, parsed: ParsedQuery) -> list[str]:
        """Return the leader and unit names nearest to the words that found nothing."""
        words = parsed.unplaced or parsed.keywords or [parsed.text]
        names = [n.name for n in (*self._vocabulary.leaders, *self._vocabulary.units)]
        scored: dict[str, float] = {}
        for word in words:
            for name, score, _ in process.extract(
                word, names, scorer=fuzz.WRatio, limit=SUGGESTIONS, score_cutoff=50
            ):
                scored[name] = max(score, scored.get(name, 0.0))
        return sorted(scored, key=lambda n: -scored[n])[:SUGGESTIONS]
