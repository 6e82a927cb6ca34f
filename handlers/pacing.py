"""Keep to Telegram's limits, answering people before sending pushes.

Telegram takes about 30 messages a second from a bot overall, about one a second in one chat
(short bursts pass) and 20 a minute in a group. Every call that names a chat takes one of the
overall slots, handed out 29 a second and evenly spaced; when several wait, a reply to someone
who wrote goes first and a push (a reminder, a digest: `PUSH`) after, so a fan-out of a
thousand reminders keeps the whole overall budget only while nobody is asking. Each chat also
keeps its own pace. A 429 stops every send for the time Telegram asks, then the call is tried
again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from enum import IntEnum
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.turns import step_aside

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 29  # one slot every 1/29 s: no second ever holds more than 30
CHAT_SPACING = 1.0  # seconds between messages in one chat, sustained
CHAT_BURST = 10  # messages one chat may get at once before its pace applies
GROUP_PER_MINUTE = 20  # messages in any 60 seconds in one group
MAX_RETRIES = 3  # tries after a 429
FORGET_AFTER = 4096  # chats remembered before the idle ones are forgotten

Json = bool | dict[str, Any] | list[dict[str, Any]]
ChatId = int | str


class Priority(IntEnum):
    """Who waits for a send: a person who wrote (first) or nobody in particular (a push)."""

    ANSWER = 0
    PUSH = 1


PUSH = Priority.PUSH


class Slots:
    """The overall budget: one slot every `interval` seconds, the highest priority first."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0  # loop time at which the next slot is free
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = tuple(deque() for _ in Priority)
        self._timer: asyncio.TimerHandle | None = None

    async def take(self, priority: Priority) -> None:
        """Wait for a slot; others of a higher priority that wait go before."""
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next and not any(self._waiting):
            self._next = loop.time() + self.interval
            return
        granted: asyncio.Future[None] = loop.create_future()
        self._waiting[priority].append(granted)
        self._arm(loop)
        await granted

    def pause(self, seconds: float) -> None:
        """Give no slot for `seconds` (Telegram said to wait)."""
        loop = asyncio.get_running_loop()
        self._next = max(self._next, loop.time() + seconds)

    def close(self) -> None:
        """Stop handing out slots (the bot is shutting down)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None:
            self._timer = loop.call_at(self._next, self._grant, loop)

    def _grant(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        if loop.time() < self._next:  # paused after the timer was set
            self._arm(loop)
            return
        for queue in self._waiting:
            while queue:
                granted = queue.popleft()
                if not granted.done():  # not cancelled while waiting
                    granted.set_result(None)
                    self._next = loop.time() + self.interval
                    break
            else:
                continue
            break
        if any(self._waiting):
            self._arm(loop)


class ChatPace:
    """Each private chat's pace: `burst` at once, then one every `spacing` seconds.

    The generic cell rate algorithm: each chat keeps the time its next message is due at; a
    message may go up to `burst - 1` spacings early.
    """

    def __init__(self, spacing: float, burst: int) -> None:
        self.spacing = spacing
        self.early = (burst - 1) * spacing
        self._due: dict[ChatId, float] = {}

    def delay(self, chat: ChatId, now: float) -> float:
        """Book the chat's next message; return how long it must wait."""
        if len(self._due) > FORGET_AFTER:
            self._due = {c: due for c, due in self._due.items() if due > now}
        due = max(self._due.get(chat, now), now)
        self._due[chat] = due + self.spacing
        return max(0.0, due - self.early - now)


class GroupPace:
    """Each group's pace: at most `count` messages in any `period` seconds."""

    def __init__(self, count: int, period: float) -> None:
        self.count = count
        self.period = period
        self._sent: dict[ChatId, deque[float]] = {}

    def delay(self, chat: ChatId, now: float) -> float:
        """Book the group's next message; return how long it must wait."""
        if len(self._sent) > FORGET_AFTER:
            self._sent = {c: q for c, q in self._sent.items() if q[-1] > now - self.period}
        times = self._sent.setdefault(chat, deque(maxlen=self.count))
        at = now
        if times:
            at = max(at, times[-1])
        if len(times) == self.count:
            at = max(at, times[0] + self.period)
        times.append(at)
        return at - now


class Pacer(BaseRateLimiter[Priority]):
    """The Bot's rate limiter: Telegram's limits, answers before pushes (rate_limit_args)."""

    def __init__(
        self,
        *,
        per_second: float = OVERALL_PER_SECOND,
        chat_spacing: float = CHAT_SPACING,
        chat_burst: int = CHAT_BURST,
        group_per_minute: int = GROUP_PER_MINUTE,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self.slots = Slots(1 / per_second)
        self.chats = ChatPace(chat_spacing, chat_burst)
        self.groups = GroupPace(group_per_minute, 60.0)
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Stop handing out slots."""
        self.slots.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Json]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Priority | None,
    ) -> Json:
        """Wait for the chat's pace and an overall slot, then make the call; wait out 429s."""
        priority = Priority.ANSWER if rate_limit_args is None else rate_limit_args
        step_aside()  # waiting for Telegram: the next update may work meanwhile
        chat = _chat(data.get("chat_id"))
        for attempt in range(self.max_retries + 1):
            if chat is not None:
                await self._paced(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == self.max_retries:
                    raise
                wait = error._retry_after.total_seconds() + 0.1
                log.info("%s: Telegram asked to wait %.1f s", endpoint, wait)
                if chat is None:  # not a message: only this call waits
                    await asyncio.sleep(wait)
                else:
                    self.slots.pause(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _paced(self, chat: ChatId, priority: Priority) -> None:
        now = asyncio.get_running_loop().time()
        group = isinstance(chat, str) or chat < 0
        delay = (self.groups if group else self.chats).delay(chat, now)
        if delay > 0:
            await asyncio.sleep(delay)
        await self.slots.take(priority)


def _chat(value: object) -> ChatId | None:
    """Return the chat a call is for: its id, or a public chat's @username."""
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        return str(value)
