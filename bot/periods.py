"""Reporting periods: quarters named like 2023Q3."""

from __future__ import annotations

import re
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
