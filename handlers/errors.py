"""The one error handler: log, tell the user, tell admins briefly; a blocked bot marks inactive."""

from __future__ import annotations

import html
import logging
import time

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.people.accounts import load_account, mark_unreachable, pick_language
from bot.query.engine import Warming
from handlers.context import BotContext
from handlers.reply import send

log = logging.getLogger(__name__)
ADMIN_ALERT_INTERVAL = 60.0  # seconds: admins hear of errors at most once a minute


async def on_error(update: object, context: BotContext) -> None:
    """Handle any exception raised while processing an update or running a job."""
    error = context.error
    user = update.effective_user if isinstance(update, Update) else None
    services = context.services
    if isinstance(error, Forbidden) and user is not None:
        # The user blocked the bot (or left): stop counting on them until they write again.
        log.info("user %s cannot be reached (%s); marked inactive", user.id, error)
        await mark_unreachable(services.db, user.id)
        return
    warming = isinstance(error, Warming)  # not an error: the index is being built (start)
    if warming:
        log.info("asked while the index is being built: %r", update)
    else:
        log.error("error while handling %r", update, exc_info=error)
    language = None
    if user is not None:
        try:
            language = (
                await load_account(services.db, services.settings, user.id, user.language_code)
            ).language
        except Exception:  # the error may be the database itself: fall back to Telegram's
            language = pick_language(None, user.language_code, services.settings.default_language)
    if warming and isinstance(update, Update) and update.callback_query is not None:
        try:  # the button stops spinning, and says why nothing happened
            await update.callback_query.answer(context.text(language, "error.warming"))
        except TelegramError:
            log.info("could not answer the button press of %r", update)
        return
    if isinstance(update, Update) and update.effective_chat is not None:
        chat_id = update.effective_chat.id
        said = context.text(language, "error.warming" if warming else "error.generic")
        if not await send(context.bot, chat_id, said):
            log.warning("could not tell chat %s about the error", update.effective_chat.id)
    if warming:
        return
    now = time.monotonic()
    if now - services.admin_alerted_at < ADMIN_ALERT_INTERVAL and services.admin_alerted_at:
        return
    services.admin_alerted_at = now
    summary = html.escape(f"{type(error).__name__}: {error}")[:500]
    for admin_id in sorted(services.settings.admin_ids):
        if not await send(
            context.bot, admin_id, context.text(None, "error.admin_alert", error=summary)
        ):
            log.warning("could not alert admin %s", admin_id)
