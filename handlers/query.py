"""Questions in chat: free text in a private chat, /q anywhere, and the answer's buttons."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.instructions.text import asked_listing
from bot.people.accounts import Account
from bot.query import service
from bot.query.engine import Answer
from bot.query.service import Target
from bot.query.text import PAGE_SIZE, summary
from bot.report import evidence
from handlers import callbacks, extend, instruct
from handlers import evidence as files
from handlers.access import requires
from handlers.closing import closing_markup
from handlers.context import BotContext
from handlers.reply import Buttons, answer_query, as_html, buttons, show_html

DETAIL_BUTTONS_PER_ROW = 5


async def _ask(context: BotContext, account: Account, text: str) -> Answer:
    """Ask the engine, as this account may see: a liaison only their unit's targets."""
    services = context.services
    return await service.ask(services.db, services.engine, account, text, services.today())


async def _details(context: BotContext, account: Account, target: Target) -> str:
    """Return a target's details as the account reads them."""
    services = context.services
    today, t, tz = services.today(), services.t, services.settings.timezone
    return await service.details_text(
        services.db, services.engine, account, target, today=today, t=t, tz=tz
    )


async def _single(context: BotContext, account: Account, answer: Answer) -> str:
    """Return the answer of a question that found one target: its first lines, then details."""
    services = context.services
    today, t, tz = services.today(), services.t, services.settings.timezone
    return await service.single_text(
        services.db, services.engine, account, answer, today=today, t=t, tz=tz
    )


def _markup(answer: Answer, query_id: int, page: int) -> Buttons | None:
    """Buttons: choices for an ambiguous word, suggestions, details per target, and paging."""
    rows: list[list[tuple[str, str]]] = []
    for k, ambiguity in enumerate(answer.parsed.ambiguous):
        rows += [
            [(choice.name, f"qa:{query_id}:{k}:{i}")] for i, choice in enumerate(ambiguity.choices)
        ]
    if not answer.result.ranked:
        rows += [[(name, f"qs:{query_id}:{i}")] for i, name in enumerate(answer.suggestions)]
        return buttons(rows) if rows else None
    pages = (len(answer.result) + PAGE_SIZE - 1) // PAGE_SIZE
    page = max(0, min(page, pages - 1))
    shown = answer.result.page(page, PAGE_SIZE)
    details = [(f"#{hit.target.shown_number}", f"qd:{hit.target.id}") for hit in shown]
    rows += [
        details[i : i + DETAIL_BUTTONS_PER_ROW]
        for i in range(0, len(details), DETAIL_BUTTONS_PER_ROW)
    ]
    nav = []
    if page > 0:
        nav.append(("◀", f"qp:{query_id}:{page - 1}"))
    if page < pages - 1:
        nav.append(("▶", f"qp:{query_id}:{page + 1}"))
    if nav:
        rows.append(nav)
    return buttons(rows)


async def _show(
    update: Update,
    context: BotContext,
    account: Account,
    text: str,
    *,
    page: int = 0,
    query_id: int | None = None,
    edit: bool = False,
) -> None:
    """Answer a question: a new message, or the pressed message edited to another page.

    A single target found opens straight to its details.
    """
    only_open = asked_listing(text) if not edit else None
    if only_open is not None:  # 批示 / 未回复的批示: the instructions, not the targets
        await instruct.list_reply(update, context, account, only_open=only_open)
        return
    body, markup = await _reply(update, context, account, text, page, query_id, edit=edit)
    # Split to Telegram's limits (a long text arrives in parts, the buttons on the last). The
    # answer is let go before: at 100k targets one holds up to 1.5 MB, and a hundred people's
    # may wait on Telegram at once.
    await show_html(update, body, markup, edit=edit)


async def _reply(
    update: Update,
    context: BotContext,
    account: Account,
    text: str,
    page: int,
    query_id: int | None,
    *,
    edit: bool,
) -> tuple[str, Buttons | None]:
    """Return the reply to a question: its text and its buttons."""
    answer = await _ask(context, account, text)
    services = context.services
    language = account.language
    markup: Buttons | None = None
    if answer.plan is None:
        body = context.text(language, "query.no_plan")
    elif len(answer.result) == 1 and not edit:
        body = as_html(await _single(context, account, answer))
        target = await service.visible_target(services.db, account, answer.hits[0].target.id)
        markup = await details_markup(update, context, account, target) if target else None
    else:
        body = as_html(summary(answer, services.t, language, page))
        if answer.parsed.ambiguous or answer.suggestions or answer.result.ranked:
            if query_id is None:
                query_id = await service.keep(
                    services.db, account.telegram_id, text, services.visits
                )
            markup = _markup(answer, query_id, page)
    return body, markup


async def answer_text(update: Update, context: BotContext, account: Account, text: str) -> None:
    """Answer `text` as a question, exactly as if it had been typed as free text."""
    await _show(update, context, account, text)


@requires("liaison")
async def free_text(update: Update, context: BotContext, account: Account) -> None:
    """Answer a question typed in a private chat."""
    message = update.effective_message
    if message is not None and message.text:
        await _show(update, context, account, message.text)


