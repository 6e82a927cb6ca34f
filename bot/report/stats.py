"""The picture of a quarter: per leader and per unit, how many targets have each light.

Also who has not reported, who reported late (the first official report of an assignment
stored after the period's deadline), and the same counts for the period before, to show the
change. The lights are the query index's (bot/status/lights.py's rule): nothing is recomputed
here. No Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import aiosqlite

from bot.i18n import Translator
from bot.instructions.service import Tallies, tallies
from bot.people.accounts import Account
from bot.query.engine import QueryEngine
from bot.query.index import TargetIndex
from bot.query.matching import match_names
from bot.report.periods import (
    default_deadline,
    normalise_period,
    parse_period,
    period_end,
    previous_period,
)
from bot.status.lights import StatusView
from storage import reports, stats, targets

# The lights as statistics count and draw them: behind or overdue, at risk, on track or
# completed, not reported; each with the key the JSON and the texts use.
LIGHT_KEYS = {"🔴": "red", "🟡": "yellow", "🟢": "green", "⚪": "white"}
COUNT_ORDER = tuple(LIGHT_KEYS)


_PERIODISH = re.compile(r"^\d{4}[Qq]\d$")  # written as a period, but not one (2023Q5)


class NoStats(Exception):
    """No statistics for what was asked; `key` names why (no plan, a bad period)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Counts:
    """How many targets have each light."""

    red: int = 0
    yellow: int = 0
    green: int = 0
    white: int = 0

    @property
    def total(self) -> int:
        """Return how many targets are counted."""
        return self.red + self.yellow + self.green + self.white

    def of(self, light: str) -> int:
        """Return the count of one light (🔴, 🟡, 🟢 or ⚪)."""
        return int(getattr(self, LIGHT_KEYS[light]))

    def as_dict(self) -> dict[str, int]:
        """Return the counts by key: red, yellow, green, white."""
        return {key: self.of(light) for light, key in LIGHT_KEYS.items()}


@dataclass(frozen=True)
class Row:
    """One leader's or unit's counts, now and in the period before."""

    name: str
    now: Counts
    before: Counts


@dataclass(frozen=True)
class Late:
    """An assignment whose report came after the deadline."""

    unit: str
    number: str  # the target's number as the table shows it
    reported: date  # the day (local) the first official report was stored


@dataclass(frozen=True)
class Stats:
    """A period's statistics for the current plan (or one leader's or unit's part of it)."""

    plan: str
    period: str
    previous: str
    deadline: date | None  # the period's report deadline (None: open until an admin closes it)
    now: Counts
    before: Counts
    leaders: list[Row]
    units: list[Row]
    missing: dict[str, list[str]]  # unit → numbers of its targets not reported for the period
    late: list[Late] = field(default_factory=list)
    scope: str | None = None  # the leader or unit the statistics are limited to
    instructions: Tallies = field(default_factory=Tallies)  # 批示: open and overdue answers

    def as_json(self) -> dict[str, object]:
        """Return the statistics in the `targetbot stats --json` shape (see the README)."""
        return {
            "plan": self.plan,
            "period": self.period,
            "previous": self.previous,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "scope": self.scope,
            "lights": self.now.as_dict(),
            "before": self.before.as_dict(),
            "leaders": [_row_json(row) for row in self.leaders],
            "units": [_row_json(row) for row in self.units],
            "not_reported": [
                {"unit": unit, "targets": numbers} for unit, numbers in self.missing.items()
            ],
            "late": [
                {"unit": late.unit, "target": late.number, "reported": late.reported.isoformat()}
                for late in self.late
            ],
            "instructions": self.instructions.as_json(),
        }


def _row_json(row: Row) -> dict[str, object]:
    return {"name": row.name, "lights": row.now.as_dict(), "before": row.before.as_dict()}


