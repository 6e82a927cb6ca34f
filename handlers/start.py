"""/start (with or without an invite code) and /help."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import Chat, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.people.accounts import Account, admin_ids, language_of, redeem_invite
from handlers import callbacks
from handlers.access import current_account, requires
from handlers.context import BotContext
from handlers.menus import refresh_menu
from handlers.reply import buttons, send, show_html


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
        await show_html(update, context.text(None, "start.private_only"), edit=False)
        return
    if context.args:
        await _redeem(update, context, context.args[0], replace=False)
        return
    account = await current_account(update, context)
    if account is None:
        return
    if account.role is None:
        await show_html(update, context.text(account.language, "access.stranger"), edit=False)
        return
    await _greet(update, context, account, "start.welcome_back")


async def _redeem(update: Update, context: BotContext, code: str, *, replace: bool) -> None:
    """Open an invitation: bind, ask before replacing another binding, or say why not."""
    user = update.effective_user
    assert user is not None
    services = context.services
    result = await redeem_invite(
        services.db,
        services.settings,
        code,
        telegram_id=user.id,
        name=user.full_name,
        username=user.username,
        telegram_language=user.language_code,
        replace=replace,
    )
    if result.status == "replace" and result.account is not None:
        await _ask_to_replace(update, context, result.account, result.offered, code)
        return
    if result.account is None:
        account = await current_account(update, context)
        language = account.language if account else None
        await show_html(update, context.text(language, f"start.invite_{result.status}"))
        return
    await _greet(update, context, result.account, "start.bound")
    if result.fresh:
        await refresh_menu(context.bot, result.account)
        await _tell_admins(context, result.account, result.previous, user.username)


def _offered_words(context: BotContext, language: str, offered: tuple[str, str | None]) -> str:
    role = context.text(language, f"role.{offered[0]}")
    if offered[1] is None:
        return role
    return context.text(language, "role.with_binding", role=role, binding=offered[1])


async def _ask_to_replace(
    update: Update,
    context: BotContext,
    account: Account,
    offered: tuple[str, str | None],
    code: str,
) -> None:
    """Ask a user who holds another role whether the invitation should replace it."""
    lang = account.language
    new = _offered_words(context, lang, offered)
    text = context.text(
        lang, "start.replace_ask", current=describe_binding(context, account), offered=new
    )
    markup = buttons(
        [
            [(context.text(lang, "start.button.replace", offered=new), f"join:{code}")],
            [(context.text(lang, "start.button.keep"), "join:keep")],
        ]
    )
    await show_html(update, text, markup)


async def join_pressed(update: Update, context: BotContext) -> None:
    """Replace the user's binding by the invitation, or keep it, as they chose."""
    query = update.callback_query
    assert query is not None
    data = callbacks.join_choice(query.data) or ""
    if data != "keep":
        await _redeem(update, context, data, replace=True)
        return
    account = await current_account(update, context)
    if account is None:
        return
    await show_html(
        update,
        context.text(
            account.language, "start.replace_kept", binding=describe_binding(context, account)
        ),
    )


async def _tell_admins(
    context: BotContext, account: Account, previous: Account | None, username: str | None
) -> None:
    """Tell the admins that an invitation was accepted (and what it replaced)."""
    services = context.services
    for admin in await admin_ids(services.db, services.settings):
        if admin == account.telegram_id:
            continue
        language = await language_of(services.db, services.settings, admin)
        person = context.text(
            language,
            "start.person",
            name=account.name or account.telegram_id,
            telegram_id=account.telegram_id,
            username=f" @{username}" if username else "",
        )
        binding = describe_binding(context, replace(account, language=language))
        if previous is None:
            text = context.text(language, "start.accepted", person=person, binding=binding)
        else:
            before = describe_binding(context, replace(previous, language=language))
            text = context.text(
                language, "start.replaced", person=person, before=before, binding=binding
            )
        # An admin who blocked the bot is not told; the binding stands either way.
        await send(context.bot, admin, text)


async def _greet(update: Update, context: BotContext, account: Account, key: str) -> None:
    """Greet by name with the role and binding, then say what this role can do."""
    assert update.effective_user is not None
    greeting = context.text(
        account.language,
        key,
        name=update.effective_user.first_name,
        binding=describe_binding(context, account),
    )
    await show_html(update, f"{greeting}\n\n{help_text(context, account)}")


@requires(None)
async def help_command(update: Update, context: BotContext, account: Account) -> None:
    """Say what the bot does and what this user can do."""
    if update.effective_message is not None:
        await show_html(update, help_text(context, account), edit=False)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, in the order they are tried."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CallbackQueryHandler(join_pressed, pattern=r"^join:"),
    ]
