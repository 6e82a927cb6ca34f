"""办结 in chat: ✅ 办结 on a target's details, offered to admins once its lead units report it
completed; pressing it closes the target (audited) and shows the details again. On a closed
target's details admins get ↩️ 重新打开 instead, which asks for the reason first."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import clock
from bot.people.accounts import Account, language_of
from bot.query import service
from bot.query.service import Target
from bot.report import closing
from handlers import callbacks, conversations
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import answer_query, as_html, buttons, show_html

END = ConversationHandler.END
REOPEN_REASON = "cl_reason"
REOPENING = "reopening"  # user_data: the id of the target being reopened


def closing_markup(
    context: BotContext, account: Account, target: Target
) -> InlineKeyboardMarkup | None:
    """Return ✅ 办结 under a target's details when this account may close it."""
    if closing.may_close(account, target):
        return buttons([[(context.text(account.language, "close.button"), f"cl:{target.id}")]])
    if closing.may_reopen(account, target):
        label = context.text(account.language, "close.reopen_button")
        return buttons([[(label, f"cl:reopen:{target.id}")]])
    return None


@requires("admin")
async def close_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Close the target the button names, if it is still completed and open."""
    callback = update.callback_query
    assert callback is not None
    services = context.services
    target_id = callbacks.close_target(callback.data)
    target = await service.visible_target(services.db, account, target_id)
    if target is None:
        await answer_query(update, context.text(account.language, "detail.not_found"), alert=True)
        return
    try:
        closed = await closing.close(
            services.db,
            target.id,
            actor=f"user:{account.telegram_id}",
            today=services.today(),
            at=clock.stamp(),
        )
    except closing.ClosingRefused as refused:
        await answer_query(
            update, context.text(account.language, refused.key, **refused.values), alert=True
        )
        return
    await answer_query(
        update,
        context.text(
            account.language,
            "close.done",
            number=closed.shown_number,
            date=closed.closed_on.isoformat() if closed.closed_on else "",
        ),
    )
    today, t, tz = services.today(), services.t, services.settings.timezone
    text = await service.details_text(
        services.db, services.engine, account, closed, today=today, t=t, tz=tz
    )
    await show_html(update, as_html(text), closing_markup(context, account, closed), edit=True)


@requires("admin", private=True)
async def reopen_pressed(update: Update, context: BotContext, account: Account) -> object:
    """↩️ on a closed target's details: ask for the reason before reopening it."""
    callback = update.callback_query
    assert callback is not None
    assert context.user_data is not None
    services = context.services
    target_id = callbacks.reopen_target(callback.data)
    target = await service.visible_target(services.db, account, target_id)
    if target is None:
        await answer_query(update, context.text(account.language, "detail.not_found"), alert=True)
        return None  # a reopening going stays where it was
    if not closing.may_reopen(account, target):
        key = "close.not_closed"
        await answer_query(
            update, context.text(account.language, key, number=target.shown_number), alert=True
        )
        return None  # a reopening going stays where it was
    context.user_data[REOPENING] = target.id
    await answer_query(update, None)
    text = context.text(
        account.language,
        "close.ask_reopen_reason",
        number=target.shown_number,
        date=target.closed_on.isoformat() if target.closed_on else "",
    )
    await show_html(update, text, edit=False)
    return REOPEN_REASON


@requires("admin", private=True)
async def reopen_reason(update: Update, context: BotContext, account: Account) -> object:
    """The reason: the target is reopened (audited) and its details shown again."""
    message = update.effective_message
    assert message is not None
    assert context.user_data is not None
    target_id = context.user_data.get(REOPENING)
    if not isinstance(target_id, int):
        return END
    services = context.services
    try:
        opened = await closing.reopen(
            services.db,
            target_id,
            actor=f"user:{account.telegram_id}",
            reason=message.text or "",
            at=clock.stamp(),
        )
    except closing.ClosingRefused as refused:
        if refused.key == "close.reason_needed":  # an empty reason: ask again, keep the step
            await show_html(update, context.text(account.language, "close.reason_in_chat"))
            return REOPEN_REASON
        context.user_data.pop(REOPENING, None)
        await show_html(update, context.text(account.language, refused.key, **refused.values))
        return END
    context.user_data.pop(REOPENING, None)
    today, t, tz = services.today(), services.t, services.settings.timezone
    details = await service.details_text(
        services.db, services.engine, account, opened, today=today, t=t, tz=tz
    )
    done = context.text(account.language, "close.reopened_in_chat", number=opened.shown_number)
    await show_html(
        update, f"{done}\n\n{as_html(details)}", closing_markup(context, account, opened)
    )
    return END


async def cancel(update: Update, context: BotContext) -> object:
    """/cancel: leave the target closed."""
    if context.user_data is not None:
        context.user_data.pop(REOPENING, None)
    user = update.effective_user
    language = (
        await language_of(context.services.db, context.services.settings, user.id) if user else None
    )
    await show_html(update, context.text(language, "close.reopen_cancelled"))
    return END


async def leave(update: Update, context: BotContext, account: Account) -> None:
    """Another flow opens while a reopening's reason is asked: the target stays closed (said)."""
    if context.user_data is not None:
        context.user_data.pop(REOPENING, None)
    if not conversations.end(update, context, "reopen"):
        return
    await show_html(update, context.text(account.language, "close.reopen_cancelled"), edit=False)


def _reopening() -> ConversationHandler[BotContext]:
    text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # The reason belongs to the person, not to one message: per chat and user on purpose.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(reopen_pressed, pattern=r"^cl:reopen:")],
            states={REOPEN_REASON: [MessageHandler(text, reopen_reason)]},
            fallbacks=[CommandHandler("cancel", cancel)],
            allow_reentry=True,  # ↩️ on another target in the middle: its reason is asked
            name="reopen",
            persistent=True,
            conversation_timeout=timedelta(hours=1),
        )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, with a conversation of its own for one Application."""
    return [_reopening(), CallbackQueryHandler(close_pressed, pattern=r"^cl:(?!reopen:)")]
