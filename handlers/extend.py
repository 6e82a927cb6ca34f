"""延期申请 in chat: a lead unit's liaison asks, step by step; the deciders approve or refuse.

`/extend N` or the 🕒 button on a target's details starts the request: the new date, the
reason, the progress so far. The admins (and the target's leader when
EXTENSION_APPROVAL=leader) get it with ✅/❌ buttons; either asks for the comment, then the
liaison is told. The domain checks every rule again at each step: a forged or stale button
changes nothing.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta
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

from bot import clock
from bot.extensions import service
from bot.extensions.service import ExtensionError, Request
from bot.people.accounts import Account, language_of
from bot.query.service import Target
from handlers import callbacks, conversations, jobs
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import Buttons, answer_query, buttons, send, show_html

END = ConversationHandler.END
NEW_DATE, REASON, PROGRESS, COMMENT = "ex_date", "ex_reason", "ex_progress", "ex_comment"
DRAFT = "extension"  # user_data: the request being written, {"target": id, "new_due": iso, …}
DECIDING = "extension_deciding"  # user_data: (request id, approve)
SKIP = ("-", "—", "无", "none")  # an approval's comment left out


def ask_button(context: BotContext, language: str, target_id: int) -> tuple[str, str]:
    """Return the details' button that starts a request for this target."""
    return (context.text(language, "extension.button.ask"), f"ex:ask:{target_id}")


async def details_button(
    context: BotContext, account: Account, target: Target
) -> list[tuple[str, str]]:
    """Return the 🕒 button for a target's details when this account may ask about it now."""
    services = context.services
    try:
        await service.may_ask(services.db, account, target, services.today())
    except ExtensionError:
        return []
    return [ask_button(context, account.language, target.id)]


def _refusal(context: BotContext, account: Account, error: ExtensionError) -> str:
    return context.text(account.language, error.key, **error.values)


async def _start(update: Update, context: BotContext, account: Account, target: Target) -> object:
    services = context.services
    assert context.user_data is not None
    try:
        asking = await service.may_ask(services.db, account, target, services.today())
    except ExtensionError as error:
        await show_html(update, _refusal(context, account, error), edit=False)
        return END
    context.user_data[DRAFT] = {"target": target.id}
    text = context.text(
        account.language,
        "extension.ask_date",
        number=target.shown_number,
        deadline=target.deadline,
        due=asking.due.isoformat(),
    )
    await show_html(update, text, edit=False)
    return NEW_DATE


@requires("liaison", private=True)
async def extend_command(update: Update, context: BotContext, account: Account) -> object:
    """`/extend N`: start a request for target N."""
    args = context.args or []
    number = callbacks.index_of(args[0].lstrip("#")) if len(args) == 1 else None
    if number is None:
        await show_html(update, context.text(account.language, "extension.usage"))
        return END
    try:
        target = await service.target_by_number(context.services.db, number)
    except ExtensionError as error:
        await show_html(update, _refusal(context, account, error))
        return END
    return await _start(update, context, account, target)


@requires("liaison", private=True)
async def ask_pressed(update: Update, context: BotContext, account: Account) -> object:
    """The details' 🕒 button: start a request for that target."""
    assert update.callback_query is not None
    target_id = callbacks.extension_press(update.callback_query.data, "ask")
    target = await service.target_by_id(context.services.db, target_id) if target_id else None
    if target is None:
        await answer_query(update, context.text(account.language, "extension.stale"), alert=True)
        return END
    return await _start(update, context, account, target)


def _draft(context: BotContext) -> dict[str, Any] | None:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    return draft if isinstance(draft, dict) else None


async def _lost(update: Update, context: BotContext, account: Account) -> object:
    await show_html(update, context.text(account.language, "extension.stale"))
    return END


