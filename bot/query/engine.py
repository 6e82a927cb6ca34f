"""The query engine: keeps the current plan's search index fresh and answers questions."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import aiosqlite
from rapidfuzz import fuzz, process

from bot.query.index import Hit, SearchResult, TargetIndex
from bot.query.parse import ParsedQuery, Vocabulary, parse_query
from bot.turns import step_aside
from storage import search as rows
from storage import targets as plans
from storage.db import in_own_transaction, settled
from storage.targets import Named


async def _vocabulary(conn: aiosqlite.Connection) -> Vocabulary:
    """Return the leaders, units and aliases questions can name."""
    return Vocabulary(
        tuple(await plans.list_leaders(conn)),
        tuple(await plans.list_units(conn)),
        await rows.aliases(conn),
    )


async def _release(index: TargetIndex) -> None:
    """Free an index that was replaced, once the answers made from it are surely sent."""
    await asyncio.sleep(RELEASE_AFTER)
    await index.release()


def _built_index(
    plan_rows: rows.PlanRows, year: int, margin: float, today: date | None
) -> TargetIndex:
    """Return a plan's index, with the latest period's statuses worked out if `today` is known."""
    index = TargetIndex.build(plan_rows, year, margin, consume=True)
    if today is not None:
        index.warm(today)
    return index


SUGGESTIONS = 3
# How long a chat question waits for the index being built at start before it hears so.
PATIENCE = 2.0
# How long a replaced index is kept for the answers being made from it (seconds).
RELEASE_AFTER = 60.0


class Warming(Exception):
    """The index is still being built (at start, or for a new plan) and cannot be waited for."""


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
    """Answers questions about the current plan from an index that follows the data's changes.

    The index is built once, in a worker thread, when the engine first needs it or a table is
    imported; after that, each submission, review, closing, extension or alias changes only the
    entries it touches (storage/search.changes names them). A question that comes while the
    first build runs waits `patience` seconds at most (None: as long as it takes), then hears
    that the index is warming; one that comes during a later build is answered from the index
    it replaces, which is still right but for the change being built.
    """

    def __init__(self, margin_points: int = 15, patience: float | None = None) -> None:
        self.margin = margin_points / 100
        self.patience = patience
        self._head: rows.Head | None = None
        self._plan: plans.Plan | None = None
        self._index: TargetIndex | None = None
        self._vocabulary = Vocabulary((), ())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._building: asyncio.Task[None] | None = None
        self._releasing: asyncio.Task[None] | None = None

    def start(self, conn: aiosqlite.Connection, today: date | None = None) -> None:
        """Start building the index now, without waiting for it (the bot's start)."""
        self._guard()
        if self._building is None and self._head is None:
            self._building = self._spawn(conn, today)

    async def refresh(
        self,
        conn: aiosqlite.Connection,
        today: date | None = None,
        *,
        patience: float | None = None,
    ) -> None:
        """Bring the index up to date with the database: apply what changed, or build it anew.

        With `today`, the latest period's statuses are worked out with a build too, so that the
        first question after it does not wait for them. Waits for a build at most `patience`
        seconds (None: until it is done), then raises Warming if there is no index of the
        current plan to answer from.
        """
        if in_own_transaction(conn) and self._index is not None:
            # What this task wrote may still be rolled back: the index takes changes in only
            # once they are committed (the ids of rolled-back rows are used again).
            return
        for _ in range(3):  # a build that ends may have missed what came during it
            # The connection's lock first, then the engine's: a task inside its transaction
            # (which holds the first) may ask the engine too.
            async with settled(conn), self._guard():
                now = await rows.head(conn)
                follow = now != self._head and self._building is None
                if follow and not await self._follow(conn, now):
                    self._building = self._spawn(conn, today)
                building = self._building
            if building is None:
                return
            step_aside()  # the build is the worker thread's: the next update may work meanwhile
            try:
                await asyncio.wait_for(asyncio.shield(building), patience)
            except TimeoutError:
                if self._index is None or self._head is None or self._head.plan != now.plan:
                    raise Warming from None
                return  # the index it replaces answers meanwhile

    async def _follow(self, conn: aiosqlite.Connection, now: rows.Head) -> bool:
        """Take in the changes up to `now`; False when only a full build can."""
        head, index = self._head, self._index
        if head is None or index is None or head.plan != now.plan:
            return False
        found = await rows.changes(conn, head, now)
        if found.plan:
            return False
        if found.vocabulary:
            self._vocabulary = await _vocabulary(conn)
        if found.assignments or found.targets:
            assert now.plan is not None
            changed = await rows.load_changed(conn, now.plan, found.assignments, found.targets)
            if not index.apply(changed, found.assignments):
                return False
        self._head = now
        return True

    def _guard(self) -> asyncio.Lock:
        """Return the lock of the running event loop (an engine may outlive a loop: tests)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._lock, self._building = loop, asyncio.Lock(), None
        return self._lock

    def _spawn(self, conn: aiosqlite.Connection, today: date | None) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._build(conn, today))
        task.add_done_callback(self._built)
        return task

    def _built(self, task: asyncio.Task[None]) -> None:
        if self._building is task:
            self._building = None
        if not task.cancelled():
            # A failed build fails every refresh that waits for it, which says so; the next
            # refresh tries again.
            task.exception()

    async def _build(self, conn: aiosqlite.Connection, today: date | None) -> None:
        """Build the current plan's index off the event loop and put it in place.

        The collector is paused while the build makes its millions of objects: a collection
        walks them all holding the interpreter's lock, which would stall the event loop as
        surely as building there. They live as long as the index, so they are then frozen out
        of later collections.
        """
        gc.disable()
        try:
            path = await rows.database_file(conn)
            if path is not None:  # its own connection, in a worker thread
                head, plan_rows = await asyncio.to_thread(rows.read_plan_file, path)
            else:  # a database in memory has one connection: read there, build in the thread
                head = await rows.head(conn)
                plan_rows = await rows.load_plan(conn, head.plan) if head.plan else None
            plan = await plans.plan_by_id(conn, head.plan) if head.plan is not None else None
            vocabulary = await _vocabulary(conn)
            index = None
            if plan is not None and plan_rows is not None:
                index = await asyncio.to_thread(
                    _built_index, plan_rows, plan.year, self.margin, today
                )
            del plan_rows
            await asyncio.to_thread(vocabulary.prepare)
            old = self._index
            self._plan, self._index, self._vocabulary, self._head = plan, index, vocabulary, head
            gc.freeze()
        finally:
            gc.enable()
        if old is not None:  # a question being answered may still read it for a while
            self._releasing = asyncio.get_running_loop().create_task(_release(old))

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
        await self.refresh(conn, today, patience=self.patience)
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
