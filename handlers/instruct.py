"""批示 in chat: a leader or admin writes an instruction on a target; the units' liaisons answer.

✍️ 批示 on a target's details (or `/instruct N`) asks for the text, then, when the target has
assisting units, whether they get it too, then shows a preview to send. The liaisons of the
units get it at once with ✍️ 答复; answering asks for the text and shows a preview; the author
gets the answer at once. Each step is stored in the writer's draft before it is answered (a
restart resumes it); every button names the draft or instruction it acts on and the domain
checks the presser afresh: a forged or stale button changes nothing.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

import aiosqlite
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.instructions import service
from bot.instructions.service import ASSIST, PREVIEW, TEXT, Draft, InstructionError
from bot.instructions.text import listing, preview, units_text
from bot.people.accounts import Account, language_of
from bot.query import service as asking
from bot.query.service import Target
from bot.report import evidence
from bot.report.evidence import Evidence, Owner
from handlers import callbacks, closing, conversations, extend, jobs, review
from handlers import evidence as files
from handlers.access import current_account, requires
from handlers.context import BotContext
from handlers.reply import Buttons, answer_query, as_html, buttons, send, show_html

END = ConversationHandler.END
IDLE = timedelta(hours=1)  # a flow left this long is paused; its draft is kept
MAX_ANSWER_BUTTONS = 3  # ✍️ 答复 buttons on a target's details, for the newest open ones
LISTED_BUTTONS = 10  # details buttons under a list of instructions
BUTTONS_PER_ROW = 5


def _say(context: BotContext, account: Account, key: str, /, **values: object) -> str:
    return context.text(account.language, key, **values)


async def _refuse(
    update: Update, context: BotContext, account: Account, error: InstructionError
) -> None:
    """Tell why the rules refused: an alert on a pressed button, else a message."""
    if update.callback_query is not None:
        plain = context.services.t(error.key, account.language, **error.values)
        await answer_query(update, plain, alert=True)
    else:
        await show_html(update, _say(context, account, error.key, **error.values), edit=False)


async def details_buttons(
    context: BotContext, account: Account, target: Target, *, private: bool
) -> list[list[tuple[str, str]]]:
    """Return the rows for a target's details: ✍️ 批示 for a leader or admin (private chats),
    ✍️ 答复 for a liaison of a unit an open instruction went to."""
    services = context.services
    if service.may_write(account):
        if not private or not service.lead_units(target):
            return []
        return [[(services.t("instruction.button.write", account.language), f"in:w:{target.id}")]]
    if account.role != "liaison" or account.unit_id is None:
        return []
    rows: list[list[tuple[str, str]]] = []
    for instruction in await service.of_target(services.db, target.id):
        addressed = {u.unit_id for u in instruction.units}
        if account.unit_id in addressed and not service.is_answered(instruction):
            label = services.t(
                "instruction.button.answer_one",
                account.language,
                on=instruction.written_on.isoformat(),
                author=instruction.author_name,
            )
            rows.append([(label, f"in:ans:{instruction.id}")])
        if len(rows) == MAX_ANSWER_BUTTONS:
            break
    return rows


# ---------------------------------------------------------------------------- the steps


async def _addressed(context: BotContext, account: Account, draft: Draft) -> str:
    """Return whom a draft goes to, in words: the units of the target or of the instruction."""
    services = context.services
    if draft.kind == "answer":
        return account.unit or ""
    target = await service.live_target(services.db, draft.target_id or 0)
    if target is None:
        return ""
    names = service.lead_units(target)
    if draft.step == PREVIEW and draft.to_assisting:
        assisting = service.assisting_units(target)
        names += [services.t("instruction.assisting", account.language, unit=u) for u in assisting]
    return services.t.join(names, account.language)


async def _show_step(
    update: Update,
    context: BotContext,
    account: Account,
    draft: Draft,
    *,
    edit: bool,
    before: str = "",
) -> object:
    """Show the step a draft is at, with its buttons; return it as the conversation's state.

    `before` (HTML) leads the text: why this draft is shown rather than the one asked for.
    """
    services = context.services
    markup: Buttons | None = None
    units = await _addressed(context, account, draft)
    if draft.kind == "write":
        target = await service.live_target(services.db, draft.target_id or 0)
        if target is None:
            await _stale(update, context, account)
            return None
        number = target.shown_number
        if draft.step == TEXT:
            text = _say(
                context,
                account,
                "instruction.ask_text",
                number=number,
                content=target.content,
                units=units,
                limit=service.MAX_TEXT,
            )
        elif draft.step == ASSIST:
            assisting = services.t.join(service.assisting_units(target), account.language)
            text = _say(context, account, "instruction.ask_assist", units=assisting)
            markup = buttons(
                [
                    [
                        (_label(context, account, "lead_only"), f"in:as:{draft.id}:0"),
                        (_label(context, account, "with_assisting"), f"in:as:{draft.id}:1"),
                    ]
                ]
            )
        else:
            text = _preview(context, account, draft, number=number, units=units)
            markup = _preview_buttons(context, account, draft)
    else:
        instruction = await service.get(services.db, draft.instruction_id or 0)
        if instruction is None:
            await _stale(update, context, account)
            return None
        hint = _say(context, account, "instruction.evidence_hint", limit=evidence.MAX_FILES)
        if draft.step == TEXT:
            text = _say(
                context,
                account,
                "instruction.ask_answer",
                author=instruction.author_name,
                on=instruction.written_on.isoformat(),
                number=instruction.shown_number,
                text=instruction.text,
                unit=units,
                limit=service.MAX_TEXT,
            )
            text += "\n" + hint
        else:
            text = _preview(
                context,
                account,
                draft,
                number=instruction.shown_number,
                units=units,
                author=instruction.author_name,
            )
            attached = await evidence.listing(services.db, _files_of(draft))
            if attached:
                title = _say(context, account, "instruction.files_title")
                text += f"\n{title}\n{files.file_lines(context, account.language, attached)}"
            text += "\n" + hint
            markup = _preview_buttons(context, account, draft)
    await show_html(update, f"{before}\n\n{text}" if before else text, markup, edit=edit)
    return draft.step


def _preview(
    context: BotContext,
    account: Account,
    draft: Draft,
    *,
    number: str,
    units: str,
    author: str | None = None,
) -> str:
    plain = preview(
        draft, context.services.t, account.language, number=number, units=units, author=author
    )
    return as_html(plain)


def _label(context: BotContext, account: Account, name: str) -> str:
    return context.services.t(f"instruction.button.{name}", account.language)


def _preview_buttons(context: BotContext, account: Account, draft: Draft) -> Buttons:
    """Send, rewrite or cancel. (After the evidence merge: 📎 add evidence on answers, here.)"""
    return buttons(
        [
            [(_label(context, account, "send"), f"in:send:{draft.id}")],
            [
                (_label(context, account, "rewrite"), f"in:edit:{draft.id}"),
                (_label(context, account, "discard"), f"in:drop:{draft.id}"),
            ],
        ]
    )


def _files_of(draft: Draft) -> Owner:
    """Return the owner of the files sent with an answer being written."""
    return Owner(service.ANSWER_DRAFT, draft.id)


@requires("liaison", private=True)
async def file_sent(update: Update, context: BotContext, account: Account) -> object:
    """A photo or document while answering: kept with the answer (佐证材料), said once on disk.

    An instruction itself carries text only: a file sent while writing one is refused politely.
    """
    services = context.services
    draft = await service.draft_of(services.db, account.telegram_id)
    if draft is None:
        await _stale(update, context, account)
        return None
    if draft.kind != "answer":
        await show_html(update, _say(context, account, "instruction.no_files"), edit=False)
        return draft.step
    attached = await files.take(update, context, account, _files_of(draft))
    if attached is not None:
        await show_html(update, files.taken_line(context, account.language, attached), edit=False)
    return draft.step


async def _answer_files(
    conn: aiosqlite.Connection, account: Account, answer_id: int
) -> list[Evidence] | None:
    """Return an answer's files, if the presser may see the target it answers about."""
    found = await service.answer_target(conn, answer_id)
    if found is None or await asking.visible_target(conn, account, found) is None:
        return None
    return await evidence.listing(conn, Owner("answer", answer_id))


