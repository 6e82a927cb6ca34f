"""The search index of a plan, and the search that answers a parsed question from it.

Leader, unit and status filters work on assignments (one row of the table: a leader and units
answer for a target together), so "曹临 水务局" finds the rows where both hold. Keywords,
deadlines and numbers work on targets; keywords are found by the plan's `KeywordIndex`
(bot/query/words.py). Statuses and lights come from the light rule (bot/status/lights.py); the
index keeps the two latest views of them and ranks by light.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import chain
from typing import Any

from bot.query.parse import DeadlineFilter, ParsedQuery
from bot.query.words import KeywordIndex, Texts
from bot.report.periods import period_end
from bot.status.lights import (
    LIGHT_ORDER,
    LIGHTS,
    Risk,
    StatusView,
    latest_period,
    patched_view,
    status_view,
)
from storage.search import PlanRows
from storage.targets import Named, extra_from_json

# A keyword found in this share of the targets (and at least COMMON_MIN) is a common word:
# it is left out when no target has all the words asked (5G基站建设: 建设).
COMMON_SHARE = 0.1
COMMON_MIN = 3
RELEASE_SLICE = 5000  # entries freed between two turns of the event loop

log = logging.getLogger(__name__)


class Reports(Mapping[str, tuple[str, str]]):
    """An assignment's latest official report per period: period → (status, progress).

    Kept flat, (period, status, progress) after one another by period, in one tuple: at 100k
    assignments a dict of tuples each took 25 MB, this a third of it.
    """

    __slots__ = ("_flat",)

    def __init__(self, reports: Mapping[str, tuple[str, str]] | None = None) -> None:
        reports = reports or {}
        self._flat: tuple[str, ...] = tuple(
            chain.from_iterable((p, *reports[p]) for p in sorted(reports))
        )

    @classmethod
    def of(cls, flat: list[str]) -> Reports:
        """Return the reports of a flat list (period, status, progress, …) in any order."""
        made = cls.__new__(cls)
        triples = sorted(zip(flat[::3], flat[1::3], flat[2::3], strict=True))
        made._flat = tuple(chain.from_iterable(triples))
        return made

    def __getitem__(self, period: str) -> tuple[str, str]:
        flat = self._flat
        for i in range(0, len(flat), 3):
            if flat[i] == period:
                return flat[i + 1], flat[i + 2]
        raise KeyError(period)

    def get(self, period: str, default: Any = None) -> Any:
        flat = self._flat
        for i in range(0, len(flat), 3):
            if flat[i] == period:
                return flat[i + 1], flat[i + 2]
        return default

    def __contains__(self, period: object) -> bool:
        return period in self._flat[::3]

    def __iter__(self) -> Iterator[str]:
        return iter(self._flat[::3])

    def __len__(self) -> int:
        return len(self._flat) // 3

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Reports):
            return self._flat == other._flat
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # equal to a dict, so not hashable either

    def __repr__(self) -> str:
        return f"Reports({dict(self.items())!r})"


NO_REPORTS = Reports()


@dataclass(frozen=True, slots=True)
class IndexedAssignment:
    """An assignment as the search sees it."""

    id: int
    target: int  # index into TargetIndex.targets
    leader: Named
    units: tuple[Named, ...]  # the lead units
    reports: Reports  # period → (status, progress) of the latest revision
    assisting: tuple[Named, ...] = ()  # units of a 配合单位 column (found by them too)


@dataclass(frozen=True, slots=True)
class IndexedTarget:
    """A target as the search sees it."""

    id: int
    number: int
    content: str
    deadline: str
    due_date: date | None
    assignments: tuple[int, ...]  # indexes into TargetIndex.assignments
    label: str | None = None  # the number as the table shows it when numbering restarts: 2-3
    category: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    closed_on: date | None = None  # 办结: the day an admin closed it
    extended: bool = False  # an approved extension request (延期) moved its due date

    @property
    def shown_number(self) -> str:
        """Return the number the way the table shows it: 2-3 when labelled, else 86."""
        return self.label or str(self.number)


@dataclass
class Hit:
    """A target found, with the assignments that matched."""

    target: IndexedTarget
    assignments: list[IndexedAssignment]  # those that matched the question
    view: StatusView
    pool: list[IndexedAssignment]  # the index's assignments

    @property
    def assignments_of_target(self) -> list[IndexedAssignment]:
        """Return all the target's assignments, lead row first."""
        return [self.pool[a] for a in self.target.assignments]

    @property
    def status(self) -> str:
        """Return the target's status: the first in STATUS_ORDER any of its assignments has."""
        return self.view.status_of(self.target.assignments)

    @property
    def carried_from(self) -> str | None:
        """Return the earlier period the target's status comes from, if not this period's."""
        return self.view.carried_from(self.target.assignments)

    @property
    def period(self) -> str | None:
        """Return the period the target's status is from (the view's, or an earlier one)."""
        return self.carried_from or self.view.period

    @property
    def light(self) -> str:
        """Return the traffic light of the target's status."""
        return LIGHTS[self.status]

    @property
    def risk(self) -> Risk | None:
        """Return what the numbers say of the target: its assignment furthest behind."""
        return self.view.risk_of(self.target.assignments)