@requires("liaison")
async def q_command(update: Update, context: BotContext, account: Account) -> None:
    """Answer `/q <question>`, in any chat."""
    text = " ".join(context.args or []).strip()
    if not text:
        if update.effective_message is not None:
            await show_html(update, context.text(account.language, "query.usage"), edit=False)
        return
    await _show(update, context, account, text)


async def _saved_text(
    update: Update, context: BotContext, account: Account, verb: str, positions: int
) -> tuple[str, callbacks.SavedPress] | None:
    """Return the asker's kept question a button refers to, or say the button is stale.

    Only its asker may turn its pages or choose for it: in a group, another member's press
    would rewrite the asker's answer with what that member may see.
    """
    assert update.callback_query is not None
    pressed = callbacks.saved_press(update.callback_query.data, verb, positions)
    found = None
    if pressed is not None:
        found = await service.kept(context.services.db, pressed.query_id)
    if pressed is None or found is None:
        await answer_query(update, context.text(account.language, "query.stale"))
        return None
    if found[0] != account.telegram_id:
        await answer_query(update, context.text(account.language, "query.not_yours"), alert=True)
        return None
    return found[1], pressed


@requires("liaison")
async def page_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Turn the answer's page."""
    found = await _saved_text(update, context, account, "qp", 1)
    if found is not None:
        text, pressed = found
        await _show(
            update,
            context,
            account,
            text,
            page=pressed.positions[0],
            query_id=pressed.query_id,
            edit=True,
        )


@requires("liaison")
async def choice_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Ask again with the leader or unit the user chose for an ambiguous word."""
    found = await _saved_text(update, context, account, "qa", 2)
    if found is None:
        return
    text, (k, i) = found[0], found[1].positions
    ambiguous = (await _ask(context, account, text)).parsed.ambiguous
    if not (k < len(ambiguous) and i < len(ambiguous[k].choices)):
        await answer_query(update, context.text(account.language, "query.stale"))
        return
    ambiguity = ambiguous[k]
    chosen = ambiguity.choices[i].name
    await _show(update, context, account, text.replace(ambiguity.word, f" {chosen} "))


@requires("liaison")
async def suggestion_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Ask about the leader or unit the bot suggested."""
    found = await _saved_text(update, context, account, "qs", 1)
    if found is None:
        return
    suggestions = (await _ask(context, account, found[0])).suggestions
    index = found[1].positions[0]
    if index >= len(suggestions):
        await answer_query(update, context.text(account.language, "query.stale"))
        return
    await _show(update, context, account, suggestions[index])


async def evidence_button(
    context: BotContext, account: Account, target_id: int
) -> list[tuple[str, str]] | None:
    """Return the 📎 button of a target's details when its current revisions carry evidence."""
    count = sum(n for _, n in await evidence.target_files(context.services.db, target_id))
    if not count:
        return None
    return [files.send_button(context, account.language, count, f"ev:t:{target_id}")]


async def details_markup(
    update: Update, context: BotContext, account: Account, target: Target
) -> InlineKeyboardMarkup | None:
    """Return the buttons under a target's details, as this account may use them.

    📎 sends the evidence (of the reports, and of answers to instructions); ✅ 办结 (or ↩️
    reopen) for an admin; 🕒 申请延期 for the lead unit's liaison; ✍️ 批示 for a leader or
    admin (private chats), ✍️ 答复 for a liaison an instruction awaits. The same whether the
    details came from a button or a question.
    """
    closing_row = closing_markup(context, account, target)
    row = await extend.details_button(context, account, target)
    shown_files = await evidence_button(context, account, target.id)
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    instruct_rows = await instruct.details_buttons(context, account, target, private=private)
    answer_files = await instruct.answer_file_buttons(context, account, target)
    rows = [
        *(buttons([shown_files]).inline_keyboard if shown_files else ()),
        *(buttons(answer_files).inline_keyboard if answer_files else ()),
        *(closing_row.inline_keyboard if closing_row else ()),
        *(buttons([row]).inline_keyboard if row else ()),
        *(buttons(instruct_rows).inline_keyboard if instruct_rows else ()),
    ]
    return InlineKeyboardMarkup(rows) if rows else None


@requires("liaison")
async def details_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Show a target's full text, assignments, latest reports and history."""
    callback = update.callback_query
    assert callback is not None
    services = context.services
    target_id = callbacks.target_details(callback.data)
    target = await service.visible_target(services.db, account, target_id)
    if target is None:
        await answer_query(update, context.text(account.language, "detail.not_found"), alert=True)
        return
    markup = await details_markup(update, context, account, target)
    await show_html(update, as_html(await _details(context, account, target)), markup, edit=False)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, in the order they are tried."""
    return [
        CommandHandler("q", q_command),
        CallbackQueryHandler(page_pressed, pattern=r"^qp:"),
        CallbackQueryHandler(choice_pressed, pattern=r"^qa:"),
        CallbackQueryHandler(suggestion_pressed, pattern=r"^qs:"),
        CallbackQueryHandler(details_pressed, pattern=r"^qd:"),
        # Free text in a private chat is a question; in groups the bot only answers /q.
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, free_text),
    ]
