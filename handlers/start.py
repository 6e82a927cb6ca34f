"""/start and /help: greet the user and say what the bot does."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.i18n import LANGUAGES, Translator


def _language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    user = update.effective_user
    code = (user.language_code or "").split("-")[0] if user else ""
    return code if code in LANGUAGES else None


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and tell a stranger to ask the admin for an invite."""
    t: Translator = context.bot_data["t"]
    if update.effective_message is not None:
        await update.effective_message.reply_text(t("start.stranger", _language(update, context)))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what the bot does."""
    t: Translator = context.bot_data["t"]
    if update.effective_message is not None:
        await update.effective_message.reply_text(t("start.help", _language(update, context)))


HANDLERS = [CommandHandler("start", start), CommandHandler("help", help_command)]
