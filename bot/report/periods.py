"""Reporting periods: quarters named like 2023Q3."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_PERIOD = re.compile(r"^(\d{4})Q([1-4])$")


def parse_period(period: str) -> tuple[int, int]:
    """Return (year, quarter) of a period such as 2023Q3."""
    m = _PERIOD.match(period)
    if m is None:
        raise ValueError(f"not a period: {period!r}")
    return int(m.group(1)), int(m.group(2))


def period_end(period: str) -> date:
    """Return the last day of a period: 2023Q3 → 2023-09-30."""
    year, quarter = parse_period(period)
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, 3 * quarter + 1, 1) - timedelta(days=1)


_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_day(text: str) -> date | None:
    """Return the date written as 2024-01-05, 2024/1/5 or 2024年1月5日; None if not a date."""
    m = _DAY.match(text.strip())
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def normalise_period(text: str) -> str | None:
    """Return a period written as 2023Q3 or 2023q3 in its stored form; None if not one."""
    candidate = text.strip().upper()
    return candidate if _PERIOD.match(candidate) else None


DEFAULT_DEADLINE_DAYS = 5  # a quarter's report is due this many days after the quarter ends


def period_of(day: date) -> str:
    """Return the quarter a day falls in: 2023-08-15 → 2023Q3."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def next_period(period: str) -> str:
    """Return the quarter after a period: 2023Q4 → 2024Q1."""
    year, quarter = parse_period(period)
    return f"{year + 1}Q1" if quarter == 4 else f"{year}Q{quarter + 1}"


def previous_period(period: str) -> str:
    """Return the quarter before a period: 2024Q1 → 2023Q4."""
    year, quarter = parse_period(period)
    return f"{year - 1}Q4" if quarter == 1 else f"{year}Q{quarter - 1}"


def default_deadline(period: str, days: int = DEFAULT_DEADLINE_DAYS) -> date:
    """Return a period's report deadline by the default rule: `days` after its last day."""
    return period_end(period) + timedelta(days=days)


@dataclass(frozen=True)
class OpenPeriod:
    """The period liaisons report for now, its deadline (None: until an admin closes it)."""

    period: str
    deadline: date | None
    how: str  # "admin", "announced", "calendar" or "plan"

    def accepts(self, today: date) -> bool:
        """Tell whether reports are still taken on this day."""
        return self.deadline is None or today <= self.deadline

    def passed(self, today: date) -> bool:
        """Tell whether the period's deadline is behind us."""
        return self.deadline is not None and today > self.deadline


def choose_open_period(
    *,
    plan_year: int,
    today: date,
    latest_reported: str | None,
    decisions: dict[str, tuple[str, date | None]],
    days: int = DEFAULT_DEADLINE_DAYS,
) -> OpenPeriod | None:
    """Return the period open for reports, or None.

    An admin's decision wins (`decisions`: period → (open|closed, deadline); an admin's period
    without a deadline stays open until closed). A deadline once announced (state `announced`:
    the running bot had the period open with its calendar deadline) holds for its period, also
    after it passed and after the plan's year is over. Otherwise, within the plan's year the
    calendar decides: the first quarter whose deadline has not passed. For a plan whose year is
    over (such as the 2023 demo table), the quarter after the last one reported stays open
    without a deadline until an admin closes it.
    """
    opened = sorted(p for p, (state, _) in decisions.items() if state == "open")
    if opened:
        period = opened[-1]
        return OpenPeriod(period, decisions[period][1], "admin")
    closed = max((p for p, (state, _) in decisions.items() if state == "closed"), default="")
    announced = {
        p: deadline
        for p, (state, deadline) in decisions.items()
        if state == "announced"
        and deadline is not None
        and p.startswith(str(plan_year))
        and p > closed  # an admin closed a later period: the earlier one is over too
    }

    def deadline_of(period: str) -> date:
        return announced.get(period) or default_deadline(period, days)

    first, last = f"{plan_year}Q1", f"{plan_year}Q4"
    candidate: OpenPeriod | None
    if today <= deadline_of(last):
        quarter = period_of(today)
        previous = previous_period(quarter)
        if today <= deadline_of(previous):
            quarter = previous  # the days just after a quarter ends still report on it
        quarter = min(max(quarter, first), last)
        how = "announced" if quarter in announced else "calendar"
        candidate = OpenPeriod(quarter, deadline_of(quarter), how)
    else:
        if latest_reported is None:
            period = first
        else:
            following = next_period(latest_reported)
            period = following if following.startswith(str(plan_year)) else latest_reported
        told = max(announced, default=None)
        if told is not None and told >= period:
            candidate = OpenPeriod(told, announced[told], "announced")
        else:
            candidate = OpenPeriod(period, None, "plan")
    if candidate.period <= closed:
        return None  # closed by an admin, or earlier than a period an admin closed
    return candidate


OVERDUE_FOR_DAYS = 14  # how long after its deadline a quarter that ended still gets overdue notices


def just_ended(
    open_period: OpenPeriod | None,
    *,
    today: date,
    decisions: dict[str, tuple[str, date | None]],
) -> OpenPeriod | None:
    """Return the quarter before the open one when its announced deadline has just passed.

    Within the plan's year the next quarter opens the day after a deadline, yet the quarter
    that ended still owes its overdue notice and 催办 summaries (up to OVERDUE_FOR_DAYS after
    its deadline). Only an announced deadline counts: nobody was told a date never announced.
    """
    if open_period is None or open_period.how not in ("calendar", "announced"):
        return None
    previous = previous_period(open_period.period)
    state, deadline = decisions.get(previous, ("", None))
    if state != "announced" or deadline is None:
        return None
    if not deadline < today <= deadline + timedelta(days=OVERDUE_FOR_DAYS):
        return None
    return OpenPeriod(previous, deadline, "announced")
