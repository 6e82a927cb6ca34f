"""Working days of China's official calendar: holidays off, make-up weekend days on.

`chinese-calendar` knows each year's State Council schedule once it is published; for a year it
does not know yet, Monday to Friday count as working days.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import chinese_calendar


@functools.lru_cache(maxsize=4096)  # asked for every duty every minute: a day's answer is fixed
def is_workday(day: date) -> bool:
    """Tell whether offices work on this day (国庆 no; a make-up Saturday yes)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the calendar does not cover yet
        return day.weekday() < 5


def workday_on_or_before(day: date) -> date:
    """Return the day itself if offices work then, else the working day before it."""
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def workday_on_or_after(day: date) -> date:
    """Return the day itself if offices work then, else the next working day."""
    while not is_workday(day):
        day += timedelta(days=1)
    return day
