"""/review (REVIEW_REQUIRED=true): admins approve submissions or return them with a comment."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.people.accounts import Account, language_of
from bot.report import evidence, reviewing
from bot.report import service as reporting
from bot.report import text as view
from bot.report.evidence import Owner
from bot.report.service import UpdateRefused
from handlers import callbacks, conversations
from handlers import evidence as files
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import answer_query, as_html, buttons, notice, send, show_html

END = ConversationHandler.END
COMMENT = "comment"
MAX_COMMENT = 500


async def _next(update: Update, context: BotContext, account: Account, *, edit: bool) -> None:
    """Show the oldest submission waiting for review, or say there is none."""
    services = context.services
    t, lang = services.t, account.language
    waiting = await reviewing.oldest_waiting(services.db)
    if waiting is None:
        await show_html(update, context.text(lang, "review.none"), edit=edit)
        return
    item = waiting.item
    text = view.pending_text(
        t, lang, item, waiting.previous, 1, waiting.count, services.settings.timezone
    )
    rid = item.report.id
    rows = [
        [
            (context.text(lang, "review.button.approve"), f"rv:ok:{rid}"),
            (context.text(lang, "review.button.return"), f"rv:ret:{rid}"),
        ]
    ]
    body = as_html(text)
    items = await evidence.listing(services.db, Owner("report", rid))
    if items:  # the evidence listed, and a button that sends it
        listing = files.file_lines(context, lang, items)
        body += "\n" + context.text(lang, "evidence.listing", count=len(items), files=listing)
        rows.insert(0, [files.send_button(context, lang, len(items), f"ev:r:{rid}")])
    await show_html(update, body, buttons(rows), edit=edit)


@requires("admin", private=True)
async def review_command(update: Update, context: BotContext, account: Account) -> None:
    """Show the oldest submission waiting for review."""
    await _next(update, context, account, edit=False)


@requires("admin", private=True)
async def next_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Show the oldest submission waiting for review (from a notice's button)."""
    await _next(update, context, account, edit=False)


async def _tell_writer(
    context: BotContext, decision: reporting.Decision, assignment_id: int
) -> None:
    """Tell the liaison who submitted what became of it; a returned update gets a revise button."""
    writer = decision.report.submitted_by
    if writer is None:
        return
    services = context.services
    lang = await language_of(services.db, services.settings, writer)
    values = {
        "number": decision.number,
        "period": decision.report.period,
        "revision": decision.report.revision,
        "comment": decision.comment or "",
    }
    text = context.text(lang, f"review.told_{decision.decision}", **values)
    markup = (
        buttons([[(context.text(lang, "review.button.revise"), f"rp:open:{assignment_id}")]])
        if decision.decision == "returned"
        else None
    )
    await send(context.bot, writer, text, markup)  # /report shows it all the same


async def _decide(
    update: Update,
    context: BotContext,
    account: Account,
    report_id: int,
    decision: str,
    comment: str | None,
) -> bool:
    """Record a decision, tell the admin and the writer; False if it could not be made."""
    services = context.services
    try:
        made = await reporting.decide_review(
            services.db, report_id, decision, comment, reviewer=account.telegram_id
        )
    except UpdateRefused as refusal:
        values = dict(refusal.values)
        if "decision" in values:  # a message put into the refusal as it is
            values["decision"] = context.text(
                account.language, f"review.decision.{values['decision']}"
            )
        await notice(update, context.text(account.language, refusal.key, **values))
        return False
    done = context.text(
        account.language,
        f"review.done_{decision}",
        number=made.number,
        period=made.report.period,
        revision=made.report.revision,
    )
    await show_html(update, done)
    await _tell_writer(context, made, made.report.assignment_id)
    return True


def _report_id(update: Update) -> int | None:
    assert update.callback_query is not None
    data = update.callback_query.data
    return callbacks.review_report(data, "ok") or callbacks.review_report(data, "ret")


@requires("admin", private=True)
async def approve_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Approve a submission: leaders see it from now on."""
    report_id = _report_id(update)
    if report_id is None:
        await answer_query(update, context.text(account.language, "review.stale"), alert=True)
        return
    if await _decide(update, context, account, report_id, "approved", None):
        await _next(update, context, account, edit=False)


@requires("admin", private=True)
async def return_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Ask for the comment to return a submission with."""
    report_id = _report_id(update)
    report = await reviewing.returnable(context.services.db, report_id)
    if report is None:
        await answer_query(update, context.text(account.language, "review.stale"), alert=True)
        return END
    assert context.user_data is not None
    context.user_data["returning"] = report.id
    await show_html(update, context.text(account.language, "review.ask_comment", limit=MAX_COMMENT))
    return COMMENT


@requires("admin", private=True)
async def comment_text(update: Update, context: BotContext, account: Account) -> object:
    """Return the submission with this comment, and tell its writer."""
    message = update.effective_message
    assert message is not None
    assert context.user_data is not None
    comment = (message.text or "").strip()
    if not comment or len(comment) > MAX_COMMENT:
        await show_html(
            update,
            context.text(
                account.language, "review.comment_length", length=len(comment), limit=MAX_COMMENT
            ),
        )
        return COMMENT
    report_id = context.user_data.pop("returning", None)
    if not isinstance(report_id, int):
        await show_html(update, context.text(account.language, "review.stale"))
        return END
    if await _decide(update, context, account, report_id, "returned", comment):
        await _next(update, context, account, edit=False)
    return END


@requires("admin", private=True)
async def cancel_comment(update: Update, context: BotContext, account: Account) -> object:
    """Leave the submission undecided."""
    if context.user_data is not None:
        context.user_data.pop("returning", None)
    await show_html(update, context.text(account.language, "review.cancelled"))
    return END


async def leave(update: Update, context: BotContext, account: Account) -> None:
    """Another flow opens while a return's comment is asked: the submission stays undecided
    (said), and the words typed next belong to the other flow."""
    if context.user_data is not None:
        context.user_data.pop("returning", None)
    if conversations.end(update, context, "review"):
        await show_html(update, context.text(account.language, "review.cancelled"), edit=False)


def _conversation() -> ConversationHandler[BotContext]:
    with warnings.catch_warnings():
        # The comment belongs to the admin, not to one message: per chat and user on purpose.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(return_pressed, pattern=r"^rv:ret:\d+$")],
            states={
                COMMENT: [
                    MessageHandler(
                        filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, comment_text
                    )
                ]
            },
            fallbacks=[CommandHandler("cancel", cancel_comment)],
            name="review",
            persistent=True,
            conversation_timeout=timedelta(hours=1),
        )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, with a conversation of its own for one Application."""
    return [
        _conversation(),
        CommandHandler("review", review_command),
        CallbackQueryHandler(next_pressed, pattern=r"^rv:next$"),
        CallbackQueryHandler(approve_pressed, pattern=r"^rv:ok:\d+$"),
    ]
