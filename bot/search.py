"""The search index of a plan, and the search that answers a parsed question from it.

Leader, unit and status filters work on assignments (one row of the table: a leader and units
answer for a target together), so "曹临 水务局" finds the rows where both hold. Keywords,
deadlines and numbers work on targets. A character-bigram index finds keywords without reading
every text, so two-character Chinese words (医保, 就业) are found exactly and fast.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz

from bot.periods import period_end
from bot.query import ParsedQuery, normalise_text
from storage.search import PlanRows
from storage.targets import Named

CONTENT_SCORE = 3.0
PROGRESS_SCORE = 1.0
FUZZY_SCORE = 0.5
FUZZY_CUTOFF = 80.0

# Status words of the query → the statuses an assignment can be in for a period.
LIGHTS = {
    "behind": "🔴",
    "overdue": "🔴",
    "at_risk": "🟡",
    "on_track": "🟢",
    "completed": "🟢",
    "not_submitted": "⚪",
}
# How a target's status is taken from its assignments': the first that any of them has.
STATUS_ORDER = ("behind", "overdue", "at_risk", "not_submitted", "on_track", "completed")


@dataclass(frozen=True)
class IndexedAssignment:
    """An assignment as the search sees it."""

    id: int
    target: int  # index into TargetIndex.targets
    leader: Named
    units: tuple[Named, ...]
    reports: dict[str, tuple[str, str]]  # period → (status, progress) of the latest revision


@dataclass(frozen=True)
class IndexedTarget:
    """A target as the search sees it."""

    id: int
    number: int
    content: str
    deadline: str
    due_date: date | None
    assignments: tuple[int, ...]  # indexes into TargetIndex.assignments


@dataclass(frozen=True)
class StatusView:
    """Every assignment's status for one period, as of one day (for overdue)."""

    period: str | None
    of: list[str]  # status per assignment index
    members: dict[str, set[int]]  # status → assignment indexes


@dataclass
class Hit:
    """A target found, with the assignments that matched."""

    target: IndexedTarget
    assignments: list[IndexedAssignment]  # those that matched the question
    score: float
    view: StatusView
    pool: list[IndexedAssignment]  # the index's assignments

    @property
    def assignments_of_target(self) -> list[IndexedAssignment]:
        """Return all the target's assignments, lead row first."""
        return [self.pool[a] for a in self.target.assignments]

    @property
    def status(self) -> str:
        """Return the target's status: the first in STATUS_ORDER any of its assignments has."""
        if not self.target.assignments:
            return "not_submitted"
        mine = {self.view.of[a] for a in self.target.assignments}
        return next(status for status in STATUS_ORDER if status in mine)

    @property
    def light(self) -> str:
        """Return the traffic light of the target's status."""
        return LIGHTS[self.status]


@dataclass
class SearchResult:
    """What a question found, ranked, and what it would have found without its status words."""

    query: ParsedQuery
    period: str | None
    hits: list[Hit]
    without_status: int | None = None  # how many matched the other filters, when status did not


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