files.may_send("a", _answer_files)  # 📎 under an answer: the leader's push, the details


async def answer_file_buttons(
    context: BotContext, account: Account, target: Target
) -> list[list[tuple[str, str]]]:
    """Return 📎 buttons for the newest answers on a target that came with files."""
    rows: list[list[tuple[str, str]]] = []
    for instruction in await service.of_target(context.services.db, target.id):
        for answer in reversed(instruction.answers):
            if answer.files and len(rows) < MAX_ANSWER_BUTTONS:
                data = f"ev:a:{answer.id}"
                label = files.send_button(
                    context, account.language, len(answer.files), data, unit=answer.unit
                )
                rows.append([label])
    return rows


async def _stale(update: Update, context: BotContext, account: Account) -> None:
    """Say a button is stale or forged; the presser's own flow stays where it was (None)."""
    text = context.services.t("instruction.stale", account.language)
    if update.callback_query is not None:
        await answer_query(update, text, alert=True)
    else:
        await show_html(update, _say(context, account, "instruction.stale"), edit=False)


def _chat_id(update: Update, account: Account) -> int:
    chat = update.effective_chat
    return chat.id if chat is not None else account.telegram_id


# ---------------------------------------------------------------------------- writing


async def _start_writing(
    update: Update, context: BotContext, account: Account, target: Target
) -> object:
    services = context.services
    try:
        draft = await service.start_writing(
            services.db, account, target, _chat_id(update, account), services.now().isoformat()
        )
    except InstructionError as error:
        await _refuse(update, context, account, error)
        return None
    # A reopening's reason, an extension's or a return's comment asked before: the words typed
    # next are the instruction's (those flows come first and would take them).
    await closing.leave(update, context, account)
    await extend.leave(update, context, account)
    await review.leave(update, context, account)
    before = await _kept_line(
        context, account, draft, service.other_draft(draft, target_id=target.id)
    )
    return await _show_step(update, context, account, draft, edit=False, before=before)