@dataclass
class SearchResult:
    """What a question found, ranked, and what it would have found without its status words.

    Hits are made only when asked for: a chat page needs ten of them, a count none.
    """

    query: ParsedQuery
    period: str | None
    ranked: Sequence[int]  # target indexes, best first (an array: 4 bytes a target found)
    index: TargetIndex | None = None
    view: StatusView | None = None
    matched: set[int] | None = None  # the assignments that matched, None for all
    without_status: int | None = None  # how many matched the other filters, when status did not
    counts: tuple[int, ...] = ()  # how many targets found have each light of LIGHT_ORDER
    dropped: list[str] = field(default_factory=list)  # common keywords no target had with the rest

    def __len__(self) -> int:
        return len(self.ranked)

    def light_counts(self) -> dict[str, int]:
        """Return how many targets found have each light, in list order, only lights found."""
        return {light: n for light, n in zip(LIGHT_ORDER, self.counts, strict=False) if n}

    def hit(self, target: int) -> Hit:
        """Return the hit of one target index."""
        assert self.index is not None
        assert self.view is not None
        pool = self.index.assignments
        mine = self.index.targets[target].assignments
        found = mine if self.matched is None else [a for a in mine if a in self.matched]
        return Hit(
            self.index.targets[target],
            [pool[a] for a in found],
            self.view,
            pool,
        )

    def page(self, number: int, size: int) -> list[Hit]:
        """Return the hits of one page (0-based)."""
        return [self.hit(t) for t in self.ranked[number * size : (number + 1) * size]]

    @property
    def hits(self) -> list[Hit]:
        """Return every hit, ranked."""
        return [self.hit(t) for t in self.ranked]


