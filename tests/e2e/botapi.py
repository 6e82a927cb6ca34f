"""A small Bot API server for end-to-end tests: the bot talks HTTP to it, the tests play users.

With `send_limit` it enforces Telegram's rate (30 messages in any one second) with 429s.
It implements what targetbot uses — getMe, getUpdates (long polling with offsets), sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, sendDocument, sendPhoto,
setMyCommands, deleteWebhook — and lets a test post user messages, press inline buttons, make
a user block the bot (403) and answer the next call of a method with 429 and retry_after.
Like Telegram, it answers a second answerCallbackQuery of the same query with 400, and a
message, caption or callback data past Telegram's limits with 400 (tests/harness.py).
It also records setMyCommands' chat-scoped menus, setMyDescription and setMyShortDescription.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.harness import telegram_refusal

JSON = dict[str, Any]
BOT_ID = 7_000_000_001
BOT_USERNAME = "targetbot_test_bot"
# What Telegram answers to a second answerCallbackQuery of the same query.
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query id is invalid"


@dataclass(frozen=True)
class User:
    """A person the tests play."""

    id: int
    first_name: str
    language_code: str = "zh"
    username: str | None = None

    def json(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class Sent:
    """Something the bot showed in a chat: a message, an edit, a document or a photo."""

    method: str
    chat_id: int
    message: JSON
    html: str = ""
    file_name: str | None = None
    file_bytes: bytes = b""
    at: float = field(default_factory=time.monotonic)  # when the server took it

    @property
    def text(self) -> str:
        """Return the text as the user sees it (tags rendered away)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.html))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Return the inline buttons as (label, callback data)."""
        markup = self.message.get("reply_markup") or {}
        return [
            (button["text"], button.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]


@dataclass
class FakeBotAPI:
    """The server and what it has seen."""

    token: str
    url: str = ""
    outbox: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, JSON]] = field(default_factory=list)
    callback_answers: dict[str, JSON] = field(default_factory=dict)
    commands: dict[str | None, list[JSON]] = field(default_factory=dict)
    chat_commands: dict[int, list[JSON]] = field(default_factory=dict)  # chat-scoped menus
    descriptions: dict[tuple[str, str | None], str] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (status, method) answered
    answered_twice: list[str] = field(default_factory=list)  # query ids answered again (400)
    _updates: list[JSON] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _fail_next: dict[str, int] = field(default_factory=dict)
    _read: dict[int, int] = field(default_factory=dict)  # chat id → outbox items already read
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    _closing: bool = False
    polls: int = 0
    webhook: JSON | None = None
    send_limit: int | None = None  # sendMessage calls allowed in any one second; more get 429
    _sends: list[float] = field(default_factory=list)

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=60 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Wake long polls and stop listening."""
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ the test's side

    async def user_sends(self, user: User, text: str, *, chat: JSON | None = None) -> JSON:
        """Post a message from `user` (in a private chat unless `chat` is given)."""
        message: JSON = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat or {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.json(),
            "text": text,
        }
        command = re.match(r"/\S+", text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.group())}
            ]
        return await self._push({"message": message})

    async def press(self, user: User, sent: Sent, data: str) -> str:
        """Press an inline button (any callback data, forged or not); return the query id."""
        query_id = str(next(self._ids))
        await self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.json(),
                    "message": sent.message,
                    "chat_instance": str(sent.chat_id),
                    "data": data,
                }
            }
        )
        return query_id

    def block(self, user_id: int) -> None:
        """Make the user block the bot: sending to them answers 403."""
        self.blocked.add(user_id)

    def fail_next(self, method: str, retry_after: int) -> None:
        """Answer the next call of `method` with 429 Too Many Requests."""
        self._fail_next[method] = retry_after

    async def reply(self, chat_id: int, within: float = 15.0) -> Sent:
        """Wait for the next thing the bot shows in this chat, and return it."""

        def ready() -> bool:
            return self._unread(chat_id) is not None

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(ready), within)
            sent = self._unread(chat_id)
            assert sent is not None
            self._read[chat_id] = self._read.get(chat_id, 0) + 1
            return sent

    async def callback_answer(self, query_id: str, within: float = 15.0) -> JSON:
        """Wait for the bot to answer a pressed button, and return the answer."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: query_id in self.callback_answers), within
            )
        return self.callback_answers[query_id]

    async def wait_until(self, condition: Callable[[], bool], within: float = 15.0) -> None:
        """Wait until the server has seen what `condition` checks."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), within)

    def unread(self, chat_id: int) -> list[Sent]:
        """Return what the bot showed in a chat that the test has not read yet."""
        mine = [s for s in self.outbox if s.chat_id == chat_id]
        return mine[self._read.get(chat_id, 0) :]

    # ------------------------------------------------------------------ the bot's side

    def _unread(self, chat_id: int) -> Sent | None:
        pending = self.unread(chat_id)
        return pending[0] if pending else None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _push(self, body: JSON) -> JSON:
        update = {"update_id": next(self._ids), **body}
        self._updates.append(update)
        await self._notify()
        return update

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await _read_params(request)
        self.calls.append((method, params))
        retry_after = self._fail_next.pop(method, None)
        if retry_after is not None:
            self.refused.append((429, method))
            await self._notify()
            return _error(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        if method == "sendMessage" and self.send_limit is not None:
            now = time.monotonic()
            self._sends = [t for t in self._sends if t > now - 1.0]
            if len(self._sends) >= self.send_limit:
                self.refused.append((429, method))
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._sends.append(now)
        chat_id = _int(params.get("chat_id"))
        if chat_id is not None and chat_id in self.blocked:
            self.refused.append((403, method))
            await self._notify()
            return _error(403, "Forbidden: bot was blocked by the user")
        refusal = telegram_refusal(method, params)
        if refusal is not None:  # past Telegram's limits: refused as Telegram does
            self.refused.append((400, method))
            await self._notify()
            return _error(400, refusal)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = await handler(params, files)
        await self._notify()
        if isinstance(result, web.Response):  # the method refused the call
            return result
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, params: JSON, files: JSON) -> JSON:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Targetbot",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_deleteWebhook(self, params: JSON, files: JSON) -> bool:
        self.webhook = None
        return True

    async def _api_setWebhook(self, params: JSON, files: JSON) -> bool:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    def update_json(self, user: User, text: str) -> JSON:
        """Return an update carrying a private message, for delivery by webhook."""
        message: JSON = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.json(),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        }
        return {"update_id": next(self._ids), "message": message}

    async def _api_setMyCommands(self, params: JSON, files: JSON) -> bool:
        scope = _json(params.get("scope")) or {}
        if scope.get("type") == "chat":  # one user's menu
            self.chat_commands[int(scope["chat_id"])] = _json(params["commands"])
            return True
        self.commands[params.get("language_code") or None] = _json(params["commands"])
        return True

    async def _api_setMyDescription(self, params: JSON, files: JSON) -> bool:
        self.descriptions[("description", params.get("language_code") or None)] = str(
            params.get("description", "")
        )
        return True

    async def _api_setMyShortDescription(self, params: JSON, files: JSON) -> bool:
        self.descriptions[("short", params.get("language_code") or None)] = str(
            params.get("short_description", "")
        )
        return True

    async def _api_getUpdates(self, params: JSON, files: JSON) -> list[JSON]:
        offset = _int(params.get("offset")) or 0
        limit = _int(params.get("limit")) or 100
        timeout = float(params.get("timeout") or 0)
        self.polls += 1
        await self._notify()
        # Updates below the offset are confirmed: forget them, as Telegram does.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0 and not self._closing:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates) or self._closing),
                        timeout,
                    )
        return self._updates[:limit]

    def _message(self, chat_id: int, text: str | None, params: JSON) -> JSON:
        message: JSON = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Targetbot",
                "username": BOT_USERNAME,
            },
        }
        if text is not None:
            message["text"] = html.unescape(re.sub(r"<[^>]+>", "", text))
        if params.get("reply_markup"):
            message["reply_markup"] = json.loads(params["reply_markup"])
        return message

    async def _api_sendMessage(self, params: JSON, files: JSON) -> JSON:
        chat_id = int(params["chat_id"])
        message = self._message(chat_id, params["text"], params)
        self.outbox.append(Sent("sendMessage", chat_id, message, params["text"]))
        return message

    def _find(self, chat_id: int, message_id: int) -> Sent:
        return next(
            s
            for s in reversed(self.outbox)
            if s.chat_id == chat_id and s.message["message_id"] == message_id
        )

    async def _api_editMessageText(self, params: JSON, files: JSON) -> JSON:
        chat_id = int(params["chat_id"])
        old = self._find(chat_id, int(params["message_id"]))
        message = {
            **self._message(chat_id, params["text"], params),
            "message_id": old.message["message_id"],
        }
        self.outbox.append(Sent("editMessageText", chat_id, message, params["text"]))
        return message

    async def _api_editMessageReplyMarkup(self, params: JSON, files: JSON) -> JSON:
        chat_id = int(params["chat_id"])
        old = self._find(chat_id, int(params["message_id"]))
        message = {**old.message, "reply_markup": json.loads(params.get("reply_markup") or "{}")}
        self.outbox.append(Sent("editMessageReplyMarkup", chat_id, message, old.html))
        return message

    async def _api_answerCallbackQuery(self, params: JSON, files: JSON) -> bool | web.Response:
        query_id = str(params["callback_query_id"])
        if query_id in self.callback_answers:  # Telegram takes one answer per query
            self.answered_twice.append(query_id)
            self.refused.append((400, "answerCallbackQuery"))
            return _error(400, QUERY_TOO_OLD)
        self.callback_answers[query_id] = params
        return True

    async def _send_file(self, method: str, field_name: str, params: JSON, files: JSON) -> JSON:
        chat_id = int(params["chat_id"])
        reference = str(params.get(field_name, ""))
        key = (
            reference.removeprefix("attach://") if reference.startswith("attach://") else field_name
        )
        name, data = files.get(key, (None, b""))
        message = self._message(chat_id, None, params)
        message["caption"] = params.get("caption", "")
        self.outbox.append(Sent(method, chat_id, message, params.get("caption", ""), name, data))
        return message

    async def _api_sendDocument(self, params: JSON, files: JSON) -> JSON:
        return await self._send_file("sendDocument", "document", params, files)

    async def _api_sendPhoto(self, params: JSON, files: JSON) -> JSON:
        return await self._send_file("sendPhoto", "photo", params, files)


async def _read_params(request: web.Request) -> tuple[JSON, JSON]:
    """Read a Bot API call's parameters: JSON body, query string, form or multipart."""
    params: JSON = dict(request.query)
    files: JSON = {}
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = (value.filename, value.file.read())
            else:
                params[name] = value
    return params, files


def _json(value: Any) -> Any:
    """Return a parameter sent as JSON text (a form field) or already decoded (a JSON body)."""
    return json.loads(value) if isinstance(value, str) else value


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _error(status: int, description: str, parameters: JSON | None = None) -> web.Response:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
