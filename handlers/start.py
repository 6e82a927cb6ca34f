"""/start (with or without an invite code) and /help."""

from __future__ import annotations

from typing import Any

from telegram import Chat, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.accounts import Account, redeem_invite
from handlers.access import current_account, requires
from handlers.context import BotContext


def describe_binding(context: BotContext, account: Account) -> str:
    """Return the user's role and what it is bound to, in their language."""
    role = context.text(account.language, f"role.{account.role or 'none'}")
    if account.unit:
        return context.text(account.language, "role.with_binding", role=role, binding=account.unit)
    if account.leader:
        return context.text(
            account.language, "role.with_binding", role=role, binding=account.leader
        )
    return role


def help_text(context: BotContext, account: Account) -> str:
    """Return what this user can do, by role."""
    return context.text(account.language, f"help.{account.role or 'stranger'}")


async def start(update: Update, context: BotContext) -> None:
    """Bind the user by an invite code, or greet them by role."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if context.args and update.effective_chat and update.effective_chat.type != Chat.PRIVATE:
        await message.reply_text(context.text(None, "start.private_only"))
        return
    if context.args:
        services = context.services
        result = await redeem_invite(
            services.db,
            services.settings,
            context.args[0],
            telegram_id=user.id,
            name=user.full_name,
            username=user.username,
            telegram_language=user.language_code,
        )
        if result.account is None:
            account = await current_account(update, context)
            language = account.language if account else None
            await message.reply_text(context.text(language, f"start.invite_{result.status}"))
            return
        await _greet(update, context, result.account, "start.bound")
        return
    account = await current_account(update, context)
    if account is None:
        return
    if account.role is None:
        await message.reply_text(context.text(account.language, "access.stranger"))
        return
    await _greet(update, context, account, "start.welcome_back")


async def _greet(update: Update, context: BotContext, account: Account, key: str) -> None:
    """Greet by name with the role and binding, then say what this role can do."""
    assert update.effective_message is not None
    assert update.effective_user is not None
    greeting = context.text(
        account.language,
        key,
        name=update.effective_user.first_name,
        binding=describe_binding(context, account),
    )
    await update.effective_message.reply_text(f"{greeting}\n\n{help_text(context, account)}")


@requires(None)
async def help_command(update: Update, context: BotContext, account: Account) -> None:
    """Say what the bot does and what this user can do."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(help_text(context, account))


HANDLERS: list[BaseHandler[Any, Any, Any]] = [
    CommandHandler("start", start),
    CommandHandler("help", help_command),
]