@dataclass
class TargetIndex:
    """Everything a search needs, in memory, for one plan: build it, filter, rank by light."""

    year: int
    targets: list[IndexedTarget]
    assignments: list[IndexedAssignment]
    by_leader: dict[int, array[int]]  # leader id → assignment indexes, ascending
    by_unit: dict[int, array[int]]  # unit id → assignment indexes, ascending
    by_number: Positions  # target number → target index (the last, if a number repeats)
    words: KeywordIndex
    periods: list[str]
    assignment_target: array[int]  # assignment index → target index
    by_due: dict[date | None, array[int]]  # due date (None: ongoing) → target indexes
    margin: float  # how far completion may trail time before a target is at risk
    by_target_id: Positions  # target id → target index
    by_assignment_id: Positions  # assignment id → assignment index
    _views: dict[tuple[str | None, date, bool], StatusView] = field(default_factory=dict)

    @classmethod
    def build(
        cls, rows: PlanRows, year: int, margin: float = 0.15, *, consume: bool = False
    ) -> TargetIndex:
        """Build the index of a plan from its rows; with `consume`, empty them as it goes.

        (At 100k targets the rows take some 90 MB: what is freed early is used again by what
        comes next, and the process's peak stays lower.)
        """
        periods = sorted({report.period for report in rows.reports})
        assignments, of_target = indexed_assignments(rows, consume=consume)
        targets = indexed_targets(rows, of_target, consume=consume)
        # Indexes in arrays, not sets of int objects: a tenth of the memory at 100k targets.
        by_leader: dict[int, array[int]] = {}
        by_unit: dict[int, array[int]] = {}
        for index, assignment in enumerate(assignments):
            by_leader.setdefault(assignment.leader.id, array("i")).append(index)
            units = {unit.id for unit in (*assignment.units, *assignment.assisting)}
            for unit_id in units:
                by_unit.setdefault(unit_id, array("i")).append(index)
        by_due: dict[date | None, array[int]] = {}
        for index, target in enumerate(targets):
            by_due.setdefault(target.due_date, array("i")).append(index)
        return cls(
            year=year,
            targets=targets,
            assignments=assignments,
            by_leader=by_leader,
            by_unit=by_unit,
            by_number=Positions([t.number for t in targets]),
            words=_keywords(targets, assignments, periods[-1] if periods else None),
            periods=periods,
            assignment_target=array("i", (a.target for a in assignments)),
            by_due=by_due,
            margin=margin,
            by_target_id=Positions([t.id for t in targets]),
            by_assignment_id=Positions([a.id for a in assignments]),
        )

    # -------------------------------------------------------------- changes

    async def release(self) -> None:
        """Let go of an index no longer used, a slice at a time (freeing 100k targets at once
        would stall the event loop)."""
        self._views.clear()
        for big in (self.targets, self.assignments):
            while big:
                del big[-RELEASE_SLICE:]
                await asyncio.sleep(0)
        await _drain(self.words.known_postings)
        await _drain(self.words.content_postings)

    def apply(self, changed: PlanRows, assignment_ids: Iterable[int]) -> bool:
        """Take in what changed since the build: some targets' rows, some assignments' reports.

        `changed` holds the changed targets' rows (due date, closing, extension) and every
        period's latest official report of the assignments named by `assignment_ids` (none
        when an assignment has no official report left). Statuses, lights and keywords follow
        at the cost of what changed. Returns False, changing nothing, when only a full build
        can take it in: a target the index does not know, or a period none had before.
        """
        reports: dict[int, dict[str, tuple[str, str]]] = {
            a: {} for a in assignment_ids if a in self.by_assignment_id
        }
        for report in changed.reports:
            if report.assignment_id in reports:
                reports[report.assignment_id][report.period] = (report.status, report.progress)
        known = set(self.periods)
        if any(p not in known for found in reports.values() for p in found):
            return False
        if any(row.id not in self.by_target_id for row in changed.targets):
            return False
        touched: set[int] = set()
        latest = self.periods[-1] if self.periods else None
        new: dict[int, IndexedAssignment] = {}
        progressed: set[int] = set()
        for assignment_id, found in reports.items():
            index = self.by_assignment_id[assignment_id]
            old = self.assignments[index]
            if old.reports == found:
                continue
            new[index] = replace(old, reports=Reports(found))
            if latest is not None and old.reports.get(latest) != found.get(latest):
                progressed.add(old.target)
        # Everything worked out before anything changes: a row that fails to read (a
        # malformed date) leaves the index as it was.
        retargeted: list[tuple[int, IndexedTarget]] = []
        for row in changed.targets:
            index = self.by_target_id[row.id]
            new_target = replace(
                self.targets[index],
                deadline=row.deadline,
                due_date=_due_date(row.number, row.due_date),
                closed_on=date.fromisoformat(row.closed_on) if row.closed_on else None,
                extended=bool(row.extended),
            )
            if new_target != self.targets[index]:
                retargeted.append((index, new_target))
        known_before = {target: self.words.texts.progress(target) for target in progressed}
        for index, assignment in new.items():
            self.assignments[index] = assignment
            touched.add(index)
        for target, before in known_before.items():
            self.words.update(target, before, self.words.texts.progress(target))
        for index, new_target in retargeted:
            old_target, self.targets[index] = self.targets[index], new_target
            if new_target.due_date != old_target.due_date:
                self.by_due[old_target.due_date].remove(index)
                self.by_due.setdefault(new_target.due_date, array("i")).append(index)
            touched.update(new_target.assignments)
        if touched:
            for key, view in list(self._views.items()):
                self._views[key] = patched_view(
                    view,
                    self.targets,
                    self.assignments,
                    touched,
                    year=self.year,
                    margin=self.margin,
                    carry=key[2],
                )
        return True

    # -------------------------------------------------------------- keywords

    @property
    def contents(self) -> list[str]:
        """Return the normalised content of every target."""
        return self.words.contents

    @property
    def progresses(self) -> list[str]:
        """Return the normalised latest progress and unit names of every target."""
        return self.words.progresses

    def find_word(self, word: str) -> dict[int, float]:
        """Return the targets a keyword finds with their scores: own text, progress, or near."""
        return self.words.find(word)

    def forget_words(self) -> None:
        """Forget remembered keyword lookups (benchmarks measure them cold)."""
        self.words.forget()

    def knows(self, word: str, exactly: bool) -> bool:
        """Tell whether a word occurs in any target's text, exactly or (if not `exactly`) nearly."""
        return self.words.knows(word, exactly)

    # -------------------------------------------------------------- statuses

    def status_view(self, period: str | None, as_of: date, *, carry: bool = False) -> StatusView:
        """Return every assignment's status for a period, as of a day (for overdue).

        With `carry`, an assignment not reported for the period shows its latest earlier status.
        The rule is bot/status/lights.py's; the index keeps the views it was asked for.
        """
        key = (period, as_of, carry)
        if key not in self._views:
            view = status_view(
                self.targets,
                self.assignments,
                self.assignment_target,
                period,
                as_of,
                year=self.year,
                margin=self.margin,
                carry=carry,
            )
            # The latest view and one asked for by its period are kept: memory stays flat.
            if len(self._views) >= 2:
                self._views.pop(next(iter(self._views)))
            self._views[key] = view
        return self._views[key]

    def latest_view(self, today: date) -> StatusView:
        """Return the latest known statuses, as of today or the latest reported period's end.

        The period is the latest with reports; what it still lacks shows the report before.
        """
        period, as_of = latest_period(self.periods, today)
        return self.status_view(period, as_of, carry=True)

    def warm(self, today: date) -> None:
        """Work out the latest period's statuses ahead of the first question."""
        self.latest_view(today)

    def light_of(self, number: int, *, today: date) -> Hit | None:
        """Return target `number` as a hit for the latest period: its status, light and risk."""
        index = self.by_number.get(number)
        if index is None:
            return None
        view = self.latest_view(today)
        return SearchResult(ParsedQuery(text=""), view.period, [index], self, view).hit(index)

    def leader_lights(self, leader_id: int, *, today: date) -> list[Hit]:
        """Return a leader's targets as hits for the latest period, by number."""
        view = self.latest_view(today)
        mine = self.by_leader.get(leader_id, array("i"))
        owner = self.assignment_target
        found = sorted({owner[a] for a in mine}, key=lambda t: self.targets[t].number)
        result = SearchResult(ParsedQuery(text=""), view.period, found, self, view, set(mine))
        return result.hits

    def completed_assignments(self) -> set[int]:
        """Return the ids of the assignments whose latest report says completed."""
        return {
            a.id
            for a in self.assignments
            if a.reports and a.reports[max(a.reports)][0] == "completed"
        }

    # -------------------------------------------------------------- the search

    def search(
        self,
        query: ParsedQuery,
        *,
        today: date,
        only_unit: int | None = None,
    ) -> SearchResult:
        """Answer a parsed question; `only_unit` limits it to one unit's assignments.

        Without a period asked for, statuses are the latest known (see `latest_view`). The
        targets come red, yellow, white, green, and by number within a light.
        """
        view = (
            self.status_view(query.period, min(today, period_end(query.period)))
            if query.period
            else self.latest_view(today)
        )
        assignments, before_status = self._assignment_filters(query, view, only_unit)
        targets, dropped = self._target_filters(query, today)
        found = self._targets_of(assignments, targets)
        # By light, then by number (indexes follow numbers).
        if isinstance(found, range):  # every target
            ranked = view.order
            counts = tuple(len(members) for members in view.lights)
        else:
            buckets = view.by_light(found)
            ranked = array("i", chain.from_iterable(buckets))
            counts = tuple(len(bucket) for bucket in buckets)
        result = SearchResult(query, view.period, ranked, self, view, assignments)
        result.counts = counts
        result.dropped = dropped
        if not ranked and query.statuses:
            result.without_status = len(self._targets_of(before_status, targets))
        return result

    def _assignment_filters(
        self, query: ParsedQuery, view: StatusView, only_unit: int | None
    ) -> tuple[set[int] | None, set[int] | None]:
        """Apply unit, leaders, units and statuses; return what is left and what was before them.

        None stands for every assignment.
        """
        assignments: set[int] | None = None

        def narrow(found: set[int]) -> None:
            nonlocal assignments
            assignments = found if assignments is None else assignments & found

        if only_unit is not None:
            narrow(set(self.by_unit.get(only_unit, ())))
        if query.leaders:
            narrow(set().union(*(self.by_leader.get(p.id, ()) for p in query.leaders)))
        if query.units:
            narrow(set().union(*(self.by_unit.get(u.id, ()) for u in query.units)))
        before_status = assignments
        if query.statuses:
            narrow(set().union(*(view.members.get(s, set()) for s in query.statuses)))
        return assignments, before_status

    def _targets_of(
        self, assignments: set[int] | None, targets: set[int] | None
    ) -> set[int] | range:
        """Return the targets that have a matching assignment and pass the target filters."""
        if assignments is None:
            return targets if targets is not None else range(len(self.targets))
        owner = self.assignment_target
        if targets is None:
            return {owner[a] for a in assignments}
        return {t for a in assignments if (t := owner[a]) in targets}

    def _target_filters(self, query: ParsedQuery, today: date) -> tuple[set[int] | None, list[str]]:
        """Apply numbers, deadline and keywords; return the targets left, and the common
        keywords left out because no target had every word."""
        targets: set[int] | None = None

        def narrow(found: Iterable[int]) -> None:
            nonlocal targets
            found = set(found)
            targets = found if targets is None else targets & found

        if query.numbers:
            narrow(self.by_number[n] for n in query.numbers if n in self.by_number)
        if query.deadline is not None:
            wanted = query.deadline
            narrow(
                i
                for due, members in self.by_due.items()
                if _due_matches(due, wanted, today)
                for i in members
            )
        found_by_word = {word: self.words.find(word) for word in query.keywords}
        kept = self._telling(found_by_word)
        for word in kept:
            narrow(found_by_word[word])
        return targets, [w for w in found_by_word if w not in kept]

    def _telling(self, found_by_word: dict[str, dict[int, float]]) -> list[str]:
        """Return the keywords to filter by: all of them, unless no target has them all.

        Then common words go first (an official writes `5G基站建设`: 建设 is in many targets,
        5G基站 in one), most common first, while they are common; rare words always stay.
        """
        kept = list(found_by_word)
        common = max(COMMON_MIN, COMMON_SHARE * len(self.targets))
        while len(kept) > 1 and not set.intersection(*(set(found_by_word[w]) for w in kept)):
            commonest = max(kept, key=lambda w: len(found_by_word[w]))
            if len(found_by_word[commonest]) < common:
                break
            kept.remove(commonest)
        return kept


