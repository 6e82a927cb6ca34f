"""Run the playground in one process: the local Bot API server, the real bot, the chat page.

The real Application (bot/app.build_application, every handler and job) polls a local Bot API
server (bot/playground/botapi.py) on a free loopback port; the chat page and its side API
(the contract with static/app.js) listen on `host:port`. The data is its own database (by
default data/playground.db), loaded with the demo table and five pre-bound demo people.

In a test: `async with running(settings, port=0) as playground: playground.url …`.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import signal
import urllib.parse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram import Update

from bot import clock
from bot.app import build_application
from bot.people import accounts
from bot.plan.importer import load_demo_if_empty
from bot.playground.botapi import BotAPIServer, Sent, User
from bot.settings import Secret, Settings
from handlers.context import BotApplication
from handlers.jobs import deliver
from storage import users
from storage.db import check_integrity, connect

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
TOKEN = "1000000001:playground-local-token"  # the local server's; no Telegram token is needed
MAX_FILE = 20 * 2**20  # bytes a person may upload (what a bot may download from Telegram)
LONGEST_WAIT = 25.0  # seconds a page's long poll may wait
PICTURES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})  # shown inline


@dataclass(frozen=True)
class Person:
    """A demo person the page can be: who, their role, and what binds them."""

    id: int
    name: str
    role: str  # admin, leader, liaison, or "" (a stranger)
    label: str
    bound_to: str | None = None  # the leader's or the unit's name

    def json(self) -> dict[str, object]:
        """Return the person as /api/state lists them."""
        return {"id": self.id, "name": self.name, "role": self.role, "label": self.label}


PEOPLE = (
    Person(1001, "督查室", "admin", "管理员"),
    Person(4004, "王昌华", "leader", "市政府领导 王昌华", "王昌华"),
    Person(2002, "水务局联络员", "liaison", "联络员 · 市水务局", "市水务局"),
    Person(2003, "工信局联络员", "liaison", "联络员 · 市工业和信息化局", "市工业和信息化局"),
    Person(3003, "访客", "", "未开通的访客"),
)
ADMIN = PEOPLE[0].id


class Playground:
    """The three parts and the side API; `start`, `reset` and `stop` them."""

    def __init__(
        self, settings: Settings, *, host: str = "127.0.0.1", port: int = 8080, public: bool = False
    ) -> None:
        self.base = settings  # the environment's settings; the database is the playground's
        self.host = host
        self.port = port
        self.public = public
        self.api = BotAPIServer(TOKEN)
        self.settings = settings
        self.application: BotApplication | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._resetting = asyncio.Lock()

    async def start(self) -> None:
        """Start the Bot API server, the bot on it, and the page (OSError: the port is taken)."""
        await self.api.start()
        self.settings = replace(
            self.base,
            bot_token=Secret(TOKEN),
            telegram_api_url=self.api.url,
            admin_ids=frozenset({ADMIN}),
            bot_username=None,
            load_demo_data=True,
        )
        await prepare(self.settings.database_path)
        await self._start_bot()
        app = web.Application(client_max_size=MAX_FILE + 2**16, middlewares=[self._same_origin])
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC, show_index=False)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/messages", self._messages)
        app.router.add_post("/api/send", self._send)
        app.router.add_post("/api/press", self._press)
        app.router.add_post("/api/upload", self._upload)
        app.router.add_get("/files/{id}", self._file)
        app.router.add_post("/api/clock", self._clock)
        app.router.add_post("/api/push", self._push)
        app.router.add_post("/api/reset", self._reset)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError:
            await self.stop()
            raise
        port = self._runner.addresses[0][1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{port}"

    async def stop(self) -> None:
        """Stop the page, the bot and the Bot API server."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._stop_bot()
        await self.api.stop()

    async def reset(self) -> None:
        """Delete the playground's database and start over on the demo data, the clock too."""
        async with self._resetting:
            await self._stop_bot()
            self.api.clear()
            path = self.settings.database_path
            delete_database(path)
            clock.use(self.settings)
            await prepare(path)
            await self._start_bot()

    async def push_now(self) -> int:
        """Run the push check now, as the job does each minute; return how many were sent."""
        assert self.application is not None
        services = self.application.bot_data
        delivery = await deliver(
            self.application.bot, services.db, services.settings, services.engine, services.now()
        )
        return len(delivery.sent)

    # ------------------------------------------------------------------ the bot

    async def _start_bot(self) -> None:
        """Start the Application as run_polling does, in this event loop."""
        application = build_application(self.settings)
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        self.application = application

    async def _stop_bot(self) -> None:
        application, self.application = self.application, None
        if application is None:
            return
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)

    # ------------------------------------------------------------------ the side API

    @web.middleware
    async def _same_origin(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """Refuse another site's page (a foreign Origin) and, on loopback, a foreign Host."""
        origin = request.headers.get("Origin")
        if origin is not None and urllib.parse.urlsplit(origin).netloc != request.host:
            return _refuse(403, "cross-origin requests are refused")
        if not self.public:
            name = urllib.parse.urlsplit(f"//{request.host}").hostname or ""
            if name not in ("127.0.0.1", "localhost", "::1"):
                return _refuse(403, "the playground answers on loopback only")
        response: web.StreamResponse = await handler(request)
        return response

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def _state(self, request: web.Request) -> web.Response:
        return _json(
            {
                "people": [p.json() for p in PEOPLE],
                "now": clock.local_now().strftime("%Y-%m-%d %H:%M"),
                "commands": {str(p.id): self.api.menu(p.id, "zh") for p in PEOPLE},
            }
        )

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            chat = int(request.query["chat"])
            after = int(request.query.get("after", "0"))
            wait = min(max(float(request.query.get("wait", "0")), 0.0), LONGEST_WAIT)
        except (KeyError, ValueError):
            return _refuse(400, "chat, after and wait are numbers")
        if after > self.api.last_seq:  # a page from before a restart of the playground
            after = 0
        events = await self.api.events_after(chat, after, wait)
        return _json(
            {
                "events": [event_json(e) for e in events],
                "last": max([after, *(e.seq for e in events)]),
            }
        )

    async def _send(self, request: web.Request) -> web.Response:
        body = await _body(request)
        person = _person(body.get("chat"))
        text = str(body.get("text", "")).strip()
        if person is None or not text:
            return _refuse(400, "chat is a demo person and text is not empty")
        await self.api.user_sends(person, text[:4096])
        return _json({"ok": True})

    async def _press(self, request: web.Request) -> web.Response:
        body = await _body(request)
        person = _person(body.get("chat"))
        try:
            message_id = int(body.get("message_id", ""))
        except (TypeError, ValueError):
            return _refuse(400, "message_id is a number")
        shown = self.api.shown(person.id, message_id) if person is not None else None
        if person is None or shown is None:
            return _refuse(404, "no such message in this chat")
        await self.api.press(person, shown, str(body.get("data", "")))
        return _json({"ok": True})

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        person = _person(form.get("chat"))
        upload = form.get("file")
        if person is None or not isinstance(upload, web.FileField):
            return _refuse(400, "chat is a demo person and file is a file")
        data = upload.file.read()
        caption = form.get("caption")
        await self.api.user_uploads(
            person,
            upload.filename or "file",
            data,
            mime=upload.content_type,
            caption=caption if isinstance(caption, str) else "",
        )
        return _json({"ok": True})

    async def _file(self, request: web.Request) -> web.Response:
        stored = self.api.files.get(request.match_info["id"])
        if stored is None:
            return _refuse(404, "no such file")
        # Pictures show in the page; anything else (an uploaded page or SVG too) downloads.
        disposition = "inline" if stored.mime in PICTURES else "attachment"
        quoted = urllib.parse.quote(stored.name)
        return web.Response(
            body=stored.data,
            content_type=stored.mime,
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quoted}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def _clock(self, request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            moment = datetime.strptime(
                str(body.get("time", "")).replace("T", " ")[:16], "%Y-%m-%d %H:%M"
            )
        except ValueError:
            return _refuse(400, "time is written 2024-01-04 09:00")
        clock.use(replace(self.settings, fake_time=moment))  # moves on from there
        return _json({"ok": True, "now": clock.local_now().strftime("%Y-%m-%d %H:%M")})

    async def _push(self, request: web.Request) -> web.Response:
        async with self._resetting:
            sent = await self.push_now()
        return _json({"ok": True, "sent": sent})

    async def _reset(self, request: web.Request) -> web.Response:
        await self.reset()
        return _json({"ok": True})


async def prepare(path: Path) -> None:
    """Create the playground's database: the demo table, and the demo people bound once."""
    conn = await connect(path)
    try:
        await check_integrity(conn)
        await load_demo_if_empty(conn)
        for person in PEOPLE:
            if not person.role or await users.get_user(conn, person.id) is not None:
                continue
            binding = None
            if person.bound_to is not None:
                found = await accounts.candidates(conn, person.role, person.bound_to)
                binding = next(f.id for f in found if f.name == person.bound_to)
            await accounts.set_role(
                conn,
                telegram_id=person.id,
                role=person.role,
                binding_id=binding,
                actor="playground",
                name=person.name,
            )
    finally:
        await conn.close()


def delete_database(path: Path) -> None:
    """Delete a database file and SQLite's files beside it (not its lock: we hold it)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def event_json(sent: Sent) -> dict[str, object]:
    """Return something shown in a chat as the page reads it (the side API's event)."""
    if sent.method == "answerCallbackQuery":
        return {
            "seq": sent.seq,
            "message_id": None,
            "from": "bot",
            "html": "",
            "buttons": [],
            "reply_keyboard": None,
            "document": None,
            "photo": None,
            "edited": False,
            "alert": sent.html,
        }
    markup = sent.message.get("reply_markup") or {}
    keyboard = markup.get("keyboard")
    url = f"/files/{sent.file_id}" if sent.file_id else None
    is_photo = "photo" in sent.message
    return {
        "seq": sent.seq,
        "message_id": sent.message.get("message_id"),
        "from": "bot" if sent.from_bot else "user",
        "html": sent.html,
        "buttons": [
            [{"text": b["text"], "data": b.get("callback_data", ""), **_url(b)} for b in row]
            for row in sent.inline_keyboard
        ],
        "reply_keyboard": (
            [[b if isinstance(b, str) else b["text"] for b in row] for row in keyboard]
            if keyboard
            else None
        ),
        "document": {"name": sent.file_name, "url": url} if url and not is_photo else None,
        "photo": {"url": url} if url and is_photo else None,
        "edited": sent.method.startswith("edit"),
        "alert": None,
    }


def _url(button: dict[str, Any]) -> dict[str, str]:
    return {"url": str(button["url"])} if button.get("url") else {}


def _json(body: object, status: int = 200) -> web.Response:
    """Return a JSON answer, Chinese as it is (not \\u-escaped)."""
    return web.json_response(body, status=status, dumps=partial(json.dumps, ensure_ascii=False))


def _person(value: object) -> User | None:
    try:
        wanted = int(str(value))
    except ValueError:
        return None
    for person in PEOPLE:
        if person.id == wanted:
            return User(person.id, person.name, "zh")
    return None


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _refuse(status: int, reason: str) -> web.Response:
    return _json({"ok": False, "error": html.escape(reason)}, status=status)


@asynccontextmanager
async def running(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 8080, public: bool = False
) -> AsyncIterator[Playground]:
    """Run the playground while in the block (port 0: a free one; see `playground.url`)."""
    playground = Playground(settings, host=host, port=port, public=public)
    await playground.start()
    try:
        yield playground
    finally:
        await playground.stop()


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    public: bool,
    ready: Callable[[str], None],
) -> None:
    """Run the playground until SIGINT or SIGTERM; call `ready` with its address once up."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with running(settings, host=host, port=port, public=public) as playground:
            ready(playground.url)
            await stop.wait()

    asyncio.run(main())
