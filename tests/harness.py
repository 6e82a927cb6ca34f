"""Fast in-process bot tests: the real Application, with a recording Bot API underneath."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.app import build_application, close_services, open_services
from bot.plan.importer import DEMO_TABLE, import_file
from bot.playground.botapi import telegram_refusal
from bot.settings import Settings
from handlers.context import BotApplication

TOKEN = "123456789:TESTtokenForInProcessTests_0123456"
# What Telegram answers to a second answerCallbackQuery of the same query.
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query id is invalid"
BOT = {"id": 7000000002, "is_bot": True, "first_name": "Targetbot", "username": "targetbot_bot"}


class RecordingRequest(BaseRequest):
    """Answers every Bot API call as Telegram would, and records it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._ids = itertools.count(1)
        self.blocked: set[int] = set()  # chats that answer 403: the user blocked the bot
        self.failing: dict[int, int] = {}  # chat → how many more sends answer 502
        self.answered: set[str] = set()  # callback queries answered: Telegram takes one answer
        self.answered_twice: list[str] = []  # query ids answered again (refused with 400)
        self.failing_answers = 0  # how many more answerCallbackQuery calls answer 400
        self.failing_edits = 0  # how many more editMessageText calls answer 400 (message gone)
        self.refused: list[tuple[str, str]] = []  # (method, description) refused as Telegram does
        self.not_started: set[int] = set()  # chats that answer 400 chat not found
        self.bad_requests: dict[int, str] = {}  # chat → a 400 every send to it answers
        self.fail_after: dict[int, int] = {}  # chat → sends that succeed before each 502
        self.files: dict[str, bytes] = {}  # file id → the bytes of a file a person sent
        self.uploads: list[tuple[str, str, bytes]] = []  # (method, file name, bytes) sent
        self.forgotten: set[str] = set()  # file ids Telegram no longer takes (sendPhoto …)
        self.failing_downloads = 0  # how many more file downloads answer 502

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        """Return the read timeout (unused: nothing is read from a network)."""
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        """Record the call and answer it."""
        if "/file/bot" in url:  # a download of a file getFile named: documents/<file id>
            file_id = url.rsplit("/", 1)[-1]
            self.calls.append(("download", {"file_id": file_id}))
            if self.failing_downloads:
                self.failing_downloads -= 1
                return 502, _error(502, "Bad Gateway")
            if file_id not in self.files:
                return 404, _error(404, "Not Found")
            return 200, self.files[file_id]
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append((name, params))
        if request_data is not None and request_data.contains_files:
            for file_name, content, *_ in request_data.multipart_data.values():
                data = content if isinstance(content, bytes) else content.read()
                self.uploads.append((name, str(file_name), data))
        sent_file = params.get("photo") or params.get("document")
        if name in ("sendPhoto", "sendDocument") and sent_file in self.forgotten:
            self.refused.append((name, "wrong file identifier"))
            return 400, _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if name == "answerCallbackQuery":
            query_id = str(params.get("callback_query_id"))
            if query_id in self.answered:
                self.answered_twice.append(query_id)
                return 400, _error(400, QUERY_TOO_OLD)
            if self.failing_answers:
                self.failing_answers -= 1
                return 400, _error(400, QUERY_TOO_OLD)
            self.answered.add(query_id)
        refusal = telegram_refusal(name, params)
        if refusal is not None:
            self.refused.append((name, refusal))
            return 400, _error(400, refusal)
        if name == "editMessageText" and self.failing_edits:
            self.failing_edits -= 1
            return 400, _error(400, "Bad Request: message to edit not found")
        chat = int(str(params.get("chat_id") or 0))
        if chat in self.blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        if chat in self.not_started:  # a roster user who never opened the bot
            return 400, _error(400, "Bad Request: chat not found")
        if chat in self.bad_requests:
            return 400, _error(400, self.bad_requests[chat])
        if chat in self.fail_after and name == "sendMessage":
            if self.fail_after[chat] <= 0:
                return 502, _error(502, "Bad Gateway")
            self.fail_after[chat] -= 1
        if self.failing.get(chat):
            self.failing[chat] -= 1
            return 502, _error(502, "Bad Gateway")
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> object:
        if name == "getMe":
            return BOT
        if name == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return {"file_id": file_id, "file_unique_id": f"u{file_id}"}
            return {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        if name == "sendPhoto":  # the photo itself is in `uploads`
            chat_id = int(params["chat_id"])
            return {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "from": BOT,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "photo": [{"file_id": "p1", "file_unique_id": "up1", "width": 1, "height": 1}],
                **({"caption": params["caption"]} if "caption" in params else {}),
            }
        if name in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])
            message: dict[str, Any] = {
                "message_id": int(params.get("message_id") or next(self._ids)),
                "date": int(time.time()),
                "from": BOT,
                "text": params["text"],
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        if name == "sendDocument":  # the file sent, as Telegram describes it back
            chat_id = int(params["chat_id"])
            number = next(self._ids)
            return {
                "message_id": number,
                "date": int(time.time()),
                "from": BOT,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "document": {"file_id": f"sent{number}", "file_unique_id": f"usent{number}"},
                "caption": params.get("caption", ""),
            }
        return True


def _error(code: int, description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": code, "description": description}).encode()


@dataclass(frozen=True)
class Person:
    """Someone writing to the bot."""

    id: int
    first_name: str
    language_code: str = "zh"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }


@dataclass
class Harness:
    """Drives the Application with updates and shows what it answered."""

    app: BotApplication
    request: RecordingRequest
    # Message ids only grow in a chat, also across restarts of the bot (a new Harness).
    _ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(time.monotonic_ns() // 1000)
    )
    last_update: dict[str, Any] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.app.bot_data.settings.database_path

    async def _process(self, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        self.last_update = {"update_id": next(self._ids), **body}
        return await self.replay()

    async def replay(self) -> list[tuple[str, dict[str, Any]]]:
        """Deliver the last update again, as Telegram may; return the calls it caused."""
        before = len(self.request.calls)
        await self.app.process_update(Update.de_json(self.last_update, self.app.bot))
        return self.request.calls[before:]

    async def send_sticker(self, person: Person) -> list[tuple[str, dict[str, Any]]]:
        """Send a sticker (no text) in a private chat."""
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "from": person.json(),
            "chat": {"id": person.id, "type": "private"},
            "sticker": sticker,
        }
        return await self._process({"message": message})

    async def send_document(
        self,
        person: Person,
        name: str,
        data: bytes,
        *,
        caption: str = "",
        file_size: int | None = None,
        mime_type: str | None = None,
        media_group_id: str | None = None,
        unique_id: str | None = None,
    ) -> list[tuple[str, dict[str, Any]]]:
        """Send a file (a document) in a private chat; `file_size` overrides the size told.

        `media_group_id` makes it one of an album; `unique_id` the same file sent again.
        """
        file_id = f"doc-{next(self._ids)}"
        self.request.files[file_id] = data
        document: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": unique_id or f"u{file_id}",
            "file_name": name,
            "file_size": len(data) if file_size is None else file_size,
        }
        if mime_type:
            document["mime_type"] = mime_type
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "from": person.json(),
            "chat": {"id": person.id, "type": "private"},
            "document": document,
        }
        if caption:
            message["caption"] = caption
        if media_group_id:
            message["media_group_id"] = media_group_id
        return await self._process({"message": message})

    async def send_photo(
        self,
        person: Person,
        data: bytes,
        *,
        media_group_id: str | None = None,
        unique_id: str | None = None,
        caption: str = "",
    ) -> list[tuple[str, dict[str, Any]]]:
        """Send a photo as Telegram delivers one: its sizes, smallest first; the largest is `data`.

        The smaller sizes are other files (a thumbnail); `media_group_id` makes it one of an album.
        """
        number = next(self._ids)
        unique = unique_id or f"uphoto-{number}"
        sizes = []
        for index, (side, content) in enumerate(((90, data[:16]), (1280, data))):
            file_id = f"photo-{number}-{index}"
            self.request.files[file_id] = content
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": f"{unique}-{index}",
                    "width": side,
                    "height": side * 3 // 4,
                    "file_size": len(content),
                }
            )
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "from": person.json(),
            "chat": {"id": person.id, "type": "private"},
            "photo": sizes,
        }
        if caption:
            message["caption"] = caption
        if media_group_id:
            message["media_group_id"] = media_group_id
        return await self._process({"message": message})

    def stop_push_job(self) -> None:
        """Stop the minute's push check: the test runs each check itself, when it chooses."""
        assert self.app.job_queue is not None
        for job in self.app.job_queue.get_jobs_by_name("pushes"):
            job.schedule_removal()

    async def send(self, person: Person, text: str) -> list[tuple[str, dict[str, Any]]]:
        """Send a private message; return the Bot API calls it caused."""
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "from": person.json(),
            "chat": {"id": person.id, "type": "private"},
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self._process({"message": message})

    async def press(self, person: Person, data: str) -> list[tuple[str, dict[str, Any]]]:
        """Press an inline button with this callback data (forged or not)."""
        message = {
            "message_id": 999,
            "date": int(time.time()),
            "from": BOT,
            "chat": {"id": person.id, "type": "private"},
            "text": "…",
        }
        return await self._process(
            {
                "callback_query": {
                    "id": str(next(self._ids)),
                    "from": person.json(),
                    "message": message,
                    "chat_instance": "1",
                    "data": data,
                }
            }
        )