class Positions(Mapping[int, int]):
    """Where each key (an id, a number) stands in a list: a dict of int to int in two arrays.

    At 100k targets a dict takes some 8 MB, these 1.2 MB; a lookup is a binary search. Where a
    key repeats (a number written twice), the last place of it is found, as a dict would keep.
    """

    __slots__ = ("_keys", "_places")

    def __init__(self, keys: Iterable[int]) -> None:
        self._keys = array("q", keys)
        ordered = self._keys
        if all(ordered[i] <= ordered[i + 1] for i in range(len(ordered) - 1)):  # usually
            self._places = array("i", range(len(self._keys)))
            return
        pairs = sorted((key, place) for place, key in enumerate(self._keys))
        self._keys = array("q", (key for key, _ in pairs))
        self._places = array("i", (place for _, place in pairs))

    def _find(self, key: object) -> int:
        if not isinstance(key, int):
            return -1
        found = bisect_right(self._keys, key) - 1
        return found if found >= 0 and self._keys[found] == key else -1

    def __getitem__(self, key: int) -> int:
        found = self._find(key)
        if found < 0:
            raise KeyError(key)
        return self._places[found]

    def __contains__(self, key: object) -> bool:
        return self._find(key) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(dict.fromkeys(self._keys))

    def __len__(self) -> int:
        return len(dict.fromkeys(self._keys))