@requires("liaison", private=True)
async def write_pressed(update: Update, context: BotContext, account: Account) -> object:
    """✍️ 批示 on a target's details: start (or resume) an instruction on it."""
    assert update.callback_query is not None
    if not service.may_write(account):
        await _refuse(update, context, account, InstructionError("not_writer"))
        return None
    target_id = callbacks.instruction_press(update.callback_query.data, "w")
    target = await service.live_target(context.services.db, target_id) if target_id else None
    if target is None:
        await _stale(update, context, account)
        return None
    return await _start_writing(update, context, account, target)


@requires("leader", private=True)
async def instruct_command(update: Update, context: BotContext, account: Account) -> object:
    """`/instruct N`: start an instruction on target N."""
    args = context.args or []
    number = callbacks.index_of(args[0].lstrip("#")) if len(args) == 1 else None
    if number is None:
        await show_html(update, _say(context, account, "instruction.usage"))
        return None  # a flow going stays where it was
    try:
        target = await service.target_by_number(context.services.db, number)
    except InstructionError as error:
        await _refuse(update, context, account, error)
        return None
    return await _start_writing(update, context, account, target)


@requires("liaison", private=True)
async def answer_pressed(update: Update, context: BotContext, account: Account) -> object:
    """✍️ 答复 under an instruction: start (or resume) this unit's answer to it."""
    assert update.callback_query is not None
    instruction_id = callbacks.instruction_press(update.callback_query.data, "ans")
    if instruction_id is None:
        await _stale(update, context, account)
        return None
    services = context.services
    try:
        draft, _ = await service.start_answering(
            services.db,
            account,
            instruction_id,
            _chat_id(update, account),
            services.now().isoformat(),
        )
    except InstructionError as error:
        await _refuse(update, context, account, error)
        return None
    await extend.leave(update, context, account)  # the answer takes the words typed next
    other = service.other_draft(draft, instruction_id=instruction_id)
    before = await _kept_line(context, account, draft, other)
    return await _show_step(update, context, account, draft, edit=False, before=before)


async def _kept_line(context: BotContext, account: Account, draft: Draft, other: bool) -> str:
    """Return the line saying a draft for another target waits (one at a time), or ""."""
    if not other:
        return ""
    target = await service.live_target(context.services.db, draft.target_id or 0)
    number = target.shown_number if target is not None else "—"
    key = (
        "instruction.other_draft_write"
        if draft.kind == "write"
        else "instruction.other_draft_answer"
    )
    return _say(context, account, key, number=number)


async def _draft(update: Update, context: BotContext, account: Account, verb: str) -> Draft | None:
    """Return the presser's draft the button names, or None (the button is stale or forged)."""
    assert update.callback_query is not None
    data = update.callback_query.data
    if verb == "as":
        pressed = callbacks.instruction_units(data)
        draft_id = pressed[0] if pressed else None
    else:
        draft_id = callbacks.instruction_press(data, verb)
    draft = await service.draft_of(context.services.db, account.telegram_id)
    if draft_id is None or draft is None or draft.id != draft_id:
        return None
    return draft


