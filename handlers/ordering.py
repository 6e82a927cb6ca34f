"""Updates of different people at once, each person's and each chat's in the order they came.

A conversation (the quarterly update, an instruction, a review comment) reads and moves its
state per chat and person, so two updates of one person must never run together or overtake
each other; updates of different people share nothing that needs that. PTB's own
`concurrent_updates` runs everything at once; this processor chains each update behind the
last one of its person and of its chat, and runs the rest side by side, taking turns at the
work in the order the updates came (bot/turns.py).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.turns import Turns

RUNNING = 64  # handlers running at once: a burst of people asking is answered together
ADMITTED = 4096  # updates admitted (running or waiting for their person's turn)

Key = tuple[str, int]


def keys(update: object) -> list[Key]:
    """Return what an update must wait its turn for: its person and its chat."""
    if not isinstance(update, Update):
        return []
    found: list[Key] = []
    if update.effective_user is not None:
        found.append(("user", update.effective_user.id))
    if update.effective_chat is not None:
        found.append(("chat", update.effective_chat.id))
    return found


class InOrderPerChat(BaseUpdateProcessor):
    """Run each person's (and chat's) updates one after another, and different ones at once."""

    def __init__(
        self, running: int = RUNNING, admitted: int = ADMITTED, turns: Turns | None = None
    ) -> None:
        super().__init__(admitted)
        self._running = asyncio.Semaphore(running)
        self._turns = turns or Turns()
        # The last update of each key: the next one of that key starts when it is done. A key
        # is forgotten when its last update is done (nobody waits on it any more).
        self._last: dict[Key, asyncio.Future[None]] = {}

    @property
    def waiting(self) -> int:
        """Return how many people and chats have an update running or waiting."""
        return len(self._last)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the update's person and chat to be free, then run it."""
        # Taken in the order updates arrive (nothing awaited before this point): the chain of
        # a key follows the order Telegram delivered its updates in.
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        update_keys = keys(update)
        before = {id(f): f for k in update_keys if (f := self._last.get(k)) is not None}
        for key in update_keys:
            self._last[key] = mine
        started = False
        try:
            if before:
                # wait(), not await: cancelling this task must not cancel the one before it.
                await asyncio.wait(before.values())
            async with self._running:
                started = True
                async with self._turns.turn():
                    await coroutine
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting (shutdown): never run
            mine.set_result(None)
            for key in update_keys:
                if self._last.get(key) is mine:
                    del self._last[key]

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close: waiting updates end with the Application's tasks."""