async def period_stats(
    conn: aiosqlite.Connection,
    engine: QueryEngine,
    *,
    today: date,
    zone: ZoneInfo,
    period: str | None = None,
    leader: int | None = None,
    unit: int | None = None,
    deadline_days: int = 5,
) -> Stats:
    """Return a period's statistics (the latest reported period by default).

    `leader` or `unit` (ids) limits them to that leader's or unit's assignments.
    """
    plan = await targets.current_plan(conn)
    await engine.refresh(conn)
    index = engine.index
    if plan is None or index is None:
        raise NoStats("stats.no_plan")
    if period is None:
        period = index.periods[-1] if index.periods else f"{plan.year}Q1"
    try:
        parse_period(period)
    except ValueError:
        raise NoStats("stats.bad_period", period=period) from None
    decided = (await reports.decisions(conn, plan.id)).get(period)
    deadline = decided[1] if decided else default_deadline(period, deadline_days)
    if decided and decided[0] == "open" and decided[1] is None:
        deadline = None
    chosen = _chosen(index, leader, unit)
    previous = previous_period(period)
    now = _view(index, period, today)
    before = _view(index, previous, today)
    first = await stats.first_reported(conn, plan.id, period)
    scope = _scope_name(index, leader, unit)
    leader_name = _scope_name(index, leader, None) if leader is not None else None
    return Stats(
        plan=plan.title,
        period=period,
        previous=previous,
        deadline=deadline,
        now=_counts(index, now, chosen),
        before=_counts(index, before, chosen),
        leaders=_rows(index, now, before, chosen, by="leader"),
        units=_rows(index, now, before, chosen, by="unit"),
        missing=_missing(index, period, chosen),
        late=_late(index, chosen, first, deadline, zone),
        scope=scope,
        instructions=await tallies(conn, today, author=leader_name, unit_id=unit),
    )


def _view(index: TargetIndex, period: str, today: date) -> StatusView:
    """Return the period's own statuses (nothing carried: a missing report is ⚪)."""
    return index.status_view(period, min(today, period_end(period)))


def _chosen(index: TargetIndex, leader: int | None, unit: int | None) -> list[int]:
    """Return the assignment indexes counted: all, or a leader's, or a unit's (lead) ones."""
    return [
        a
        for a, assignment in enumerate(index.assignments)
        if (leader is None or assignment.leader.id == leader)
        and (unit is None or any(u.id == unit for u in assignment.units))
    ]


def _scope_name(index: TargetIndex, leader: int | None, unit: int | None) -> str | None:
    """Return the name of the leader and/or unit the statistics are limited to."""
    names: list[str] = []
    for assignment in index.assignments:
        if leader is not None and assignment.leader.id == leader:
            names.append(assignment.leader.name)
            break
    for assignment in index.assignments:
        found = [u.name for u in assignment.units if unit is not None and u.id == unit]
        if found:
            names.append(found[0])
            break
    return " ".join(names) or None


def _counts(index: TargetIndex, view: StatusView, assignments: Iterable[int]) -> Counts:
    """Count the targets of some assignments by light, each target's light from those of them."""
    of_target: dict[int, list[int]] = {}
    for a in assignments:
        of_target.setdefault(index.assignment_target[a], []).append(a)
    tally = dict.fromkeys(COUNT_ORDER, 0)
    for mine in of_target.values():
        tally[view.light_of(mine)] += 1
    return Counts(**{LIGHT_KEYS[light]: n for light, n in tally.items()})


def _rows(
    index: TargetIndex, now: StatusView, before: StatusView, chosen: list[int], *, by: str
) -> list[Row]:
    """Return the counts per leader or per lead unit, in the order the table names them."""
    groups: dict[str, list[int]] = {}
    for a in sorted(chosen, key=lambda a: index.targets[index.assignment_target[a]].number):
        assignment = index.assignments[a]
        names = [assignment.leader.name] if by == "leader" else [u.name for u in assignment.units]
        for name in names:
            groups.setdefault(name, []).append(a)
    return [
        Row(name, _counts(index, now, mine), _counts(index, before, mine))
        for name, mine in groups.items()
    ]


def _missing(index: TargetIndex, period: str, chosen: list[int]) -> dict[str, list[str]]:
    """Return each lead unit's targets with no official report for the period."""
    missing: dict[str, list[str]] = {}
    for a in chosen:
        assignment = index.assignments[a]
        if period in assignment.reports or not assignment.units:
            continue
        target = index.targets[assignment.target]
        numbers = missing.setdefault(assignment.units[0].name, [])
        if target.shown_number not in numbers:
            numbers.append(target.shown_number)
    return missing


def _late(
    index: TargetIndex,
    chosen: list[int],
    first: dict[int, str],
    deadline: date | None,
    zone: ZoneInfo,
) -> list[Late]:
    """Return the assignments first reported (by chat) after the deadline, by target number."""
    if deadline is None:
        return []
    late: list[Late] = []
    for a in chosen:
        assignment = index.assignments[a]
        stamp = first.get(assignment.id)
        if stamp is None:
            continue
        day = datetime.fromisoformat(stamp).astimezone(zone).date()
        if day > deadline:
            target = index.targets[assignment.target]
            unit = assignment.units[0].name if assignment.units else ""
            late.append(Late(unit, target.shown_number, day))
    return late


def changed(row: Row) -> dict[str, int]:
    """Return how each light's count moved since the period before (only lights that moved)."""
    return {
        light: row.now.of(light) - row.before.of(light)
        for light in COUNT_ORDER
        if row.now.of(light) != row.before.of(light)
    }


