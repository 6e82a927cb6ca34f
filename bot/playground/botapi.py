"""A local Bot API server: the part of Telegram's Bot API that targetbot uses, over real HTTP.

The bot calls `<url>/bot<token>/<method>` and downloads files from `<url>/file/bot<token>/<path>`,
as it does Telegram's (TELEGRAM_API_URL points it here). The people's side — typing, pressing
inline buttons, uploading files — is this class's public methods. Everything shown in a chat is
kept in order as `Sent`, each with a sequence number, for the playground's page
(bot/playground/server.py) and for the end-to-end tests (tests/e2e/botapi.py adds their
switches: users who blocked the bot, 429s).

Methods: getMe, getUpdates (long polling with offsets), deleteWebhook, sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, sendDocument, sendPhoto,
sendChatAction, getFile, deleteMessage, setMyCommands (default, per language and per chat),
getMyCommands, deleteMyCommands, setMyDescription, setMyShortDescription. Like Telegram it
answers a second answerCallbackQuery of the same query with 400, a message, caption or callback
data past Telegram's limits with 400, and a method it does not know with 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import mimetypes
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

JSON = dict[str, Any]
BOT_ID = 7_000_000_001
# What Telegram answers to a second answerCallbackQuery of the same query.
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query id is invalid"
MAX_UPLOAD = 60 * 2**20  # bytes of one request: Telegram takes 50 MB documents from bots
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class User:
    """A person writing to the bot."""

    id: int
    first_name: str
    language_code: str = "zh"
    username: str | None = None

    def json(self) -> JSON:
        """Return the user as the Bot API shows it."""
        data: JSON = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            data["username"] = self.username
        return data


class Upload(NamedTuple):
    """A file in a request: its name, its bytes and its media type."""

    name: str | None
    data: bytes
    mime: str


@dataclass(frozen=True)
class StoredFile:
    """A file the bot sent or a person uploaded, kept for getFile and downloads."""

    id: str
    name: str
    data: bytes
    mime: str

    def json(self) -> JSON:
        """Return the file's Bot API fields (a Document's, without the thumbnail)."""
        return {
            "file_id": self.id,
            "file_unique_id": f"u{self.id}",
            "file_name": self.name,
            "mime_type": self.mime,
            "file_size": len(self.data),
        }


@dataclass
class Sent:
    """Something shown in a chat.

    `method` is the Bot API method the bot called (sendMessage, editMessageText,
    editMessageReplyMarkup, sendDocument, sendPhoto, or answerCallbackQuery for an alert), or
    `message` for what a person sent. `html` is the text as sent (HTML; a person's is escaped).
    """

    method: str
    chat_id: int
    message: JSON
    html: str = ""
    file_name: str | None = None
    file_bytes: bytes = b""
    at: float = field(default_factory=time.monotonic)  # when the server took it
    seq: int = 0  # its place among everything shown, in every chat
    file_id: str | None = None

    @property
    def from_bot(self) -> bool:
        """Tell whether the bot showed it (rather than a person)."""
        return self.method != "message"

    @property
    def text(self) -> str:
        """Return the text as the user sees it (tags rendered away)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.html))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Return the inline buttons as (label, callback data)."""
        return [
            (button["text"], button.get("callback_data", ""))
            for row in self.inline_keyboard
            for button in row
        ]

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """Return the inline keyboard's rows of buttons (none: [])."""
        markup = self.message.get("reply_markup") or {}
        rows: list[list[JSON]] = markup.get("inline_keyboard", [])
        return rows


