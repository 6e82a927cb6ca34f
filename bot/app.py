"""Build the python-telegram-bot Application and run it."""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import hmac
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken
from telegram.ext import (
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    Defaults,
    ExtBot,
)
from telegram.request import BaseRequest

from bot.people.accounts import ensure_admins
from bot.settings import Settings, SettingsError
from handlers import build_handlers
from handlers.access import start_storing_visits
from handlers.admin import announce_now, start_announcing
from handlers.backup import start_backing_up
from handlers.context import CONTEXT_TYPES, BotApplication
from handlers.errors import on_error
from handlers.jobs import start_checking
from handlers.menus import set_up_menus
from handlers.ordering import InOrderPerChat
from handlers.pacing import Pacer
from handlers.report import start_pausing
from storage import users
from storage.db import connect, transaction
from storage.persistence import SQLitePersistence

log = logging.getLogger(__name__)


async def open_services(application: BotApplication) -> None:
    """Open the database, seed ADMIN_IDS, and remember the bot's username (post_init)."""
    services = application.bot_data
    settings = services.settings
    services.db = await connect(settings.database_path)
    await ensure_admins(services.db, settings)
    # The search index is built in a worker thread: the bot answers meanwhile (bot/query/engine).
    services.engine.start(services.db, services.today())
    async with transaction(services.db):
        await users.set_meta(services.db, "bot_username", application.bot.username)


async def close_services(application: BotApplication) -> None:
    """Close the database (post_shutdown)."""
    await application.bot_data.close()


async def set_command_menu(application: BotApplication) -> None:
    """Register the menus (default and per user) and the description (handlers/menus)."""
    services = application.bot_data
    await set_up_menus(application.bot, services.db, services.settings)


async def post_init(application: BotApplication) -> None:
    """Prepare everything the handlers use before the first update arrives; start the pushes."""
    await open_services(application)
    # A deadline the calendar gives the open period is announced from now on (bot/announcing).
    await announce_now(application.bot_data)
    await set_command_menu(application)
    if application.job_queue is not None:
        start_announcing(application.job_queue)
        start_checking(application.job_queue)
        start_pausing(application.job_queue)
        start_storing_visits(application.job_queue)
        services = application.bot_data
        start_backing_up(application.job_queue, services.settings, services.today())


def rate_limiter() -> Pacer:
    """Return the limiter of every Bot API call (handlers/pacing): Telegram's limits kept.

    29 a second overall, evenly spaced (rather than a burst of 30 and then 30 a second), which
    keeps any one-second window under 30 even when the network bunches a few calls; each chat
    at about one a second, groups at 20 a minute; replies to people before pushes. 429s are
    waited out (3 tries).
    """
    return Pacer()


@contextmanager
def token_checked(settings: Settings) -> Iterator[None]:
    """Turn the Bot API's refusal of the token (getMe: 401 or 404) into one line, token masked.

    PTB's InvalidToken message carries the whole token; it must not reach a log or a terminal.
    """
    try:
        yield
    except InvalidToken:
        raise SettingsError(
            "settings.token_rejected",
            url=settings.telegram_api_url,
            token=settings.masked_token(),
        ) from None


async def check_token(settings: Settings) -> None:
    """Ask the Bot API who the bot is (getMe); a refused token ends in one line, masked."""
    # PTB logs a non-JSON refusal (a 404 page) with a traceback; the one line below says it all.
    library = logging.getLogger("telegram")
    level = library.level
    library.setLevel(logging.CRITICAL)
    try:
        with token_checked(settings):
            async with build_bot(settings):
                pass
    finally:
        library.setLevel(level)


def build_bot(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    limiter: BaseRateLimiter[Any] | None = None,
) -> ExtBot[Any]:
    """Return the Bot: the Application's, or one for sending without it (`targetbot remind`).

    `request` replaces the HTTP client (tests record the Bot API calls with it); `limiter`
    replaces the pacer (bench/ measures without Telegram's limits, and the limiter of before).
    """
    api = settings.telegram_api_url
    return ExtBot(
        settings.require_token(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone),
        # Waits out 429s (retry_after) and keeps to Telegram's overall and per-chat limits.
        rate_limiter=limiter or rate_limiter(),
        request=request,
        get_updates_request=request,
    )


M_ARENA_MAX = -8  # glibc's mallopt parameter


def one_malloc_arena() -> None:
    """Have glibc's malloc serve every thread from one arena (Linux; elsewhere nothing).

    The index is built in a worker thread: by default that thread gets an arena of its own,
    which keeps what the build freed (the plan's rows, some 90 MB at 100k targets) away from
    the event loop's thread. With one arena the process's peak at 100k is some 14 MB lower;
    the GIL means the threads never contended for it anyway.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 1)
    except (OSError, AttributeError):  # not glibc (musl): its malloc has no such arenas
        log.debug("mallopt not available: malloc arenas left as they are")


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    limiter: BaseRateLimiter[Any] | None = None,
    processor: BaseUpdateProcessor | None = None,
) -> BotApplication:
    """Return the bot's Application with every handler registered, ready to run.

    `request` replaces the HTTP client (tests record the Bot API calls with it); `limiter` and
    `processor` replace the pacer and the update processor (bench/ compares with before).
    """
    one_malloc_arena()
    application: BotApplication = (
        ApplicationBuilder()
        .bot(build_bot(settings, request=request, limiter=limiter))
        .context_types(CONTEXT_TYPES)
        # Different people's updates at once; each person's and each chat's in order, as the
        # conversations need (handlers/ordering).
        .concurrent_updates(processor or InOrderPerChat())
        # Conversation states and user data in the same SQLite file; drafts survive restarts.
        .persistence(SQLitePersistence(settings.database_path))
        .post_init(post_init)
        .post_shutdown(close_services)
        .build()
    )
    application.bot_data.configure(settings)
    application.add_handlers(build_handlers())
    application.add_error_handler(on_error)
    return application


def webhook_secret(token: str) -> str:
    """Return the webhook's secret: stable for a token, and not guessable without it."""
    return hmac.new(token.encode(), b"targetbot-webhook", hashlib.sha256).hexdigest()


def run_bot(
    settings: Settings,
    *,
    webhook_url: str | None = None,
    listen: str = "127.0.0.1",
    port: int = 8443,
) -> None:
    """Run until SIGINT or SIGTERM: long polling, or a webhook server when given a public URL."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The token first, on its own: PTB's start-up would log its refusal with the whole token.
    asyncio.run(check_token(settings))
    application = build_application(settings)
    with token_checked(settings):
        if webhook_url is None:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
            return
        secret = webhook_secret(settings.require_token())
        path = f"telegram/{secret[:24]}"
        application.run_webhook(
            listen=listen,
            port=port,
            url_path=path,
            webhook_url=f"{webhook_url.rstrip('/')}/{path}",
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
