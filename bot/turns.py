"""Turns: which of the updates handled side by side work first, in the order they came.

The bot handles many people's updates at once (handlers/ordering.py), but its process has one
event loop and one database connection: fifty handlers working at once take turns at every
query and all finish late, together, and then wait in line for Telegram's send slots. A few at
a time, in the order their updates came, each finishes in a few milliseconds and its answer
takes the next free slot while the next ones work.

A turn is a priority, not a lock. A handler gives its turn up when it waits on something else
than this process (a call to Telegram: `step_aside`, which the pacer calls; the index being
built at start) or once it has held it `HOLD` seconds, whichever comes first, and then goes on
side by side with the rest. So no wait, however long, holds anyone else up for long.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

AT_ONCE = 4  # handlers working in turn at once
HOLD = 0.25  # seconds a handler keeps its turn at most


class _Held:
    """A turn being held: given up once, by whichever comes first."""

    __slots__ = ("_release",)

    def __init__(self, release: Callable[[], None]) -> None:
        self._release: Callable[[], None] | None = release

    def give_up(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            release()


_current: ContextVar[_Held | None] = ContextVar("turn", default=None)


class Turns:
    """Hands out `at_once` turns in the order they are asked for."""

    def __init__(self, at_once: int = AT_ONCE, hold: float = HOLD) -> None:
        self._free = asyncio.Semaphore(at_once)
        self.hold = hold

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a turn, work in it, and give it up at the end (if not given up before)."""
        await self._free.acquire()
        held = _Held(self._free.release)
        timer = asyncio.get_running_loop().call_later(self.hold, held.give_up)
        token = _current.set(held)
        try:
            yield
        finally:
            timer.cancel()
            held.give_up()
            _current.reset(token)


def step_aside() -> None:
    """Give up the running handler's turn, if it has one: it is about to wait on something."""
    held = _current.get()
    if held is not None:
        held.give_up()
