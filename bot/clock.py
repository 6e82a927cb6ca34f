"""The one "now" of the bot and the command line: the real time, or FAKE_TIME's moving clock.

Receipts, history lines, invite expiries, reminders and the CLI all read the time here, so a
drill under FAKE_TIME sees one consistent day. The clock is the process's: `use(settings)` sets
it when the bot or a command starts; tests may `set()` it to any function.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.settings import Settings


def _real() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _real
_zone: ZoneInfo = ZoneInfo("Asia/Shanghai")


def use(settings: Settings) -> None:
    """Set the clock from the settings: the real time, or FAKE_TIME moving on from its start."""
    global _source, _zone
    _zone = settings.timezone
    if settings.fake_time is None:
        _source = _real
        return
    offset = settings.fake_time.replace(tzinfo=settings.timezone) - datetime.now(UTC)
    _source = lambda: datetime.now(UTC) + offset  # noqa: E731


def set(source: Callable[[], datetime]) -> None:
    """Make `source` the clock (tests): it returns an aware datetime."""
    global _source
    _source = source


def reset() -> None:
    """Go back to the real time."""
    global _source
    _source = _real


def now() -> datetime:
    """Return the time now, in UTC."""
    return _source().astimezone(UTC)


def local_now() -> datetime:
    """Return the time now in the configured time zone."""
    return _source().astimezone(_zone)


def today() -> date:
    """Return today's date in the configured time zone."""
    return local_now().date()


def stamp(moment: datetime | None = None) -> str:
    """Return a moment (now by default) as stored: ISO 8601 in UTC, to the second."""
    return (moment or now()).astimezone(UTC).isoformat(timespec="seconds")
