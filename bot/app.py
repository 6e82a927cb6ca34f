"""Build the python-telegram-bot Application and run it."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.i18n import Translator
from bot.settings import Settings
from handlers import HANDLERS
from storage.db import connect

log = logging.getLogger(__name__)


def build_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    """Return the bot's Application with every handler registered, ready to run."""

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        application.bot_data["db"] = await connect(settings.database_path)

    async def post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
        db = application.bot_data.pop("db", None)
        if db is not None:
            await db.close()

    api = settings.telegram_api_url
    application = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["t"] = Translator(settings.default_language)
    application.add_handlers(HANDLERS)
    return application


def run_bot(settings: Settings) -> None:
    """Start long polling until SIGINT or SIGTERM."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    build_application(settings).run_polling(allowed_updates=Update.ALL_TYPES)