@dataclass
class BotAPIServer:
    """The server, the people's side of it, and what it has seen."""

    token: str
    username: str = "targetbot_local_bot"
    url: str = ""
    outbox: list[Sent] = field(default_factory=list)  # what the bot showed, in order
    events: list[Sent] = field(default_factory=list)  # everything shown, people's too
    calls: deque[tuple[str, JSON]] = field(default_factory=lambda: deque(maxlen=2000))
    callback_answers: dict[str, JSON] = field(default_factory=dict)
    commands: dict[str | None, list[JSON]] = field(default_factory=dict)  # by language
    chat_commands: dict[int, list[JSON]] = field(default_factory=dict)  # chat-scoped menus
    descriptions: dict[tuple[str, str | None], str] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (status, method) answered
    answered_twice: list[str] = field(default_factory=list)  # query ids answered again (400)
    polls: int = 0
    _updates: list[JSON] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _queries: dict[str, int] = field(default_factory=dict)  # query id → chat id
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    _closing: bool = False

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host` (loopback by default), on a free port unless one is given."""
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._add_routes(app)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}"

    async def stop(self) -> None:
        """Wake long polls and stop listening."""
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def clear(self) -> None:
        """Forget every chat, file, menu and pending update (sequence numbers and ids go on)."""
        for kept in (
            self.outbox,
            self.events,
            self.calls,
            self.callback_answers,
            self.commands,
            self.chat_commands,
            self.descriptions,
            self.files,
            self._updates,
            self._queries,
        ):
            kept.clear()

    # ------------------------------------------------------------------ the people's side

    async def user_sends(self, user: User, text: str, *, chat: JSON | None = None) -> JSON:
        """Post a message from `user` (in a private chat unless `chat` is given)."""
        message = self._from(user, chat)
        message["text"] = text
        command = re.match(r"/\S+", text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.group())}
            ]
        self._show(Sent("message", message["chat"]["id"], message, html.escape(text)))
        return await self._push({"message": message})

    async def user_uploads(
        self,
        user: User,
        name: str,
        data: bytes,
        *,
        mime: str | None = None,
        caption: str = "",
        media_group_id: str | None = None,
    ) -> JSON:
        """Post a document from `user` in their private chat, as Telegram delivers one.

        `media_group_id` makes it one of an album (Telegram delivers each as its own update).
        """
        stored = self._store(name, data, mime)
        message = self._from(user, None)
        message["document"] = stored.json()
        if caption:
            message["caption"] = caption
        if media_group_id:
            message["media_group_id"] = media_group_id
        sent = Sent(
            "message", user.id, message, html.escape(caption), name, data, file_id=stored.id
        )
        self._show(sent)
        return await self._push({"message": message})

    async def user_sends_photo(
        self, user: User, data: bytes, *, caption: str = "", media_group_id: str | None = None
    ) -> JSON:
        """Post a photo from `user` in their private chat: like Telegram, in two sizes (a small
        one, then `data` itself), each a file of its own."""
        sizes: list[JSON] = []
        for side, content in ((90, data[:64]), (1280, data)):
            stored = self._store("photo.jpg", content, "image/jpeg")
            sizes.append(
                {
                    "file_id": stored.id,
                    "file_unique_id": f"u{stored.id}",
                    "width": side,
                    "height": side * 3 // 4,
                    "file_size": len(content),
                }
            )
        message = self._from(user, None)
        message["photo"] = sizes
        if caption:
            message["caption"] = caption
        if media_group_id:
            message["media_group_id"] = media_group_id
        full = str(sizes[-1]["file_id"])
        sent = Sent(
            "message", user.id, message, html.escape(caption), "photo.jpg", data, file_id=full
        )
        self._show(sent)
        return await self._push({"message": message})

    async def press(self, user: User, sent: Sent, data: str) -> str:
        """Press an inline button (any callback data, forged or not); return the query id."""
        query_id = str(next(self._ids))
        self._queries[query_id] = sent.chat_id
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

    def shown(self, chat_id: int, message_id: int) -> Sent | None:
        """Return a message of the bot's in a chat as it looks now (its last edit), if any."""
        return next(
            (
                s
                for s in reversed(self.outbox)
                if s.chat_id == chat_id and s.message.get("message_id") == message_id
            ),
            None,
        )

    async def wait_until(self, condition: Callable[[], bool], within: float = 15.0) -> None:
        """Wait until the server has seen what `condition` checks."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), within)

    async def events_after(self, chat_id: int, after: int, wait: float = 0.0) -> list[Sent]:
        """Return what was shown in a chat after sequence number `after`, waiting up to `wait`
        seconds for something to come when nothing has yet."""

        def fresh() -> list[Sent]:
            return [e for e in self.events if e.seq > after and e.chat_id == chat_id]

        if not fresh() and wait > 0 and not self._closing:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(fresh()) or self._closing), wait
                    )
        return fresh()

    @property
    def last_seq(self) -> int:
        """Return the sequence number of the last thing shown (0 before anything)."""
        return self.events[-1].seq if self.events else 0

    def menu(self, chat_id: int, language: str | None = None) -> list[JSON]:
        """Return the command menu a chat sees: its own, else its language's, else the default."""
        if chat_id in self.chat_commands:
            return self.chat_commands[chat_id]
        return self.commands.get(language) or self.commands.get(None) or []

    # ------------------------------------------------------------------ the bot's side

    def _add_routes(self, app: web.Application) -> None:
        """Add more routes before the server starts (a subclass's)."""

    async def _refusal(self, method: str, params: JSON) -> web.Response | None:
        """Return the refusal of a call, as Telegram would answer it, or None to carry it out."""
        refusal = telegram_refusal(method, params)
        if refusal is not None:  # past Telegram's limits: refused as Telegram does
            self.refused.append((400, method))
            return error(400, refusal)
        return None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _push(self, body: JSON) -> JSON:
        update = {"update_id": next(self._ids), **body}
        self._updates.append(update)
        await self._notify()
        return update

    def _show(self, sent: Sent) -> Sent:
        """Put something in its chat, next in order."""
        sent.seq = next(self._seq)
        self.events.append(sent)
        if sent.from_bot and sent.method != "answerCallbackQuery":
            self.outbox.append(sent)
        return sent

    def _from(self, user: User, chat: JSON | None) -> JSON:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat or {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.json(),
        }

    def _store(self, name: str, data: bytes, mime: str | None) -> StoredFile:
        file_id = f"f{next(self._ids)}"
        guessed = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
        stored = StoredFile(file_id, name, data, guessed)
        self.files[file_id] = stored
        return stored

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return error(401, "Unauthorized")
        method = request.match_info["method"]
        params, uploads = await _read_params(request)
        self.calls.append((method, params))
        refused = await self._refusal(method, params)
        if refused is not None:
            await self._notify()
            return refused
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return error(404, "Not Found: method not found")
        result = await handler(params, uploads)
        await self._notify()
        if isinstance(result, web.Response):  # the method refused the call
            return result
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return error(401, "Unauthorized")
        stored = self.files.get(request.match_info["path"].rsplit("/", 1)[-1])
        if stored is None:
            return error(404, "Not Found: file not found")
        return web.Response(body=stored.data, content_type=stored.mime)

    async def _api_getMe(self, params: JSON, uploads: dict[str, Upload]) -> JSON:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Targetbot",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_deleteWebhook(self, params: JSON, uploads: dict[str, Upload]) -> bool:
        if _flag(params.get("drop_pending_updates")):
            self._updates.clear()
        return True

    async def _api_setMyCommands(self, params: JSON, uploads: dict[str, Upload]) -> bool:
        scope = _json(params.get("scope")) or {}
        if scope.get("type") == "chat":  # one user's menu
            self.chat_commands[int(scope["chat_id"])] = _json(params["commands"])
            return True
        self.commands[params.get("language_code") or None] = _json(params["commands"])
        return True

    async def _api_getMyCommands(self, params: JSON, uploads: dict[str, Upload]) -> list[JSON]:
        scope = _json(params.get("scope")) or {}
        if scope.get("type") == "chat":
            return self.chat_commands.get(int(scope["chat_id"]), [])
        return self.commands.get(params.get("language_code") or None, [])

    async def _api_deleteMyCommands(self, params: JSON, uploads: dict[str, Upload]) -> bool:
        scope = _json(params.get("scope")) or {}
        if scope.get("type") == "chat":
            self.chat_commands.pop(int(scope["chat_id"]), None)
        else:
            self.commands.pop(params.get("language_code") or None, None)
        return True

    async def _api_setMyDescription(self, params: JSON, uploads: dict[str, Upload]) -> bool:
        self.descriptions[("description", params.get("language_code") or None)] = str(
            params.get("description", "")
        )
        return True

    async def _api_setMyShortDescription(self, params: JSON, uploads: dict[str, Upload]) -> bool:
        self.descriptions[("short", params.get("language_code") or None)] = str(
            params.get("short_description", "")
        )
        return True

    async def _api_getUpdates(self, params: JSON, uploads: dict[str, Upload]) -> list[JSON]:
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
                "username": self.username,
            },
        }
        if text is not None:
            message["text"] = html.unescape(re.sub(r"<[^>]+>", "", text))
        if params.get("reply_markup"):
            message["reply_markup"] = _json(params["reply_markup"])
        return message

    async def _api_sendMessage(self, params: JSON, uploads: dict[str, Upload]) -> JSON:
        chat_id = int(params["chat_id"])
        message = self._message(chat_id, params["text"], params)
        self._show(Sent("sendMessage", chat_id, message, params["text"]))
        return _as_telegram_returns(message)

    def _old(self, params: JSON) -> Sent | web.Response:
        """Return the message an edit is of, or Telegram's refusal when there is none."""
        old = self.shown(int(params["chat_id"]), int(params["message_id"]))
        return old if old is not None else error(400, "Bad Request: message to edit not found")

    async def _api_editMessageText(
        self, params: JSON, uploads: dict[str, Upload]
    ) -> JSON | web.Response:
        old = self._old(params)
        if isinstance(old, web.Response):
            return old
        message = {
            **self._message(old.chat_id, params["text"], params),
            "message_id": old.message["message_id"],
        }
        self._show(Sent("editMessageText", old.chat_id, message, params["text"]))
        return message

    async def _api_editMessageReplyMarkup(
        self, params: JSON, uploads: dict[str, Upload]
    ) -> JSON | web.Response:
        old = self._old(params)
        if isinstance(old, web.Response):
            return old
        message = {k: v for k, v in old.message.items() if k != "reply_markup"}
        markup = _json(params.get("reply_markup"))
        if markup and markup.get("inline_keyboard"):  # none or an empty one: no buttons
            message["reply_markup"] = markup
        sent = Sent(
            "editMessageReplyMarkup",
            old.chat_id,
            message,
            old.html,
            old.file_name,
            old.file_bytes,
            file_id=old.file_id,
        )
        self._show(sent)
        return message

    async def _api_deleteMessage(self, params: JSON, uploads: dict[str, Upload]) -> bool:
        return True

    async def _api_sendChatAction(self, params: JSON, uploads: dict[str, Upload]) -> bool:
        return True

    async def _api_answerCallbackQuery(
        self, params: JSON, uploads: dict[str, Upload]
    ) -> bool | web.Response:
        query_id = str(params["callback_query_id"])
        if query_id in self.callback_answers:  # Telegram takes one answer per query
            self.answered_twice.append(query_id)
            self.refused.append((400, "answerCallbackQuery"))
            return error(400, QUERY_TOO_OLD)
        self.callback_answers[query_id] = params
        chat_id = self._queries.pop(query_id, None)
        if params.get("text") and chat_id is not None:  # a toast, or an alert to dismiss
            self._show(Sent("answerCallbackQuery", chat_id, dict(params), str(params["text"])))
        return True

    async def _send_file(
        self, method: str, field_name: str, params: JSON, uploads: dict[str, Upload]
    ) -> JSON | web.Response:
        chat_id = int(params["chat_id"])
        reference = str(params.get(field_name, ""))
        stored = self.files.get(reference)  # a file_id sent again
        if stored is None:
            key = reference.removeprefix("attach://") if reference else field_name
            upload = uploads.get(key) or uploads.get(field_name)
            if upload is None:
                return error(400, f"Bad Request: there is no {field_name} in the request")
            name, mime = upload.name or field_name, upload.mime
            if method == "sendPhoto":  # Telegram takes any picture and makes it a JPEG
                mime = _picture_type(upload.data) or mime
                name = f"photo{mimetypes.guess_extension(mime) or ''}"
            stored = self._store(name, upload.data, mime)
        message = self._message(chat_id, None, params)
        caption = str(params.get("caption", ""))
        if caption:
            message["caption"] = html.unescape(re.sub(r"<[^>]+>", "", caption))
        if method == "sendPhoto":
            width, height = _png_size(stored.data)
            message["photo"] = [
                {
                    "file_id": stored.id,
                    "file_unique_id": f"u{stored.id}",
                    "width": width,
                    "height": height,
                    "file_size": len(stored.data),
                }
            ]
        else:
            message["document"] = stored.json()
        sent = Sent(method, chat_id, message, caption, stored.name, stored.data, file_id=stored.id)
        self._show(sent)
        return message

    async def _api_sendDocument(
        self, params: JSON, uploads: dict[str, Upload]
    ) -> JSON | web.Response:
        return await self._send_file("sendDocument", "document", params, uploads)

    async def _api_sendPhoto(self, params: JSON, uploads: dict[str, Upload]) -> JSON | web.Response:
        return await self._send_file("sendPhoto", "photo", params, uploads)

    async def _api_getFile(self, params: JSON, uploads: dict[str, Upload]) -> JSON | web.Response:
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            return error(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.id,
            "file_unique_id": f"u{stored.id}",
            "file_size": len(stored.data),
            "file_path": f"documents/{stored.id}",
        }


def utf16_units(text: str) -> int:
    """Return a text's length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def telegram_refusal(method: str, params: JSON) -> str | None:
    """Return Telegram's 400 description for a call past its limits, or None.

    Telegram measures a message's text after parsing its HTML (tags dropped, entities decoded)
    in UTF-16 code units: 4,096 for a message, 1,024 for a caption; a button's callback data is
    64 bytes at most.
    """
    if method in ("sendMessage", "editMessageText"):
        text = str(params.get("text", ""))
        parsed = html.unescape(re.sub(r"<[^<>]*>", "", text))
        if not parsed.strip():
            return "Bad Request: message text is empty"
        if utf16_units(parsed) > 4096:
            return "Bad Request: message is too long"
    if "caption" in params:
        caption = html.unescape(re.sub(r"<[^<>]*>", "", str(params["caption"])))
        if utf16_units(caption) > 1024:
            return "Bad Request: message caption is too long"
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if isinstance(markup, dict):
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > 64:
                    return "Bad Request: BUTTON_DATA_INVALID"
    return None


async def _read_params(request: web.Request) -> tuple[JSON, dict[str, Upload]]:
    """Read a Bot API call's parameters: JSON body, query string, form or multipart."""
    params: JSON = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                uploads[name] = Upload(value.filename, value.file.read(), value.content_type)
            else:
                params[name] = value
    return params, uploads


def _picture_type(data: bytes) -> str | None:
    """Return a picture's media type from its first bytes (PNG, JPEG, GIF or WebP), if any."""
    if data[:8] == PNG:
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _png_size(data: bytes) -> tuple[int, int]:
    """Return a PNG's width and height from its header ((0, 0) for anything else)."""
    if data[:8] != PNG or len(data) < 24:
        return 0, 0
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _json(value: Any) -> Any:
    """Return a parameter sent as JSON text (a form field) or already decoded (a JSON body)."""
    return json.loads(value) if isinstance(value, str) else value


def _flag(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def error(status: int, description: str, parameters: JSON | None = None) -> web.Response:
    """Return a Bot API refusal: `{"ok": false, "error_code": …, "description": …}`."""
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _as_telegram_returns(message: JSON) -> JSON:
    """Return a sent message as Telegram hands it back: a reply keyboard is not in it.

    Telegram returns only an inline keyboard in the Message of a send; the page still shows the
    reply keyboard from what was stored.
    """
    markup = message.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" not in markup:
        return {key: value for key, value in message.items() if key != "reply_markup"}
    return message