@requires("liaison", private=True)
async def date_text(update: Update, context: BotContext, account: Account) -> object:
    """The new due date: a date later than the current one."""
    draft = _draft(context)
    message = update.effective_message
    assert message is not None
    if draft is None:
        return await _lost(update, context, account)
    services = context.services
    target = await service.target_by_id(services.db, draft["target"])
    if target is None:
        return await _lost(update, context, account)
    new_due = service.parse_date(message.text or "")
    if new_due is None:
        await show_html(update, context.text(account.language, "extension.bad_date"))
        return NEW_DATE
    try:
        asking = await service.may_ask(services.db, account, target, services.today())
        service.check_new_date(asking, new_due)
    except ExtensionError as error:
        await show_html(update, _refusal(context, account, error))
        return NEW_DATE if error.key.endswith("not_later") else END
    draft["new_due"] = new_due.isoformat()
    await show_html(update, context.text(account.language, "extension.ask_reason"))
    return REASON


@requires("liaison", private=True)
async def reason_text(update: Update, context: BotContext, account: Account) -> object:
    """The reason for the later date."""
    draft = _draft(context)
    message = update.effective_message
    assert message is not None
    if draft is None:
        return await _lost(update, context, account)
    try:
        draft["reason"] = service.check_text(message.text or "")
    except ExtensionError as error:
        await show_html(update, _refusal(context, account, error))
        return REASON
    await show_html(update, context.text(account.language, "extension.ask_progress"))
    return PROGRESS


@requires("liaison", private=True)
async def progress_text(update: Update, context: BotContext, account: Account) -> object:
    """The progress so far: the request is stored and sent to the deciders."""
    draft = _draft(context)
    message = update.effective_message
    assert message is not None
    assert context.user_data is not None
    if draft is None or "new_due" not in draft or "reason" not in draft:
        return await _lost(update, context, account)
    services = context.services
    target = await service.target_by_id(services.db, draft["target"])
    if target is None:
        return await _lost(update, context, account)
    try:
        request = await service.ask(
            services.db,
            account,
            target,
            new_due=date.fromisoformat(draft["new_due"]),
            reason=draft["reason"],
            progress=message.text or "",
            today=services.today(),
            at=services.now().isoformat(timespec="seconds"),
        )
    except ExtensionError as error:
        await show_html(update, _refusal(context, account, error))
        return PROGRESS if error.key.endswith(("empty", "too_long")) else END
    context.user_data.pop(DRAFT, None)
    await show_html(
        update, context.text(account.language, "extension.asked", **service.request_values(request))
    )
    await _tell_deciders(context, request)
    return END


def _decision_buttons(context: BotContext, language: str, request_id: int) -> Buttons:
    return buttons(
        [
            [
                (context.text(language, "extension.button.approve"), f"ex:ok:{request_id}"),
                (context.text(language, "extension.button.refuse"), f"ex:no:{request_id}"),
            ]
        ]
    )


async def _tell_deciders(context: BotContext, request: Request) -> None:
    services = context.services
    for telegram_id in await service.deciders(services.db, services.settings, request):
        language = await language_of(services.db, services.settings, telegram_id)
        text = context.text(language, "extension.to_decide", **service.request_values(request))
        await send(context.bot, telegram_id, text, _decision_buttons(context, language, request.id))


@requires("leader", private=True)
async def decide_pressed(update: Update, context: BotContext, account: Account) -> object:
    """✅ or ❌ on a request: if this account may decide it, ask for the comment."""
    assert update.callback_query is not None
    assert context.user_data is not None
    data = update.callback_query.data
    approve_id = callbacks.extension_press(data, "ok")
    request_id = approve_id or callbacks.extension_press(data, "no")
    services = context.services
    request = await service.get(services.db, request_id) if request_id else None
    if request is None or request.state != "open":
        await answer_query(update, context.text(account.language, "extension.stale"), alert=True)
        return END
    if not await service.may_decide_request(services.db, services.settings, account, request):
        await answer_query(update, context.text(account.language, "access.denied"), alert=True)
        return END
    approve = approve_id is not None
    context.user_data[DECIDING] = (request.id, approve)
    key = "extension.ask_approve_comment" if approve else "extension.ask_refuse_comment"
    await show_html(
        update, context.text(account.language, key, **service.request_values(request)), edit=False
    )
    return COMMENT


