"""What the bot says to messages no feature handled."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.people.accounts import Account
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import answer_query, show_html


@requires(None)
async def not_understood(update: Update, context: BotContext, account: Account) -> None:
    """Point a stranger to an invite, anyone else to /help."""
    if update.effective_message is not None:
        key = "access.stranger" if account.role is None else "fallback.unknown"
        await show_html(update, context.text(account.language, key), edit=False)


@requires(None)
async def unknown_button(update: Update, context: BotContext, account: Account) -> None:
    """Answer a button no feature knows (forged, or from an older version): it does nothing."""
    await answer_query(update, context.text(account.language, "fallback.stale_button"))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, in the order they are tried."""
    # Private chats only: in groups the bot stays silent unless a command of its own is addressed.
    return [
        MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, not_understood),
        CallbackQueryHandler(unknown_button),
    ]
