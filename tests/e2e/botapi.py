"""The end-to-end tests' Bot API server: the product's (bot/playground/botapi.py) with switches.

The tests play users on it and read what the bot showed. On top of the product server it lets a
test make a user block the bot (403), answer the next call of a method with 429 and
retry_after, enforce Telegram's rate with `send_limit` (30 messages in any one second, more get
429), take a webhook (setWebhook) and read each chat's replies one by one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.playground.botapi import BOT_ID, QUERY_TOO_OLD, BotAPIServer, Sent, Upload, User, error

__all__ = ["BOT_ID", "BOT_USERNAME", "QUERY_TOO_OLD", "FakeBotAPI", "Sent", "User"]

JSON = dict[str, Any]
BOT_USERNAME = "targetbot_test_bot"


@dataclass
class FakeBotAPI(BotAPIServer):
    """The product server, and the switches and reading the tests use."""

    username: str = BOT_USERNAME
    blocked: set[int] = field(default_factory=set)
    webhook: JSON | None = None
    send_limit: int | None = None  # sendMessage calls allowed in any one second; more get 429
    _sends: list[float] = field(default_factory=list)
    _fail_next: dict[str, int] = field(default_factory=dict)
    _read: dict[int, int] = field(default_factory=dict)  # chat id → outbox items already read

    def block(self, user_id: int) -> None:
        """Make the user block the bot: sending to them answers 403."""
        self.blocked.add(user_id)

    def fail_next(self, method: str, retry_after: int) -> None:
        """Answer the next call of `method` with 429 Too Many Requests."""
        self._fail_next[method] = retry_after

    async def reply(self, chat_id: int, within: float = 15.0) -> Sent:
        """Wait for the next thing the bot shows in this chat, and return it."""

        def ready() -> bool:
            return bool(self.unread(chat_id))

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(ready), within)
            sent = self.unread(chat_id)[0]
            self._read[chat_id] = self._read.get(chat_id, 0) + 1
            return sent

    async def callback_answer(self, query_id: str, within: float = 15.0) -> JSON:
        """Wait for the bot to answer a pressed button, and return the answer."""
        await self.wait_until(lambda: query_id in self.callback_answers, within)
        return self.callback_answers[query_id]

    def unread(self, chat_id: int) -> list[Sent]:
        """Return what the bot showed in a chat that the test has not read yet."""
        mine = [s for s in self.outbox if s.chat_id == chat_id]
        return mine[self._read.get(chat_id, 0) :]

    def update_json(self, user: User, text: str) -> JSON:
        """Return an update carrying a private message, for delivery by webhook."""
        message = self._from(user, None)
        message["text"] = text
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": next(self._ids), "message": message}

    async def _refusal(self, method: str, params: JSON) -> web.Response | None:
        retry_after = self._fail_next.pop(method, None)
        if retry_after is not None:
            self.refused.append((429, method))
            return error(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        if method == "sendMessage" and self.send_limit is not None:
            now = time.monotonic()
            self._sends = [t for t in self._sends if t > now - 1.0]
            if len(self._sends) >= self.send_limit:
                self.refused.append((429, method))
                return error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._sends.append(now)
        if str(params.get("chat_id")) in {str(user) for user in self.blocked}:
            self.refused.append((403, method))
            return error(403, "Forbidden: bot was blocked by the user")
        return await super()._refusal(method, params)

    async def _api_setWebhook(self, params: JSON, uploads: dict[str, Upload]) -> bool:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    async def _api_deleteWebhook(self, params: JSON, uploads: dict[str, Upload]) -> bool:
        self.webhook = None
        return await super()._api_deleteWebhook(params, uploads)
