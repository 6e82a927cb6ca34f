"""The traffic-light rule: each assignment's status for a period, and each target's light.

A status is what the latest report says, overruled by the calendar (a target past its due date
and not completed is overdue) and by the numbers (reported on track while completion trails the
time gone by more than a margin is at risk). A target shows its assignments' most urgent status.
Pure functions over the plan as the search holds it; no storage, no Telegram.
"""

from __future__ import annotations

import logging
import math
from array import array
from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from bot.report.periods import period_end
from bot.status.quantities import Estimate, elapsed_share, estimate

log = logging.getLogger(__name__)

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
# The order of lists: red, yellow, white, green; by number within a light.
LIGHT_ORDER = ("🔴", "🟡", "⚪", "🟢")
_RANK = {status: LIGHT_ORDER.index(light) for status, light in LIGHTS.items()}


class Reported(Protocol):
    """An assignment as the light rule reads it."""

    @property
    def id(self) -> int: ...
    @property
    def target(self) -> int: ...  # index of its target
    @property
    def reports(self) -> Mapping[str, tuple[str, str]]: ...  # period → (status, progress)


class Dated(Protocol):
    """A target as the light rule reads it."""

    @property
    def number(self) -> int: ...
    @property
    def content(self) -> str: ...
    @property
    def due_date(self) -> date | None: ...
    @property
    def closed_on(self) -> date | None: ...  # 办结: the day an admin closed it
    @property
    def assignments(self) -> tuple[int, ...]: ...  # indexes of its assignments


@dataclass(frozen=True)
class Risk:
    """What the numbers say of an assignment: how far it has come, and how much time is gone."""

    estimate: Estimate
    elapsed: float  # share of the target's time gone at the period's end

    @property
    def lag(self) -> float:
        """Return how far completion trails time, in shares (0.39 for 36 % at 75 %)."""
        return self.elapsed - self.estimate.share


@dataclass(frozen=True)
class StatusView:
    """Every assignment's status for one period, as of one day (for overdue).

    An assignment not yet reported for the period shows its latest known status, from the
    latest earlier period it was reported for (`carried`), until the period's report comes:
    a reporting window does not turn the lights white. `not_submitted` still finds it.
    """

    period: str | None
    as_of: date
    of: list[str]  # status per assignment index
    members: dict[str, array[int]]  # status → assignment indexes, ascending
    risks: dict[int, Risk]  # assignment index → what its numbers say, where they say anything
    carried: dict[int, str] = field(default_factory=dict)  # assignment → period its status is from
    lights: tuple[array[int], ...] = ()  # per light of LIGHT_ORDER: its targets, ascending
    rank: bytes = b""  # per target: the place of its light in LIGHT_ORDER
    # (Indexes in arrays, not sets of int objects: at 100k targets a view took 17 MB, now 2.)

    @property
    def order(self) -> array[int]:
        """Return every target, by light, then by number (indexes follow numbers)."""
        return sum(self.lights, array("i"))

    def by_light(self, targets: Iterable[int]) -> list[list[int]]:
        """Return some targets sorted into the lights of LIGHT_ORDER, ascending in each."""
        found: list[list[int]] = [[] for _ in LIGHT_ORDER]
        rank = self.rank
        for target in sorted(targets):
            found[rank[target]].append(target)
        return found

    def status_of(self, assignments: Iterable[int]) -> str:
        """Return a target's status from its assignments': the first in STATUS_ORDER."""
        mine = {self.of[a] for a in assignments}
        return next((status for status in STATUS_ORDER if status in mine), "not_submitted")

    def light_of(self, assignments: Iterable[int]) -> str:
        """Return the traffic light of a target's status, from its assignments'."""
        return LIGHTS[self.status_of(assignments)]

    def carried_from(self, assignments: Sequence[int]) -> str | None:
        """Return the earlier period a target's status comes from, if not this period's."""
        status = self.status_of(assignments)
        periods = {
            self.carried[a] for a in assignments if a in self.carried and self.of[a] == status
        }
        if not periods or any(self.of[a] == status and a not in self.carried for a in assignments):
            return None
        return min(periods)

    def risk_of(self, assignments: Iterable[int]) -> Risk | None:
        """Return what the numbers say of a target: its assignment furthest behind."""
        risks = [self.risks[a] for a in assignments if a in self.risks]
        return max(risks, key=lambda r: r.lag) if risks else None


def latest_period(periods: Sequence[str], today: date) -> tuple[str | None, date]:
    """Return the latest reported period (of sorted `periods`) and the day its lights are as of.

    That day is today, or the period's end if it has ended: a finished period is not judged by
    a later calendar.
    """
    period = periods[-1] if periods else None
    return period, (min(today, period_end(period)) if period else today)


def status_view(
    targets: Sequence[Dated],
    assignments: Sequence[Reported],
    owners: array[int],
    period: str | None,
    as_of: date,
    *,
    year: int,
    margin: float,
    carry: bool = False,
) -> StatusView:
    """Return every assignment's status for a period, as of a day (for overdue).

    `owners` holds each assignment's target index. With `carry`, an assignment not reported for
    the period shows its latest earlier status. `margin` is how far completion may trail time
    before an on-track target is at risk; `year` is the plan's.
    """
    carried = _carried(assignments, period) if period and carry else {}
    risks = _risks(targets, assignments, period, carried, year) if period else {}
    of = [
        _status(targets, a, carried.get(i, period), as_of, risks.get(i), margin)
        for i, a in enumerate(assignments)
    ]
    members: dict[str, array[int]] = {status: array("i") for status in LIGHTS}
    for index, status in enumerate(of):
        members[status].append(index)
    # Still not reported for this period (a target closed by then needs no report).
    unreported = {i for i in carried if of[i] != "completed"}
    if unreported:
        members["not_submitted"] = array("i", sorted(unreported.union(members["not_submitted"])))
    # A target's light is its assignments' most urgent (STATUS_ORDER runs with the lights).
    place = [_RANK[status] for status in of]
    green, white = _RANK["on_track"], _RANK["not_submitted"]
    ranks = [green if t.assignments else white for t in targets]
    for index, target in enumerate(owners):
        if place[index] < ranks[target]:
            ranks[target] = place[index]
    lights = tuple(array("i") for _ in LIGHT_ORDER)
    for target, rank in enumerate(ranks):
        lights[rank].append(target)
    return StatusView(period, as_of, of, members, risks, carried, lights, bytes(ranks))


