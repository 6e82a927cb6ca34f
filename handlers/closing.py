"""办结 in chat: ✅ 办结 on a target's details, offered to admins once its lead units report it
completed; pressing it closes the target (audited) and shows the details again."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import clock
from bot.people.accounts import Account
from bot.query import service
from bot.query.service import Target
from bot.report import closing
from handlers import callbacks
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import answer_query, as_html, buttons, show_html


def closing_markup(
    context: BotContext, account: Account, target: Target
) -> InlineKeyboardMarkup | None:
    """Return ✅ 办结 under a target's details when this account may close it."""
    if not closing.may_close(account, target):
        return None
    return buttons([[(context.text(account.language, "close.button"), f"cl:{target.id}")]])


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
    await show_html(update, as_html(text), edit=True)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers."""
    return [CallbackQueryHandler(close_pressed, pattern=r"^cl:")]