def shown(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Return the texts a user was shown: messages, edits and button alerts."""
    texts = []
    for name, params in calls:
        if name in ("sendMessage", "editMessageText") or (
            name == "answerCallbackQuery" and params.get("text")
        ):
            texts.append(str(params["text"]))
    return texts


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    admin_ids: frozenset[int],
    *,
    load_demo: bool = True,
    **settings_values: str,
) -> AsyncIterator[Harness]:
    """Build the very Application `targetbot run` builds, on a demo database under tmp_path.

    `settings_values` adds settings by name (REVIEW_REQUIRED="true"); with `load_demo` false the
    database is used as it is (a restart of the same bot).
    """
    settings = Settings.from_mapping(
        {
            "BOT_TOKEN": TOKEN,
            "DATABASE_PATH": str(tmp_path / "targetbot.db"),
            "ADMIN_IDS": ",".join(map(str, admin_ids)),
            **settings_values,
        }
    )
    request = RecordingRequest()
    app = build_application(settings, request=request)
    await app.initialize()
    await open_services(app)
    await app.start()  # the job queue (conversation timeouts) and the persistence updater
    if load_demo:
        await import_file(app.bot_data.db, DEMO_TABLE, actor="test")
    try:
        yield Harness(app, request)
    finally:
        await app.stop()
        await close_services(app)
        await app.shutdown()
    # Telegram refuses a second answer to a pressed button: the bot must answer each once.
    twice = request.answered_twice
    assert twice == [], f"callback queries answered twice: {twice}"
