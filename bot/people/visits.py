"""When users were last seen: noted in memory, stored in batches.

Every update reads the acting user's account afresh. Writing their last-seen time at each one
made a write transaction per message; now a visit is written at once only when it changes what
others read (a user new to the bot, one back after blocking it, a changed name or username:
`needs_writing`). Otherwise the time is noted here, once a minute per user at most, and stored
with the next question's own transaction (bot/query/service.keep), by a job every minute, and at
shutdown. A crash may lose the last minute of last-seen times, never anything a user was told.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from storage import users
from storage.db import transaction
from storage.users import User

SEEN_EVERY = timedelta(minutes=1)  # a last-seen time is kept to the minute


def needs_writing(user: User | None, name: str, username: str | None) -> bool:
    """Tell whether a visit changes more than the time: the user's row is written at once."""
    return (
        user is None
        or not user.active
        or (bool(name) and name != user.name)
        or username != user.username
    )


def stale(user: User, now: datetime) -> bool:
    """Tell whether the stored last-seen time is a minute or more away from `now`."""
    if user.last_seen_at is None:
        return True
    return abs(now - datetime.fromisoformat(user.last_seen_at)) >= SEEN_EVERY


class Visits:
    """Last-seen times noted since they were last stored: Telegram id → time."""

    def __init__(self) -> None:
        self._waiting: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def note(self, telegram_id: int, at: str) -> None:
        """Note that a user was seen at `at` (stored later)."""
        self._waiting[telegram_id] = at

    def forget(self, telegram_id: int) -> None:
        """Drop a user's noted time (their row is being written with a newer one)."""
        self._waiting.pop(telegram_id, None)

    async def store(self, conn: aiosqlite.Connection) -> int:
        """Store the noted times in the caller's transaction, or one of their own; return how
        many. Nobody was told of them: the transaction is not synced to disk (durable=False)."""
        if not self._waiting:
            return 0
        waiting, self._waiting = self._waiting, {}
        try:
            async with transaction(conn, durable=False):
                await users.seen_at(conn, list(waiting.items()))
        except BaseException:
            for telegram_id, at in waiting.items():  # kept for the next time, unless newer
                self._waiting.setdefault(telegram_id, at)
            raise
        return len(waiting)
