"""The query engine: keeps the current plan's search index fresh and answers questions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import aiosqlite
from rapidfuzz import fuzz, process

from bot.query.index import Hit, SearchResult, TargetIndex
from bot.query.parse import ParsedQuery, Vocabulary, parse_query
from storage import search as rows
from storage import targets as plans
from storage.targets import Named

SUGGESTIONS = 3


@dataclass(frozen=True)
class Asker:
    """Who asks, as far as "my" targets go: a leader, or a liaison's unit, or neither."""

    leader: Named | None = None
    unit: Named | None = None


@dataclass
class Answer:
    """A question, how it was understood, what it found, and what to try when nothing.

    `mine_unbound`: the question asked for "my" targets, but the asker has no leader or unit.
    `outside_unit`: a liaison asked for targets that exist, but none of them is their unit's.
    """

    parsed: ParsedQuery
    result: SearchResult
    plan: plans.Plan | None
    suggestions: list[str] = field(default_factory=list)
    mine_unbound: bool = False
    outside_unit: Named | None = None

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
        # One refresh at a time: people's questions run side by side, and each would otherwise
        # load and build the whole index again when it changed.
        self._refreshing = asyncio.Lock()

    async def refresh(self, conn: aiosqlite.Connection, today: date | None = None) -> None:
        """Rebuild the index if targets, reports, aliases or the current plan changed.

        With `today`, the latest period's statuses are worked out now too, so that the first
        question after a change does not wait for them.
        """
        async with self._refreshing:
            await self._refresh(conn, today)

    async def _refresh(self, conn: aiosqlite.Connection, today: date | None) -> None:
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
            # The names' segmenter and pinyin are made now, not on the first question.
            self._vocabulary.segmenter  # noqa: B018
            self._vocabulary.pinyin  # noqa: B018

    @property
    def index(self) -> TargetIndex | None:
        """Return the current plan's index (after `refresh`)."""
        return self._index

    @property
    def vocabulary(self) -> Vocabulary:
        """Return the leaders, units and aliases questions can name."""
        return self._vocabulary

    async def completed_assignments(self, conn: aiosqlite.Connection, today: date) -> set[int]:
        """Return the ids of the current plan's assignments whose latest report says completed."""
        await self.refresh(conn, today)
        return self._index.completed_assignments() if self._index else set()

    async def leader_lights(
        self, conn: aiosqlite.Connection, leaders: Iterable[int], today: date
    ) -> dict[int, list[Hit]]:
        """Return each leader's targets in the current plan, by number, with their lights.

        The lights are the latest known (see `TargetIndex.latest_view`); no plan, no lights.
        """
        await self.refresh(conn, today)
        index = self._index
        if index is None:
            return {}
        return {leader: index.leader_lights(leader, today=today) for leader in leaders}

    async def ask(
        self,
        conn: aiosqlite.Connection,
        text: str,
        *,
        today: date,
        only_unit: int | None = None,
        asker: Asker | None = None,
    ) -> Answer:
        """Answer a question about the current plan; `only_unit` limits it to a liaison's unit.

        "My" targets are the `asker`'s: a leader's own, or a unit's.
        """
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
        if parsed.only_courtesy:
            return Answer(parsed, SearchResult(parsed, None, []), self._plan)
        if parsed.mine:
            if asker is not None and asker.leader is not None:
                parsed.leaders = [asker.leader, *(p for p in parsed.leaders if p != asker.leader)]
            elif asker is not None and asker.unit is not None:
                parsed.units = [asker.unit, *(u for u in parsed.units if u != asker.unit)]
            else:  # say what "my" means rather than answer with the whole plan
                return Answer(parsed, SearchResult(parsed, None, []), self._plan, mine_unbound=True)
        # 公安局 滞后 where the plan has no 公安局: none of its targets, not every unit's.
        asked_elsewhere = bool(parsed.not_in_plan) and not parsed.units
        if parsed.ambiguous or (parsed.is_empty and parsed.unplaced) or asked_elsewhere:
            # Ask which was meant, or say nothing was understood: never "everything".
            answer = Answer(parsed, SearchResult(parsed, None, []), self._plan)
            answer.suggestions = [] if parsed.ambiguous else self.suggest(parsed, only_unit)
            return answer
        result = index.search(parsed, today=today, only_unit=only_unit)
        answer = Answer(parsed, result, self._plan)
        if result.ranked or result.without_status:
            return answer
        if only_unit is not None and index.search(parsed, today=today).ranked:
            # Such targets exist, but not the liaison's unit's: say so, suggest nothing else.
            answer.outside_unit = next(
                (u for u in self._vocabulary.units if u.id == only_unit), None
            )
            if answer.outside_unit is not None:
                return answer
        answer.suggestions = self.suggest(parsed, only_unit)
        return answer

    def suggest(self, parsed: ParsedQuery, only_unit: int | None = None) -> list[str]:
        """Return the leader and unit names nearest to the words that found nothing.

        A name the question already holds is never suggested: asking it again would give the
        same answer. A liaison is offered no other unit or leader than their own unit.
        """
        words = parsed.unplaced or parsed.keywords or [parsed.text]
        held = {n.name for n in (*parsed.leaders, *parsed.units)}
        candidates = (
            [u for u in self._vocabulary.units if u.id == only_unit]
            if only_unit is not None
            else [*self._vocabulary.leaders, *self._vocabulary.units]
        )
        names = [n.name for n in candidates if n.name not in held]
        scored: dict[str, float] = {}
        for word in words:
            for name, score, _ in process.extract(
                word, names, scorer=fuzz.WRatio, limit=SUGGESTIONS, score_cutoff=50
            ):
                scored[name] = max(score, scored.get(name, 0.0))
        return sorted(scored, key=lambda n: -scored[n])[:SUGGESTIONS]