@requires("leader", private=True)
async def comment_text(update: Update, context: BotContext, account: Account) -> object:
    """The decision's comment: the decision is made and the liaison told."""
    message = update.effective_message
    assert message is not None
    assert context.user_data is not None
    deciding = context.user_data.pop(DECIDING, None)
    # Kept as a pair; read back from the stored user data (JSON) after a restart, a list.
    if not isinstance(deciding, (tuple, list)) or len(deciding) != 2:
        return await _lost(update, context, account)
    request_id, approve = deciding
    if not isinstance(request_id, int) or not isinstance(approve, bool):
        return await _lost(update, context, account)
    services = context.services
    request = await service.get(services.db, request_id)
    if request is None or not await service.may_decide_request(
        services.db, services.settings, account, request
    ):
        return await _lost(update, context, account)
    comment = (message.text or "").strip()
    if approve and comment.lower() in SKIP:
        comment = ""
    try:
        decided = await service.decide(
            services.db,
            request_id,
            approve=approve,
            actor=f"user:{account.telegram_id}",
            comment=comment or None,
            at=services.now().isoformat(timespec="seconds"),
        )
    except ExtensionError as error:
        await show_html(update, _refusal(context, account, error))
        if error.key.endswith(("comment_needed", "too_long", "empty")):
            context.user_data[DECIDING] = deciding
            return COMMENT
        return END
    done = context.text(
        account.language, f"extension.done_{decided.state}", **service.request_values(decided)
    )
    await show_html(update, done)
    pushes = await service.tell_asker(
        services.db, services.settings, services.t, decided, clock.stamp(), now=True
    )
    await jobs.send_now(context.bot, services.db, services.settings, pushes, services.now())
    return END


async def cancel(update: Update, context: BotContext) -> object:
    """/cancel: leave the request or the decision as it was."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
        context.user_data.pop(DECIDING, None)
    user = update.effective_user
    language = (
        await language_of(context.services.db, context.services.settings, user.id) if user else None
    )
    await show_html(update, context.text(language, "extension.cancelled"))
    return END


async def leave(update: Update, context: BotContext, account: Account) -> None:
    """Another flow opens while a request or a decision's comment is asked: it is left as it
    was (said), and the words typed next belong to the other flow."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
        context.user_data.pop(DECIDING, None)
    if not conversations.end(update, context, "extend"):
        return
    await show_html(update, context.text(account.language, "extension.cancelled"), edit=False)


MAX_LISTED = 20  # requests sent as cards by /extensions; the rest are counted


@requires("leader", private=True)
async def extensions_command(update: Update, context: BotContext, account: Account) -> None:
    """/extensions: the open requests this account may decide, oldest first, each with ✅/❌."""
    services = context.services
    waiting = [
        request
        for request in await service.open_requests(services.db)
        if await service.may_decide_request(services.db, services.settings, account, request)
    ]
    language = account.language
    if not waiting:
        await show_html(update, context.text(language, "extension.none_open"))
        return
    await show_html(update, context.text(language, "extension.open_count", count=len(waiting)))
    for request in waiting[:MAX_LISTED]:
        text = context.text(language, "extension.to_decide", **service.request_values(request))
        await show_html(update, text, _decision_buttons(context, language, request.id), edit=False)
    if len(waiting) > MAX_LISTED:
        more = context.text(language, "extension.more_open", count=len(waiting) - MAX_LISTED)
        await show_html(update, more, edit=False)


def _conversation() -> ConversationHandler[BotContext]:
    text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # The request belongs to the person, not to one message: per chat and user on purpose.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("extend", extend_command),
                CallbackQueryHandler(ask_pressed, pattern=r"^ex:ask:"),
                CallbackQueryHandler(decide_pressed, pattern=r"^ex:(ok|no):"),
            ],
            states={
                NEW_DATE: [MessageHandler(text, date_text)],
                REASON: [MessageHandler(text, reason_text)],
                PROGRESS: [MessageHandler(text, progress_text)],
                COMMENT: [MessageHandler(text, comment_text)],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            # `/extend N`, 🕒 or ✅/❌ in the middle start anew (else they fell through unheard).
            allow_reentry=True,
            name="extend",
            persistent=True,
            conversation_timeout=timedelta(hours=1),
        )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, with a conversation of its own for one Application."""
    return [_conversation(), CommandHandler("extensions", extensions_command)]