async def _drain(mapping: dict[Any, Any]) -> None:
    """Empty a big mapping a slice at a time, letting the event loop run between slices."""
    while mapping:
        for key in list(itertools.islice(mapping, RELEASE_SLICE)):
            del mapping[key]
        await asyncio.sleep(0)


def indexed_targets(
    rows: PlanRows, of_target: dict[int, list[int]], *, consume: bool = False
) -> list[IndexedTarget]:
    """Return a plan's targets as the search sees them, given each one's assignment indexes;
    with `consume`, each row is let go once it is read (see `_taken`)."""
    dates: dict[str | None, date | None] = {}  # one date object a day, not one a target

    def due(number: int, stored: str | None) -> date | None:
        if stored not in dates:
            dates[stored] = _due_date(number, stored)
        return dates[stored]

    # A table's other columns repeat their headers on every row, and often their values (是,
    # 否, a unit's name): one str each, shared by every target that has it.
    words: dict[str, str] = {}

    def extra(stored: str | None) -> tuple[tuple[str, str], ...]:
        return tuple(
            (words.setdefault(header, header), words.setdefault(value, value))
            if len(value) <= 24
            else (words.setdefault(header, header), value)
            for header, value in extra_from_json(stored)
        )

    return [
        IndexedTarget(
            row.id,
            row.number,
            row.content,
            row.deadline,
            due(row.number, row.due_date),
            tuple(of_target.get(row.id, ())),
            row.label,
            row.category,
            extra(row.extra),
            date.fromisoformat(row.closed_on) if row.closed_on else None,
            bool(row.extended),
        )
        for row in _taken(rows.targets, consume)
    ]