@requires("liaison", private=True)
async def text_typed(update: Update, context: BotContext, account: Account) -> object:
    """The instruction's or answer's text: kept, then the next step."""
    message = update.effective_message
    assert message is not None
    services = context.services
    draft = await service.draft_of(services.db, account.telegram_id)
    if draft is None or draft.step != TEXT:
        await _stale(update, context, account)
        return None
    has_assisting = False
    if draft.kind == "write":
        target = await service.live_target(services.db, draft.target_id or 0)
        has_assisting = bool(target and service.assisting_units(target))
    try:
        kept = await service.keep_text(
            services.db,
            draft,
            message.text or "",
            has_assisting=has_assisting,
            at=services.now().isoformat(),
        )
    except InstructionError as error:
        await _refuse(update, context, account, error)
        return TEXT
    return await _show_step(update, context, account, kept, edit=False)


@requires("liaison", private=True)
async def units_pressed(update: Update, context: BotContext, account: Account) -> object:
    """仅牵头单位 / 同时发给配合单位: kept, then the preview."""
    assert update.callback_query is not None
    draft = await _draft(update, context, account, "as")
    pressed = callbacks.instruction_units(update.callback_query.data)
    if draft is None or pressed is None or draft.kind != "write" or draft.step != ASSIST:
        await _stale(update, context, account)
        return None
    services = context.services
    kept = await service.choose_units(services.db, draft, pressed[1], services.now().isoformat())
    return await _show_step(update, context, account, kept, edit=True)


@requires("liaison", private=True)
async def rewrite_pressed(update: Update, context: BotContext, account: Account) -> object:
    """✏️ 重写: back to the text."""
    draft = await _draft(update, context, account, "edit")
    if draft is None:
        await _stale(update, context, account)
        return None
    services = context.services
    await service.rewrite(services.db, draft, services.now().isoformat())
    found = await service.draft_of(services.db, account.telegram_id)
    assert found is not None
    return await _show_step(update, context, account, found, edit=False)


@requires("liaison", private=True)
async def drop_pressed(update: Update, context: BotContext, account: Account) -> object:
    """✖️ 取消: the draft is forgotten."""
    draft = await _draft(update, context, account, "drop")
    if draft is None:
        await _stale(update, context, account)
        return None
    await service.drop(context.services.db, draft)
    await show_html(update, _say(context, account, "instruction.cancelled"))
    return END


@requires("liaison", private=True)
async def send_pressed(update: Update, context: BotContext, account: Account) -> object:
    """📤 发送: the instruction or answer is stored, then pushed at once."""
    assert update.callback_query is not None
    services = context.services
    draft = await _draft(update, context, account, "send")
    if draft is None:
        return await _sent_before(update, context, account)
    if draft.step != PREVIEW:
        await _stale(update, context, account)
        return None
    send = service.write if draft.kind == "write" else service.answer
    try:
        sent = await send(
            services.db, services.settings, services.t, account, draft, now=services.now()
        )
    except InstructionError as error:
        await _refuse(update, context, account, error)
        return None
    delivery = await jobs.send_now(
        context.bot, services.db, services.settings, sent.pushes, services.now()
    )
    instruction = sent.instruction
    if sent.answer is not None:
        text = _say(
            context,
            account,
            "instruction.answer_sent",
            author=instruction.author_name,
            number=instruction.shown_number,
        )
    else:
        units = units_text(services.t, account.language, instruction)
        text = _say(
            context,
            account,
            "instruction.sent",
            number=instruction.shown_number,
            units=units,
            count=len(delivery.sent) + len(delivery.retrying),
            due=instruction.reply_due.isoformat(),
        )
        if not sent.pushes:
            text += "\n" + _say(context, account, "instruction.sent_nobody", units=units)
    await show_html(update, text, edit=True)
    return END


async def _sent_before(update: Update, context: BotContext, account: Account) -> object:
    """A second 📤 on a draft sent already: say so; anything else is a stale button."""
    assert update.callback_query is not None
    draft_id = callbacks.instruction_press(update.callback_query.data, "send")
    if draft_id is not None:
        key = f"d{draft_id}"
        db = context.services.db
        found = await service.sent_from(db, key, account.telegram_id)
        if found is not None:
            await answer_query(
                update, context.services.t(f"instruction.{found}", account.language), alert=True
            )
            return END
    await _stale(update, context, account)
    return None


