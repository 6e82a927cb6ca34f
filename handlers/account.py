"""/whoami and /lang: a user's own account."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.accounts import Account, choose_language
from bot.i18n import LANGUAGES
from handlers.access import requires
from handlers.context import BotContext
from handlers.start import describe_binding


@requires("liaison")
async def whoami(update: Update, context: BotContext, account: Account) -> None:
    """Show the user's Telegram id, role, binding and language."""
    if update.effective_message is None:
        return
    await update.effective_message.reply_text(
        context.text(
            account.language,
            "account.whoami",
            telegram_id=account.telegram_id,
            binding=describe_binding(context, account),
            language=context.text(account.language, f"language.{account.language}"),
        )
    )


@requires("liaison")
async def lang(update: Update, context: BotContext, account: Account) -> None:
    """Switch every later reply to the chosen language."""
    if update.effective_message is None:
        return
    wanted = (context.args or [""])[0].lower()
    if wanted not in LANGUAGES:
        await update.effective_message.reply_text(
            context.text(account.language, "account.lang_usage", choices=" | ".join(LANGUAGES))
        )
        return
    await choose_language(context.services.db, account.telegram_id, wanted)
    await update.effective_message.reply_text(context.text(wanted, "account.lang_set"))


HANDLERS: list[BaseHandler[Any, Any, Any]] = [
    CommandHandler("whoami", whoami),
    CommandHandler("lang", lang),
]