def _taken(rows: list[Any], consume: bool) -> Iterable[Any]:
    """Return the rows in order; with `consume`, empty the list as they are read.

    What is freed row by row is used again by what is built from them: the plan's rows are not
    all alive beside the index at once (at 100k targets the process's peak is lower).
    """
    if not consume:
        return rows
    rows.reverse()

    def popping() -> Iterator[Any]:
        while rows:
            yield rows.pop()

    return popping()


def indexed_assignments(
    rows: PlanRows, *, consume: bool = False
) -> tuple[list[IndexedAssignment], dict[int, list[int]]]:
    """Return a plan's assignments with their reports, and each target id's assignment indexes.

    An assignment of a target not in the plan is left out.
    """
    position = {row.id: i for i, row in enumerate(rows.targets)}
    reports: dict[int, list[str]] = {}
    for report in _taken(rows.reports, consume):
        reports.setdefault(report.assignment_id, []).extend(
            (report.period, report.status, report.progress)
        )
    assignments: list[IndexedAssignment] = []
    of_target: dict[int, list[int]] = {}
    for row in _taken(rows.assignments, consume):
        flat = reports.pop(row.id, None)  # let go once made into the assignment's Reports
        if row.target_id not in position:
            continue
        of_target.setdefault(row.target_id, []).append(len(assignments))
        assignments.append(
            IndexedAssignment(
                row.id,
                position[row.target_id],
                row.leader,
                row.units,
                Reports.of(flat) if flat else NO_REPORTS,
                row.assisting,
            )
        )
    return assignments, of_target


def _keywords(
    targets: list[IndexedTarget], assignments: list[IndexedAssignment], latest: str | None
) -> KeywordIndex:
    """Return the keyword index of the targets' contents and what else they are known by.

    That is their latest progress texts and their units' names (医保 finds the targets of
    市医保局 too). The index reads them from these lists, which the search keeps up to date.
    """

    def known_by(target: int) -> list[str]:
        mine = [assignments[a] for a in targets[target].assignments]
        texts = [] if latest is None else [r[1] for a in mine if (r := a.reports.get(latest))]
        return texts + [u.name for a in mine for u in a.units]

    return KeywordIndex.build(Texts(targets.__len__, lambda i: targets[i].content, known_by))


def _due_date(number: int, stored: str | None) -> date | None:
    """Return a target's stored due date; a malformed one is logged and read as none."""
    if not stored:
        return None
    try:
        return date.fromisoformat(stored)
    except ValueError:
        log.warning("target #%s: unreadable due date %r, taken as none", number, stored[:40])
        return None


def _due_matches(due: date | None, wanted: DeadlineFilter, today: date) -> bool:
    if wanted.this_month:
        return due is not None and (due.year, due.month) == (today.year, today.month)
    if wanted.ongoing:
        return due is None
    return wanted.due_date is not None and due == wanted.due_date