# ---------------------------------------------------------------------------- leaving


async def cancel(update: Update, context: BotContext) -> object:
    """/cancel: the draft is forgotten."""
    account = await current_account(update, context)
    if account is None:
        return END
    draft = await service.draft_of(context.services.db, account.telegram_id)
    if draft is not None:
        await service.drop(context.services.db, draft)
    await show_html(update, _say(context, account, "instruction.cancelled"))
    return END


async def timed_out(update: object, context: BotContext) -> None:
    """Left idle: the draft is kept (paused) and its writer told how to go on."""
    user = update.effective_user if isinstance(update, Update) else None
    if user is None:
        return
    services = context.services
    draft = await service.pause(services.db, user.id)
    if draft is None:
        return
    number = "—"
    target = await service.live_target(services.db, draft.target_id or 0)
    if target is not None:
        number = target.shown_number
    language = await language_of(services.db, services.settings, user.id)
    text = context.text(language, "instruction.paused", number=number)
    await send(context.bot, draft.chat_id, text)


async def leave(update: Update, context: BotContext, account: Account) -> None:
    """Another flow opens (a /report draft): keep this person's instruction or answer paused and
    end its conversation, so the words typed next belong to the flow just opened.

    The conversations share one handler group and this one is registered first: left going, it
    would take the update's progress text as the answer to the leader.
    """
    conversations.end(update, context, service.CONVERSATION)
    db = context.services.db
    draft = await service.draft_of(db, account.telegram_id)
    if draft is None or draft.paused:
        return
    await service.pause(db, account.telegram_id)
    number = "—"
    target = await service.live_target(db, draft.target_id or 0)
    if target is not None:
        number = target.shown_number
    await show_html(update, _say(context, account, "instruction.paused", number=number), edit=False)


# ---------------------------------------------------------------------------- listing


async def list_reply(
    update: Update, context: BotContext, account: Account, *, only_open: bool
) -> None:
    """Answer `批示` / `未回复的批示`: the instructions the asker may see, a line each."""
    services = context.services
    found = await service.visible(services.db, account, only_open=only_open)
    today = services.today()
    text = listing(
        found, services.t, account.language, today, only_open=only_open, role=account.role
    )
    targets: list[tuple[str, str]] = []
    for instruction in found:
        item = (f"#{instruction.shown_number}", f"qd:{instruction.target_id}")
        if item not in targets:
            targets.append(item)
    targets = targets[:LISTED_BUTTONS]
    rows = [targets[i : i + BUTTONS_PER_ROW] for i in range(0, len(targets), BUTTONS_PER_ROW)]
    await show_html(update, as_html(text), buttons(rows) if rows else None, edit=False)


def _conversation() -> ConversationHandler[BotContext]:
    text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    sent_file = filters.ChatType.PRIVATE & (filters.PHOTO | filters.Document.ALL)
    command = CommandHandler("instruct", instruct_command)
    presses = [
        command,  # `/instruct N` in the middle starts on N, as ✍️ on another target does
        CallbackQueryHandler(write_pressed, pattern=r"^in:w:"),
        CallbackQueryHandler(answer_pressed, pattern=r"^in:ans:"),
        CallbackQueryHandler(units_pressed, pattern=r"^in:as:"),
        CallbackQueryHandler(send_pressed, pattern=r"^in:send:"),
        CallbackQueryHandler(rewrite_pressed, pattern=r"^in:edit:"),
        CallbackQueryHandler(drop_pressed, pattern=r"^in:drop:"),
    ]
    with warnings.catch_warnings():
        # Per chat and user, not per message, on purpose: every button names its draft, and the
        # draft in the database is checked at each step.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=presses,
            states={
                TEXT: [MessageHandler(text, text_typed), MessageHandler(sent_file, file_sent)],
                ASSIST: [],
                PREVIEW: [MessageHandler(sent_file, file_sent)],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[CommandHandler("cancel", cancel), *presses],
            name=service.CONVERSATION,
            persistent=True,
            conversation_timeout=IDLE,
        )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, with a conversation of its own for one Application."""
    return [_conversation()]