def _drop(members: array[int], index: int) -> None:
    """Take an index out of an ascending array, if it is there."""
    at = bisect_left(members, index)
    if at < len(members) and members[at] == index:
        del members[at]


def _add(members: array[int], index: int) -> None:
    """Put an index into an ascending array, if it is not there."""
    at = bisect_left(members, index)
    if at == len(members) or members[at] != index:
        members.insert(at, index)


def patched_view(
    view: StatusView,
    targets: Sequence[Dated],
    assignments: Sequence[Reported],
    changed: Iterable[int],
    *,
    year: int,
    margin: float,
    carry: bool,
) -> StatusView:
    """Return `view` with the `changed` assignments' statuses and their targets' lights anew.

    The same as `status_view` over the changed data, at the cost of what changed (plus copying
    the view's lists): a submission at 100k targets does not work out every status again.
    """
    period, as_of = view.period, view.as_of
    of = list(view.of)
    members = {status: array("i", found) for status, found in view.members.items()}
    risks = dict(view.risks)
    carried = dict(view.carried)
    touched: set[int] = set()
    for index in changed:
        assignment = assignments[index]
        for found in members.values():
            _drop(found, index)
        carried.pop(index, None)
        risks.pop(index, None)
        if period and carry and (earlier := _carried([assignment], period)):
            carried[index] = earlier[0]
        if period and (risk := _risks(targets, [assignment], period, _one(carried, index), year)):
            risks[index] = risk[0]
        of[index] = _status(
            targets, assignment, carried.get(index, period), as_of, risks.get(index), margin
        )
        _add(members[of[index]], index)
        if index in carried and of[index] != "completed":
            _add(members["not_submitted"], index)
        touched.add(assignment.target)
    lights = tuple(array("i", group) for group in view.lights)
    ranks = bytearray(view.rank)
    green, white = _RANK["on_track"], _RANK["not_submitted"]
    for target in touched:
        mine = targets[target].assignments
        rank = min((_RANK[of[a]] for a in mine), default=white)
        rank = min(rank, green) if mine else white
        _drop(lights[ranks[target]], target)
        insort(lights[rank], target)
        ranks[target] = rank
    return StatusView(period, as_of, of, members, risks, carried, lights, bytes(ranks))


def _one(carried: dict[int, str], index: int) -> dict[int, str]:
    """Return `carried` for one assignment, as `_risks` reads it for a list of that one."""
    return {0: carried[index]} if index in carried else {}


def _carried(assignments: Sequence[Reported], period: str) -> dict[int, str]:
    """Return the assignments not reported for `period`, each with its latest earlier one."""
    carried: dict[int, str] = {}
    for index, assignment in enumerate(assignments):
        if period in assignment.reports:
            continue
        earlier = [p for p in assignment.reports if p < period]
        if earlier:
            carried[index] = max(earlier)
    return carried


def _risks(
    targets: Sequence[Dated],
    assignments: Sequence[Reported],
    period: str,
    carried: dict[int, str],
    year: int,
) -> dict[int, Risk]:
    """Return what the numbers in each assignment's report for a period say."""
    ends: dict[str, date] = {}
    risks: dict[int, Risk] = {}
    for index, assignment in enumerate(assignments):
        own = carried.get(index, period)
        report = assignment.reports.get(own)
        if report is None:
            continue
        end = ends.get(own) or ends.setdefault(own, period_end(own))
        target = targets[assignment.target]
        found = reading(target, assignment.id, report[1])
        elapsed = elapsed_share(end, target.due_date, year)
        if found is not None and elapsed is not None:
            risks[index] = Risk(found, elapsed)
    return risks


def _status(
    targets: Sequence[Dated],
    assignment: Reported,
    period: str | None,
    as_of: date,
    risk: Risk | None,
    margin: float,
) -> str:
    """Return an assignment's status: its report's, overruled by the calendar and the numbers."""
    target = targets[assignment.target]
    if target.closed_on is not None and target.closed_on <= as_of:
        return "completed"  # 办结: closed by an admin, completed in every view from that day
    report = assignment.reports.get(period) if period else None
    status = report[0] if report else "not_submitted"
    due = target.due_date
    if status != "completed" and due is not None and due < as_of:
        return "overdue" if status != "behind" else "behind"
    if status == "on_track" and risk is not None and risk.lag > margin:
        return "at_risk"  # reported on track, but the numbers trail the time gone
    return status


def reading(target: Dated, assignment: int, progress: str) -> Estimate | None:
    """Return what an assignment's progress says against its target's amount, if anything.

    No stored text may break the index for everyone: a text whose reading fails, or reads as
    no finite share, is logged and shown without it.
    """
    try:
        found = estimate(target.content, progress)
    except Exception:
        log.exception("target #%s, assignment %s: progress not read", target.number, assignment)
        return None
    if found is not None and not math.isfinite(found.share):
        log.warning("target #%s, assignment %s: no finite share read", target.number, assignment)
        return None
    return found