@dataclass
class TargetIndex:
    """Everything a search needs, in memory, for one plan."""

    year: int
    targets: list[IndexedTarget]
    assignments: list[IndexedAssignment]
    by_leader: dict[int, set[int]]
    by_unit: dict[int, set[int]]
    by_number: dict[int, int]
    contents: list[str]  # normalised content per target
    progresses: list[str]  # normalised latest progress and unit names of a target
    postings: dict[str, array[int]]  # bigram → targets whose content or progress has it
    periods: list[str]
    _views: dict[tuple[str | None, date], StatusView] = field(default_factory=dict)

    @classmethod
    def build(cls, rows: PlanRows, year: int) -> TargetIndex:
        """Build the index of a plan from its rows."""
        position = {row.id: i for i, row in enumerate(rows.targets)}
        reports: dict[int, dict[str, tuple[str, str]]] = {}
        for report in rows.reports:
            reports.setdefault(report.assignment_id, {})[report.period] = (
                report.status,
                report.progress,
            )
        assignments: list[IndexedAssignment] = []
        of_target: dict[int, list[int]] = {}
        by_leader: dict[int, set[int]] = {}
        by_unit: dict[int, set[int]] = {}
        for row in rows.assignments:
            if row.target_id not in position:
                continue
            index = len(assignments)
            assignments.append(
                IndexedAssignment(
                    row.id, position[row.target_id], row.leader, row.units, reports.get(row.id, {})
                )
            )
            of_target.setdefault(row.target_id, []).append(index)
            by_leader.setdefault(row.leader.id, set()).add(index)
            for unit in row.units:
                by_unit.setdefault(unit.id, set()).add(index)
        targets = [
            IndexedTarget(
                row.id,
                row.number,
                row.content,
                row.deadline,
                date.fromisoformat(row.due_date) if row.due_date else None,
                tuple(of_target.get(row.id, ())),
            )
            for row in rows.targets
        ]
        periods = sorted({report.period for report in rows.reports})
        latest = periods[-1] if periods else None
        contents = [normalise_text(t.content) for t in targets]
        # What else a target is known by: its latest progress texts and its units' names
        # (医保 finds the targets of 市医保局 too).
        progresses = [
            normalise_text(
                "\n".join(
                    [
                        assignments[a].reports[latest][1]
                        for a in t.assignments
                        if latest in assignments[a].reports
                    ]
                    + [u.name for a in t.assignments for u in assignments[a].units]
                )
            )
            for t in targets
        ]
        collected: dict[str, list[int]] = {}
        for index, (content, progress) in enumerate(zip(contents, progresses, strict=True)):
            for gram in _bigrams(content) | _bigrams(progress):
                collected.setdefault(gram, []).append(index)
        postings = {gram: array("i", ids) for gram, ids in collected.items()}
        return cls(
            year=year,
            targets=targets,
            assignments=assignments,
            by_leader=by_leader,
            by_unit=by_unit,
            by_number={t.number: i for i, t in enumerate(targets)},
            contents=contents,
            progresses=progresses,
            postings=postings,
            periods=periods,
        )

    # -------------------------------------------------------------- keywords

    def _exact(self, word: str) -> set[int]:
        """Return the targets whose content or progress contains `word`."""
        if len(word) < 2:
            return {
                i
                for i, (c, p) in enumerate(zip(self.contents, self.progresses, strict=True))
                if word in c or word in p
            }
        lists = sorted((self.postings.get(g, array("i")) for g in _bigrams(word)), key=len)
        candidates = set(lists[0])
        for more in lists[1:]:
            if not candidates:
                break
            candidates.intersection_update(more)
        if len(word) == 2:
            return candidates
        return {i for i in candidates if word in self.contents[i] or word in self.progresses[i]}

    def _fuzzy(self, word: str) -> set[int]:
        """Return the targets with a near match of a longer word (typos), if it has none exact."""
        grams = _bigrams(word)
        if len(word) < 4 or not grams:  # shorter words with a typo could be anything
            return set()
        counts: Counter[int] = Counter()
        for gram in grams:
            counts.update(self.postings.get(gram, ()))
        needed = math.ceil(len(grams) / 2)
        return {
            i
            for i, n in counts.items()
            if n >= needed
            and max(
                fuzz.partial_ratio(word, self.contents[i]),
                fuzz.partial_ratio(word, self.progresses[i]),
            )
            >= FUZZY_CUTOFF
        }

    def find_word(self, word: str) -> tuple[set[int], bool]:
        """Return the targets a keyword finds, and whether the match was exact."""
        word = normalise_text(word)
        exact = self._exact(word)
        if exact:
            return exact, True
        return self._fuzzy(word), False

    def knows(self, word: str, exactly: bool) -> bool:
        """Tell whether a word occurs in any target's text, exactly or (if not `exactly`) nearly."""
        word = normalise_text(word)
        return bool(self._exact(word) if exactly else self._fuzzy(word))

    # -------------------------------------------------------------- statuses

    def status_view(self, period: str | None, as_of: date) -> StatusView:
        """Return every assignment's status for a period, as of a day (for overdue)."""
        key = (period, as_of)
        if key not in self._views:
            of = [self._status(a, period, as_of) for a in self.assignments]
            members: dict[str, set[int]] = {status: set() for status in LIGHTS}
            for index, status in enumerate(of):
                members[status].add(index)
            self._views = {key: StatusView(period, of, members)}  # only the latest: flat memory
        return self._views[key]

    def _status(self, assignment: IndexedAssignment, period: str | None, as_of: date) -> str:
        report = assignment.reports.get(period) if period else None
        status = report[0] if report else "not_submitted"
        due = self.targets[assignment.target].due_date
        if status != "completed" and due is not None and due < as_of:
            return "overdue" if status != "behind" else "behind"
        return status

    # -------------------------------------------------------------- the search

    def search(
        self,
        query: ParsedQuery,
        *,
        today: date,
        only_unit: int | None = None,
    ) -> SearchResult:
        """Answer a parsed question; `only_unit` limits it to one unit's assignments."""
        period = query.period or (self.periods[-1] if self.periods else None)
        as_of = min(today, period_end(period)) if period else today
        view = self.status_view(period, as_of)
        assignments: set[int] | None = None

        def narrow(found: set[int]) -> None:
            nonlocal assignments
            assignments = found if assignments is None else assignments & found

        if only_unit is not None:
            narrow(set(self.by_unit.get(only_unit, ())))
        if query.leaders:
            narrow(set().union(*(self.by_leader.get(p.id, set()) for p in query.leaders)))
        if query.units:
            narrow(set().union(*(self.by_unit.get(u.id, set()) for u in query.units)))
        before_status = assignments
        if query.statuses:
            narrow(set().union(*(view.members.get(s, set()) for s in query.statuses)))

        targets, scores = self._target_filters(query, today)
        hits = self._hits(assignments, targets, scores, view)
        result = SearchResult(query, period, hits)
        if not hits and query.statuses:
            result.without_status = len(self._hits(before_status, targets, scores, view))
        return result

    def _target_filters(
        self, query: ParsedQuery, today: date
    ) -> tuple[set[int] | None, dict[int, float]]:
        """Apply numbers, deadline and keywords; return the targets left and keyword scores."""
        targets: set[int] | None = None
        scores: dict[int, float] = {}

        def narrow(found: Iterable[int]) -> None:
            nonlocal targets
            found = set(found)
            targets = found if targets is None else targets & found

        if query.numbers:
            narrow(self.by_number[n] for n in query.numbers if n in self.by_number)
        if query.deadline is not None:
            narrow(i for i, t in enumerate(self.targets) if _due_matches(t, query, today))
        for word in query.keywords:
            found, exact = self.find_word(word)
            narrow(found)
            needle = normalise_text(word)
            for i in found:
                score = (
                    (CONTENT_SCORE if needle in self.contents[i] else PROGRESS_SCORE)
                    if exact
                    else FUZZY_SCORE
                )
                scores[i] = scores.get(i, 0.0) + score
        return targets, scores

    def _hits(
        self,
        assignments: set[int] | None,
        targets: set[int] | None,
        scores: dict[int, float],
        view: StatusView,
    ) -> list[Hit]:
        """Combine assignment and target filters into ranked hits."""
        matched: dict[int, list[int]] = {}
        if assignments is None:
            pool = targets if targets is not None else range(len(self.targets))
            matched = {t: list(self.targets[t].assignments) for t in pool}
        else:
            for a in assignments:
                t = self.assignments[a].target
                if targets is None or t in targets:
                    matched.setdefault(t, []).append(a)
        hits = [
            Hit(
                self.targets[t],
                [self.assignments[a] for a in sorted(found)],
                scores.get(t, 0.0),
                view,
                self.assignments,
            )
            for t, found in matched.items()
        ]
        hits.sort(key=lambda h: (-h.score, h.target.number))
        return hits


def _due_matches(target: IndexedTarget, query: ParsedQuery, today: date) -> bool:
    wanted = query.deadline
    assert wanted is not None
    if wanted.this_month:
        due = target.due_date
        return due is not None and (due.year, due.month) == (today.year, today.month)
    if wanted.ongoing:
        return target.due_date is None
    return wanted.due_date is not None and target.due_date == wanted.due_date