async def asked_stats(
    conn: aiosqlite.Connection,
    engine: QueryEngine,
    account: Account,
    words: list[str],
    *,
    today: date,
    zone: ZoneInfo,
    deadline_days: int = 5,
) -> Stats:
    """Return the statistics `/stats [period] [leader|unit]` asks for, as the account may see.

    A liaison gets their own unit's only; leaders and admins any leader's or unit's.
    """
    period: str | None = None
    rest: list[str] = []
    for word in words:
        found = normalise_period(word)
        if found is not None and period is None:
            period = found
        elif period is None and _PERIODISH.match(word):
            raise NoStats("stats.bad_period", period=word)
        else:
            rest.append(word)
    name = " ".join(rest).strip()
    leader: int | None = None
    unit: int | None = None
    if name:
        leaders = match_names(name, await targets.list_leaders(conn))
        units = match_names(name, await targets.list_units(conn))
        if len(leaders) == 1:
            leader = leaders[0].id
        elif len(units) == 1:
            unit = units[0].id
        else:
            raise NoStats("stats.not_found", name=name)
    if account.role == "liaison":
        if leader is not None or (unit is not None and unit != account.unit_id):
            raise NoStats("stats.own_unit_only")
        unit = account.unit_id
    return await period_stats(
        conn,
        engine,
        today=today,
        zone=zone,
        period=period,
        leader=leader,
        unit=unit,
        deadline_days=deadline_days,
    )


def lights_text(counts: Counts) -> str:
    """Return counts as the lights show them: 🔴0 🟡2 🟢55 ⚪0."""
    return " ".join(f"{light}{counts.of(light)}" for light in COUNT_ORDER)


def legend(t: Translator) -> dict[str, str]:
    """Return each light's name in the chart's legend."""
    return {light: t(f"stats.{key}") for light, key in LIGHT_KEYS.items()}


def chart_rows(found: Stats) -> tuple[list[Row], str]:
    """Return the rows a chart draws and what they are (leader, or unit for one leader's)."""
    if len(found.leaders) > 1:
        return found.leaders, "leader"
    return found.units, "unit"


def describe(found: Stats, t: Translator) -> str:
    """Return the statistics in words: totals, the change, per leader and unit, missing, late."""
    scope = t("stats.scope", name=found.scope) if found.scope else ""
    lines = [
        t(
            "stats.header",
            plan=found.plan,
            period=found.period,
            scope=scope,
            total=found.now.total,
            lights=lights_text(found.now),
        )
    ]
    moved = changed(Row("", found.now, found.before))
    if moved:
        changes = " ".join(f"{light}{n:+d}" for light, n in moved.items())
        lines.append(t("stats.change", previous=found.previous, changes=changes))
    else:
        lines.append(t("stats.unchanged", previous=found.previous))
    for title, rows in (("stats.leaders", found.leaders), ("stats.units", found.units)):
        if len(rows) > 1 or (rows and title == "stats.units"):
            lines.append("")
            lines.append(t(title))
            lines += [t("stats.row", name=row.name, lights=lights_text(row.now)) for row in rows]
    lines.append("")
    if found.missing:
        lines.append(t("stats.missing", count=len(found.missing)))
        lines += [
            t("stats.missing_row", unit=unit, numbers=t.join(numbers))
            for unit, numbers in found.missing.items()
        ]
    else:
        lines.append(t("stats.all_reported"))
    if found.late and found.deadline is not None:
        lines.append(t("stats.late", deadline=found.deadline.isoformat()))
        lines += [
            t("stats.late_row", unit=late.unit, number=late.number, day=late.reported.isoformat())
            for late in found.late
        ]
    lines += instruction_lines(found.instructions, t)
    return "\n".join(lines)


def instruction_lines(found: Tallies, t: Translator) -> list[str]:
    """Return the instructions' part of the statistics: counts, then who has answers open."""
    if not found.total:
        return []
    lines = [
        "",
        t("instruction.stats.header", total=found.total, open=found.open, overdue=found.overdue),
    ]
    for title, rows in (("leaders", found.authors), ("units", found.units)):
        waiting = [row for row in rows if row.open]
        if waiting:
            lines.append(t(f"instruction.stats.{title}"))
            lines += [
                t("instruction.stats.row", name=r.name, open=r.open, overdue=r.overdue)
                for r in waiting
            ]
    return lines


__all__ = [
    "Counts",
    "Late",
    "NoStats",
    "Row",
    "Stats",
    "asked_stats",
    "changed",
    "chart_rows",
    "describe",
    "legend",
    "lights_text",
    "period_stats",
]
