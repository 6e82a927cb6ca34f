"""What the bot says to messages no feature handled."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.accounts import Account
from handlers.access import requires
from handlers.context import BotContext


@requires(None)
async def not_understood(update: Update, context: BotContext, account: Account) -> None:
    """Point a stranger to an invite, anyone else to /help."""
    if update.effective_message is not None:
        key = "access.stranger" if account.role is None else "fallback.unknown"
        await update.effective_message.reply_text(context.text(account.language, key))


# Private chats only: in groups the bot stays silent unless a command of its own is addressed.
HANDLERS: list[BaseHandler[Any, Any, Any]] = [
    MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, not_understood)
]
