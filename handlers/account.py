"""/whoami and /lang: a user's own account."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.i18n import LANGUAGES
from bot.people.accounts import Account, choose_language
from handlers.access import requires
from handlers.context import BotContext
from handlers.menus import refresh_menu
from handlers.reply import show_html
from handlers.start import describe_binding


@requires(None)
async def whoami(update: Update, context: BotContext, account: Account) -> None:
    """Show the user's Telegram id (to everyone: admins need it), role, binding and language."""
    if update.effective_message is None:
        return
    text = context.text(
        account.language,
        "account.whoami",
        telegram_id=account.telegram_id,
        binding=describe_binding(context, account),
        language=context.text(account.language, f"language.{account.language}"),
    )
    if account.role is None:
        text += "\n\n" + context.text(
            account.language, "account.whoami_stranger", telegram_id=account.telegram_id
        )
    await show_html(update, text, edit=False)


@requires("liaison")
async def lang(update: Update, context: BotContext, account: Account) -> None:
    """Switch every later reply to the chosen language."""
    if update.effective_message is None:
        return
    wanted = (context.args or [""])[0].lower()
    if wanted not in LANGUAGES:
        usage = context.text(account.language, "account.lang_usage", choices=" | ".join(LANGUAGES))
        await show_html(update, usage, edit=False)
        return
    await choose_language(context.services.db, account.telegram_id, wanted)
    await show_html(update, context.text(wanted, "account.lang_set"), edit=False)
    await refresh_menu(context.bot, replace(account, language=wanted))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, in the order they are tried."""
    return [
        CommandHandler("whoami", whoami),
        CommandHandler("lang", lang),
    ]
