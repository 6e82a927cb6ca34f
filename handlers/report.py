"""/report and /mine: a unit's liaison submits the quarterly update step by step.

Every step stores the draft before answering, so nothing typed is lost; the conversation's state
is the draft's step (see storage/persistence.py), so a restart resumes where the writer was.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

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

from bot.people.accounts import Account, language_of
from bot.query.engine import Warming
from bot.report import evidence as evidence_rules
from bot.report import flow
from bot.report import service as reporting
from bot.report import text as view
from bot.report.evidence import Evidence, Owner
from bot.report.flow import DRAFT_CONVERSATION, Draft
from bot.report.periods import OpenPeriod
from bot.report.service import (
    EVIDENCE,
    PREVIEW,
    PROGRESS,
    REASON,
    REMEDY,
    STATUS,
    UpdateRefused,
    Window,
)
from handlers import callbacks, extend, fallback, imports, instruct
from handlers import evidence as files
from handlers import query as asking
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import Buttons, answer_query, as_html, buttons, notice, send, show, show_html

END = ConversationHandler.END
REPORT_IDLE = timedelta(hours=2)  # a flow left this long is paused; its draft is kept
PAUSE_CHECK_EVERY = 300  # seconds between looks for idle flows (the timer is lost on restart)
MAX_BUTTONS = 90  # targets listed as buttons; Telegram allows 100 in one keyboard
TEXT_IN_PRIVATE = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
FILE_IN_PRIVATE = filters.ChatType.PRIVATE & (filters.PHOTO | filters.Document.ALL)


# ---------------------------------------------------------------------------- helpers


def _text(context: BotContext, account: Account, key: str, /, **values: object) -> str:
    """Return a message (HTML) in the account's language."""
    return context.text(account.language, key, **values)


async def _window(context: BotContext) -> Window:
    """Return the plan and its open period now, or refuse when there is no plan."""
    services = context.services
    current = await reporting.window(
        services.db, services.today(), services.settings.report_deadline_days
    )
    if current is None:
        raise UpdateRefused("query.no_plan")
    return current


async def _period_now(context: BotContext) -> OpenPeriod:
    """Return the period taking reports now, or refuse (no plan, or none taking reports)."""
    services = context.services
    return await flow.accepting(
        services.db, services.today(), services.settings.report_deadline_days
    )


async def _refuse(
    update: Update, context: BotContext, account: Account, refusal: UpdateRefused
) -> None:
    """Tell the user why the step cannot go on: an alert on a button, else a message."""
    await notice(update, context.text(account.language, refusal.key, **refusal.values))


def _owner(account: Account) -> Owner:
    """Return the owner of the evidence taken into the account's draft."""
    return Owner("draft", account.telegram_id)


async def _files(context: BotContext, account: Account) -> list[Evidence]:
    """Return the evidence taken into the account's draft so far."""
    return await evidence_rules.listing(context.services.db, _owner(account))


def _markup(
    context: BotContext, account: Account, draft: Draft, items: list[Evidence] | None = None
) -> Buttons | None:
    """Return the buttons of the draft's step; each names the draft it belongs to."""

    def label(key: str) -> str:
        return _text(context, account, f"report.button.{key}")

    key = draft.key
    discard = [(label("discard"), f"rp:discard:{key}")]
    back = (
        [[(label("back"), f"rp:back:{key}")]]
        if draft.back_to_preview and reporting.complete(draft)
        else []
    )
    if draft.step == PROGRESS:
        rows = [[(label("ready"), f"rp:ready:{key}")]] if draft.progress else []
        return buttons([*rows, *back, discard])
    if draft.step == STATUS:
        statuses = [(label(s), f"rp:status:{s}:{key}") for s in ("on_track", "behind", "completed")]
        return buttons([statuses, *back, discard])
    if draft.step in (REASON, REMEDY):
        return buttons([*back, discard])
    files = items or []
    if draft.step == EVIDENCE:
        removes = [
            [
                (
                    context.services.t(  # a label is plain text: the name as it is
                        "evidence.button.remove",
                        account.language,
                        position=number,
                        file=evidence_rules.shortened(item.name),
                    ),
                    f"rp:evdel:{item.id}:{key}",
                )
            ]
            for number, item in enumerate(files, 1)
        ]
        done = [(_text(context, account, "evidence.button.done"), f"rp:evdone:{key}")]
        return buttons([*removes, done, discard])
    attach = (
        _text(context, account, "evidence.button.add_count", count=len(files))
        if files
        else _text(context, account, "evidence.button.add")
    )
    rows = [
        [(label("confirm"), f"rp:confirm:{key}")],
        [(attach, f"rp:ev:{key}")],
        [
            (label("edit_progress"), f"rp:edit:progress:{key}"),
            (label("edit_status"), f"rp:edit:status:{key}"),
        ],
    ]
    if draft.status == "behind":
        rows.append(
            [
                (label("edit_reason"), f"rp:edit:reason:{key}"),
                (label("edit_remedy"), f"rp:edit:remedy:{key}"),
            ]
        )
    rows.append(discard)
    return buttons(rows)


def _step_text(
    context: BotContext,
    account: Account,
    draft: Draft,
    task: reporting.Task,
    items: list[Evidence],
) -> str:
    """Return the draft's step in HTML: the preview, or the prompt with the text so far."""
    t, lang = context.services.t, account.language
    returned = (
        _text(context, account, "report.returned_comment", comment=task.comment) + "\n\n"
        if task.comment
        else ""
    )
    if draft.step == EVIDENCE:
        return _text(
            context,
            account,
            "evidence.step",
            count=len(items),
            limit=evidence_rules.MAX_FILES,
            files=files.file_lines(context, lang, items)
            or _text(context, account, "evidence.step_empty"),
            total=context.services.settings.evidence_max_mb,
        )
    prompt = as_html(view.prompt(t, lang, draft, draft.period))
    if draft.step == PREVIEW:
        unit = account.unit or ""
        preview = as_html(view.preview(t, lang, draft, task.number, task.content, unit, task.lead))
        if items:
            listing = files.file_lines(context, lang, items)
            preview += "\n" + _text(
                context, account, "evidence.listing", count=len(items), files=listing
            )
        return f"{returned}{preview}\n\n{prompt}"
    return returned + prompt


async def _task(context: BotContext, account: Account, draft: Draft) -> reporting.Task | None:
    assert account.unit_id is not None
    return await reporting.task_for(
        context.services.db, account.unit_id, draft.assignment_id, draft.period
    )


async def _show_step(
    update: Update,
    context: BotContext,
    account: Account,
    draft: Draft,
    *,
    before: str = "",
    lead_key: str | None = None,
    edit: bool = True,
) -> object:
    """Show the draft's step (with HTML `before` above it) and return it as the conversation state.

    `lead_key` names a line that leads the text and names the target (resume, other draft).
    """
    task = await _task(context, account, draft)
    if task is None:
        await reporting.discard(context.services.db, account.telegram_id)
        await show_html(update, _text(context, account, "report.not_your_target"), edit=edit)
        return END
    if lead_key is not None:
        lead = _text(context, account, lead_key, number=task.number, period=draft.period)
        before = f"{lead}\n{before}" if before else lead
    items = await _files(context, account)
    text = _step_text(context, account, draft, task, items)
    await show_html(
        update,
        f"{before}\n\n{text}" if before else text,
        _markup(context, account, draft, items),
        edit=edit,
    )
    return draft.step


async def _current(
    update: Update, context: BotContext, account: Account, step: str | None
) -> Draft | object:
    """Return the user's draft at `step`; otherwise show where the draft really is (a state).

    A pressed button must name this very draft (its last part is the draft's key): a button
    left from another draft, or from one already submitted or thrown away, changes nothing.
    """
    draft = await flow.draft_of(context.services.db, account.telegram_id)
    if update.callback_query is not None:
        pressed_key = (update.callback_query.data or "").rsplit(":", 1)[-1]
        if draft is None or draft.key != pressed_key or draft.unit_id != account.unit_id:
            await _stale(update, context, account)
            return None  # the conversation stays where it is
    if draft is None or draft.unit_id != account.unit_id:
        await show_html(update, _text(context, account, "report.no_draft"))
        return END
    if step is not None and draft.step != step:
        hint = _text(context, account, "report.hint_step")
        return await _show_step(update, context, account, draft, before=hint, edit=False)
    return draft


async def _stale(update: Update, context: BotContext, account: Account) -> None:
    """Say that the pressed button belongs to a step or a draft that is gone."""
    await answer_query(update, _text(context, account, "report.stale_button"), alert=True)


def _liaison(account: Account) -> bool:
    return account.unit_id is not None


async def _no_unit(update: Update, context: BotContext, account: Account) -> object:
    await notice(update, context.text(account.language, "report.no_unit"))
    return END


# ---------------------------------------------------------------------------- entry


@requires("liaison", private=True)
async def report_command(update: Update, context: BotContext, account: Account) -> object:
    """Continue the draft where it stopped, or list the unit's targets (`/report 90`: open one)."""
    if not _liaison(account):
        return await _no_unit(update, context, account)
    db = context.services.db
    assert account.unit_id is not None
    number = flow.requested_number(context.args or [])
    if number is not None:
        period_now = await _accepting(update, context, account)
        if period_now is None:
            return END
        task = await flow.numbered(db, account.unit_id, period_now, number)
        if task is None:
            await show_html(update, _text(context, account, "report.no_such_target", number=number))
            return END
        return await _open(update, context, account, task.assignment_id)
    draft = await flow.resumed(db, account.telegram_id, account.unit_id)
    if draft is not None:
        await _leave_others(update, context, account)
        return await _show_step(update, context, account, draft, lead_key="report.resume")
    try:
        period = await _period_now(context)
    except UpdateRefused as refusal:
        await _refuse(update, context, account, refusal)
        return END
    return await _list_tasks(update, context, account, period)


async def _leave_others(update: Update, context: BotContext, account: Account) -> None:
    """A draft opens: an answer or an extension request being written is left (kept or said
    left), so what is typed next is the update's (those flows come first and would take it)."""
    await instruct.leave(update, context, account)
    await extend.leave(update, context, account)


async def _list_tasks(
    update: Update, context: BotContext, account: Account, period: OpenPeriod
) -> object:
    """List the unit's targets of the period as buttons, each opening its update."""
    assert account.unit_id is not None
    tasks = await reporting.tasks(context.services.db, account.unit_id, period.period)
    if not tasks:
        await show_html(update, _text(context, account, "report.no_tasks", unit=account.unit))
        return END
    heading = view.task_list(
        context.services.t,
        account.language,
        account.unit or "",
        period,
        tasks,
        context.services.today(),
    )
    if len(tasks) > MAX_BUTTONS:  # Telegram takes 100 buttons at most; the rest by number
        more = _text(context, account, "report.more", count=len(tasks) - MAX_BUTTONS)
    rows = [
        [(view.task_button(task), f"rp:pick:{task.assignment_id}")] for task in tasks[:MAX_BUTTONS]
    ]
    heading = as_html(heading) + (f"\n{more}" if len(tasks) > MAX_BUTTONS else "")
    await show_html(update, heading, buttons(rows))
    return END


async def _accepting(update: Update, context: BotContext, account: Account) -> str | None:
    """Return the period taking reports now, or say why none does and return None."""
    try:
        return (await _period_now(context)).period
    except UpdateRefused as refusal:
        await _refuse(update, context, account, refusal)
        return None


@requires("liaison", private=True)
async def pick_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Start (or continue) the update of the chosen target, if it is the unit's."""
    if not _liaison(account):
        return await _no_unit(update, context, account)
    assert update.callback_query is not None
    chosen = callbacks.report_assignment(update.callback_query.data, "pick")
    if chosen is None:
        await _stale(update, context, account)
        return None
    return await _open(update, context, account, chosen)


@requires("liaison", private=True)
async def open_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Open the chosen target in a new message (from a reminder or a notice, which stay)."""
    if not _liaison(account):
        return await _no_unit(update, context, account)
    assert update.callback_query is not None
    chosen = callbacks.report_assignment(update.callback_query.data, "open")
    if chosen is None:
        await _stale(update, context, account)
        return None
    return await _open(update, context, account, chosen, edit=False)


async def _open(
    update: Update,
    context: BotContext,
    account: Account,
    assignment_id: int,
    *,
    edit: bool = True,
) -> object:
    """Show a target of the unit and start its draft; continue a draft already begun."""
    assert account.unit_id is not None
    db = context.services.db
    going = await flow.continued(db, account.telegram_id, account.unit_id, assignment_id)
    if going is not None:  # one draft at a time: never drop words typed for another target
        draft, key = going
        await _leave_others(update, context, account)
        return await _show_step(update, context, account, draft, lead_key=key, edit=False)
    try:
        period = await _period_now(context)
        task = await reporting.task_for(db, account.unit_id, assignment_id, period.period)
        if task is None:
            raise UpdateRefused("report.not_your_target")
    except UpdateRefused as refusal:
        await _refuse(update, context, account, refusal)
        return None  # the state stays as it was
    draft = await reporting.begin(
        db,
        telegram_id=account.telegram_id,
        chat_id=update.effective_chat.id if update.effective_chat else account.telegram_id,
        unit_id=account.unit_id,
        task=task,
        period=period.period,
    )
    await _leave_others(update, context, account)
    back = await reporting.background(db, task, account.unit_id, period.period)
    card = view.card(
        context.services.t,
        account.language,
        task,
        account.unit or "",
        period.period,
        back,
        context.services.settings.timezone,
    )
    return await _show_step(update, context, account, draft, before=as_html(card), edit=edit)


# ---------------------------------------------------------------------------- steps


QUESTION_LENGTH = 40  # characters: a longer message is always the writer's text


async def _reading(context: BotContext, account: Account, text: str) -> str | None:
    """Tell how a message typed in a text step reads: a question, maybe one, or text."""
    if len(text) > QUESTION_LENGTH:
        return None
    services = context.services
    try:
        answer = await services.engine.ask(services.db, text, today=services.today())
    except Warming:  # the index is being built: what the writer typed is their text
        return None
    return reporting.reads_as_question(answer.parsed)


async def _typed_draft(
    update: Update, context: BotContext, account: Account, step: str
) -> Draft | object:
    """Return the draft at `step` for a typed message, or the state when it was handled otherwise.

    A flow idle for longer than REPORT_IDLE (the in-memory timer is lost on a restart) is
    paused first and the message answered as a question. A message that reads as a question is
    held in the draft and answered, never added silently.
    """
    found = await _current(update, context, account, step)
    if not isinstance(found, Draft):
        return found
    text, message_id = _typed(update)
    services = context.services
    if found.paused or reporting.idle(found, services.now(), REPORT_IDLE):
        # Paused (perhaps by the idle check while the flow's step was kept): text is a question.
        await _pause(context, account.telegram_id)
        await ask_question(update, context, account, text)
        return END
    reading = await _reading(context, account, text)
    if reading is None:
        return found
    held = reporting.hold(found, text, message_id)
    if held is found:
        return step  # the same message again: already answered
    await reporting.store(services.db, held)
    task = await _task(context, account, held)
    number = task.number if task else 0
    held_id = f"{message_id}:{held.key}"  # the held message and the draft it waits in
    add = (_text(context, account, "report.button.hold_add"), f"rp:hold:add:{held_id}")
    if reading == "question":
        await ask_question(update, context, account, text)
        note = _text(context, account, "report.held_answered", number=number)
        markup = buttons([[add]])
    else:
        note = _text(context, account, "report.held_ask", number=number, text=text)
        ask = _text(context, account, "report.button.hold_ask")
        markup = buttons([[add], [(ask, f"rp:hold:ask:{held_id}")]])
    await show_html(update, note, markup, edit=False)
    return step


async def ask_question(update: Update, context: BotContext, account: Account, text: str) -> None:
    """Answer `text` as a question typed in chat (the query feature's answer)."""
    await asking.answer_text(update, context, account, text)


async def _taken(
    update: Update, context: BotContext, account: Account, draft: Draft, *, edit: bool
) -> None:
    """Say the progress text was stored, how long it is, and for which target."""
    db = context.services.db
    task = await _task(context, account, draft)
    text = as_html(
        view.taken(context.services.t, account.language, draft, task.number if task else 0)
    )
    previous = await flow.previous_report(db, draft)
    if reporting.equals_previous(draft, previous):
        assert previous is not None
        text += "\n" + _text(context, account, "report.same_as_previous", period=previous.period)
    await show_html(update, text, _markup(context, account, draft), edit=edit)


@requires("liaison", private=True)
async def progress_text(update: Update, context: BotContext, account: Account) -> object:
    """Add a message to the progress text, store it, and say how long it is now."""
    found = await _typed_draft(update, context, account, PROGRESS)
    if not isinstance(found, Draft):
        return found
    text, message_id = _typed(update)
    try:
        draft = reporting.add_text(found, text, message_id)
    except UpdateRefused as refusal:
        await _refuse(update, context, account, refusal)
        return PROGRESS
    if draft is found:
        return PROGRESS  # the same message again: already taken
    await reporting.store(context.services.db, draft)
    await _taken(update, context, account, draft, edit=False)
    return PROGRESS


async def _advance(
    update: Update,
    context: BotContext,
    account: Account,
    step: str | None,
    change: Callable[[Draft], Draft],
    *,
    typed: bool = False,
) -> object:
    """Apply one step's change to the draft at `step`, store it, and show the next step."""
    if typed:
        assert step is not None
        found = await _typed_draft(update, context, account, step)
    else:
        found = await _current(update, context, account, step)
    if not isinstance(found, Draft):
        return found
    try:
        draft = change(found)
    except UpdateRefused as refusal:
        await _refuse(update, context, account, refusal)
        return step
    if draft is found:
        return step  # the same message again: already taken
    await reporting.store(context.services.db, draft)
    return await _show_step(update, context, account, draft)


def _pressed(update: Update) -> str:
    """Return the part of the pressed button's data after its verb: `rp:pick:90` → `90`.

    For a draft's buttons (`rp:status:behind:<key>`) it is the choice before the key.
    """
    assert update.callback_query is not None
    parts = (update.callback_query.data or "").split(":")
    return parts[2] if len(parts) > 2 else ""


def _typed(update: Update) -> tuple[str, int]:
    """Return the text of the message and its id."""
    message = update.effective_message
    assert message is not None
    return message.text or "", message.message_id


@requires("liaison", private=True)
async def ready_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Move on from the progress text to the status."""
    return await _advance(update, context, account, PROGRESS, reporting.ready)


@requires("liaison", private=True)
async def status_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Take the chosen status; ask the reason and remedy when behind."""
    status = _pressed(update)
    return await _advance(
        update, context, account, STATUS, lambda draft: reporting.set_status(draft, status)
    )


@requires("liaison", private=True)
async def reason_text(update: Update, context: BotContext, account: Account) -> object:
    """Take the reason of the delay."""
    text, message_id = _typed(update)
    return await _advance(
        update,
        context,
        account,
        REASON,
        lambda draft: reporting.set_reason(draft, text, message_id, remedy=False),
        typed=True,
    )


@requires("liaison", private=True)
async def remedy_text(update: Update, context: BotContext, account: Account) -> object:
    """Take the remedy for the delay."""
    text, message_id = _typed(update)
    return await _advance(
        update,
        context,
        account,
        REMEDY,
        lambda draft: reporting.set_reason(draft, text, message_id, remedy=True),
        typed=True,
    )


@requires("liaison", private=True)
async def edit_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Go back from the preview to one step."""
    step = _pressed(update)
    return await _advance(
        update, context, account, PREVIEW, lambda draft: reporting.edit(draft, step)
    )


@requires("liaison", private=True)
async def back_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Return to the preview from a step opened there, leaving the draft as it was."""
    return await _advance(update, context, account, None, reporting.back_to_preview)


async def _held(update: Update, context: BotContext, account: Account) -> Draft | object:
    """Return the draft if the pressed button is about the message it holds now, else refuse.

    The button names the message (`rp:hold:add:<message id>:<draft key>`): a note left from an
    earlier held message never places a later one.
    """
    found = await _current(update, context, account, None)
    if not isinstance(found, Draft):
        return found
    assert update.callback_query is not None
    message = (update.callback_query.data or "").split(":")[3]
    if found.held_text is None or message != str(found.held_message_id):
        await _stale(update, context, account)
        return None
    return found


@requires("liaison", private=True)
async def hold_add_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Put a message that read as a question into the draft after all (the writer's choice)."""
    found = await _held(update, context, account)
    if not isinstance(found, Draft):
        return found
    try:
        draft = reporting.place_held(found)
    except UpdateRefused as refusal:
        await _refuse(update, context, account, refusal)
        return None
    await reporting.store(context.services.db, draft)
    if draft.step == PROGRESS:
        await _taken(update, context, account, draft, edit=True)
        return PROGRESS
    return await _show_step(update, context, account, draft)


@requires("liaison", private=True)
async def hold_ask_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Answer a held message as a question; the draft stays as it was."""
    found = await _held(update, context, account)
    if not isinstance(found, Draft):
        return found
    assert found.held_text is not None
    await reporting.store(context.services.db, found.but(held_text=None, held_message_id=0))
    await ask_question(update, context, account, found.held_text)
    return found.step


@requires("liaison", private=True)
async def confirm_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Store the update in one transaction and answer with a receipt (once, however tapped)."""
    if not _liaison(account):
        return await _no_unit(update, context, account)
    assert update.callback_query is not None
    assert account.unit_id is not None
    key = callbacks.report_confirm(update.callback_query.data)
    if key is None:
        await _stale(update, context, account)
        return None
    services = context.services
    try:
        receipt = await reporting.submit(
            services.db,
            key,
            telegram_id=account.telegram_id,
            unit_id=account.unit_id,
            today=services.today(),
            days=services.settings.report_deadline_days,
            review_required=services.settings.review_required,
        )
    except UpdateRefused as refusal:
        await _refuse(update, context, account, refusal)
        return None
    current = await reporting.window(
        services.db, services.today(), services.settings.report_deadline_days
    )
    deadline = (
        view.deadline_words(services.t, account.language, current.open, services.today())
        if current is not None and current.open is not None
        else "—"
    )
    text = as_html(
        view.receipt(services.t, account.language, receipt, services.settings.timezone, deadline)
    )
    if receipt.files:
        listing = files.file_lines(context, account.language, list(receipt.files))
        text += "\n" + _text(
            context, account, "evidence.listing", count=len(receipt.files), files=listing
        )
    tasks = await reporting.tasks(services.db, account.unit_id, receipt.period)
    following = reporting.next_task(tasks, receipt.assignment_id)
    if following is None:
        text += "\n" + _text(context, account, "report.all_done", period=receipt.period)
        await show_html(update, text)
    else:
        label = _text(context, account, "report.button.next", number=following.number)
        await show_html(update, text, buttons([[(label, f"rp:open:{following.assignment_id}")]]))
    return END  # admins hear of a pending review in one gathered notice (bot/pushes)


# ---------------------------------------------------------------------------- evidence


@requires("liaison", private=True)
async def evidence_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Open the evidence step from the preview: send photos or files, then 完成."""
    return await _advance(update, context, account, PREVIEW, reporting.to_evidence)


@requires("liaison", private=True)
async def evidence_done_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Return from the evidence step to the preview."""
    return await _advance(update, context, account, EVIDENCE, reporting.back_to_preview)


@requires("liaison", private=True)
async def evidence_remove_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Take one file off the draft (the button names the file and the draft)."""
    found = await _current(update, context, account, EVIDENCE)
    if not isinstance(found, Draft):
        return found
    assert update.callback_query is not None
    pressed = callbacks.evidence_remove(update.callback_query.data)
    removed = (
        await evidence_rules.remove(context.services.db, _owner(account), pressed[0])
        if pressed is not None
        else None
    )
    if removed is None:
        await _stale(update, context, account)
        return EVIDENCE
    line = _text(context, account, "evidence.removed", file=removed.name)
    return await _show_step(update, context, account, found, before=line)


@requires("liaison", private=True)
async def file_sent(update: Update, context: BotContext, account: Account) -> object:
    """Take a photo or document sent at any step into the draft; say so once it is kept."""
    draft = await flow.draft_of(context.services.db, account.telegram_id)
    if draft is None or draft.unit_id != account.unit_id:
        await show_html(update, _text(context, account, "report.no_draft"))
        return END
    return await _take_file(update, context, account, draft)


@requires(None, private=True)
async def file_outside(update: Update, context: BotContext, account: Account) -> object:
    """A file with no flow going: evidence for the sender's paused draft, else as before.

    A liaison back after the flow paused (or after a restart) just sends the photo: it goes
    into the draft, which goes on. Anyone without a draft: a document is an import (an
    admin's, refused to others), anything else is not understood.
    """
    db = context.services.db
    draft = (
        await flow.resumed(db, account.telegram_id, account.unit_id)
        if account.has("liaison") and account.unit_id is not None
        else None
    )
    if draft is not None:
        return await _take_file(update, context, account, draft)
    message = update.effective_message
    if message is not None and message.document is not None:
        await imports.document_sent(update, context)
    else:
        await fallback.not_understood(update, context)
    return END


async def _take_file(update: Update, context: BotContext, account: Account, draft: Draft) -> object:
    """Take the message's file into the draft and answer; the draft stays at its step."""
    attached = await files.take(update, context, account, _owner(account))
    if attached is None:
        return draft.step  # refused in one line: the draft keeps everything else
    line = files.taken_line(context, account.language, attached)
    markup: Buttons | None
    if draft.step == EVIDENCE:
        markup = buttons(
            [[(_text(context, account, "evidence.button.done"), f"rp:evdone:{draft.key}")]]
        )
    else:
        markup = _markup(context, account, draft, await _files(context, account))
    await show_html(update, line, markup, edit=False)
    return draft.step


@requires("liaison", private=True)
async def evidence_text(update: Update, context: BotContext, account: Account) -> object:
    """Answer text typed at the evidence step: it takes files; show the step again."""
    found = await _current(update, context, account, EVIDENCE)
    if not isinstance(found, Draft):
        return found
    hint = _text(context, account, "evidence.step_hint")
    return await _show_step(update, context, account, found, before=hint, edit=False)


# ---------------------------------------------------------------------------- leaving


@requires("liaison", private=True)
async def cancel(update: Update, context: BotContext, account: Account) -> object:
    """Stop the update and throw the draft away."""
    dropped = await reporting.discard(context.services.db, account.telegram_id)
    key = "report.cancelled" if dropped else "report.nothing_to_cancel"
    await show_html(update, _text(context, account, key))
    return END


@requires("liaison", private=True)
async def discard_pressed(update: Update, context: BotContext, account: Account) -> object:
    """Throw the draft this button belongs to away, at the writer's request."""
    found = await _current(update, context, account, None)
    if not isinstance(found, Draft):
        return found
    await reporting.discard(context.services.db, account.telegram_id)
    await show_html(update, _text(context, account, "report.discarded"))
    return END


@requires("liaison", private=True)
async def wrong_kind(update: Update, context: BotContext, account: Account) -> object:
    """Answer input of the wrong kind (a sticker, a photo, text where a button is expected)."""
    draft = await flow.draft_of(context.services.db, account.telegram_id)
    if draft is None:
        await show_html(update, _text(context, account, "report.no_draft"))
        return END
    text_step = draft.step in (PROGRESS, REASON, REMEDY)
    hint = _text(context, account, "report.hint_text" if text_step else "report.hint_buttons")
    typed = update.effective_message.text if update.effective_message else None
    if typed and not text_step and await _reading(context, account, typed) == "question":
        # A question typed where a button is expected (a status word there is a choice made
        # by typing: it gets the hint): answer it, then show the step again.
        await ask_question(update, context, account, typed)
        task = await _task(context, account, draft)
        hint = _text(context, account, "report.answered_step", number=task.number if task else 0)
    return await _show_step(update, context, account, draft, before=hint, edit=False)


@requires("liaison")
async def stale_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Answer a button of a step already left, or of a flow already over."""
    await answer_query(update, _text(context, account, "report.stale_button"), alert=True)


async def _pause(context: BotContext, telegram_id: int) -> None:
    """Pause a user's flow left idle and tell them which draft waits; once per pause."""
    services = context.services
    draft = await reporting.pause(services.db, telegram_id)
    if draft is None:
        return
    task = await reporting.task_for(services.db, draft.unit_id, draft.assignment_id, draft.period)
    language = await language_of(services.db, services.settings, telegram_id)
    text = context.text(language, "report.paused", number=task.number if task else "—")
    await send(context.bot, draft.chat_id, text)


async def timed_out(update: object, context: BotContext) -> None:
    """Pause a flow left idle: the draft is kept, and /report continues it."""
    if isinstance(update, Update) and update.effective_user is not None:
        await _pause(context, update.effective_user.id)


async def pause_idle(context: BotContext) -> None:
    """The job: pause every flow left idle, also those whose timer a restart forgot."""
    services = context.services
    for draft in await reporting.idle_drafts(services.db, services.now(), REPORT_IDLE):
        await _pause(context, draft.telegram_id)


def start_pausing(job_queue: Any) -> None:
    """Look for idle flows every few minutes (a stable job name: one such job)."""
    for job in job_queue.get_jobs_by_name("pause-idle-drafts"):
        job.schedule_removal()
    job_queue.run_repeating(
        pause_idle, interval=PAUSE_CHECK_EVERY, first=PAUSE_CHECK_EVERY, name="pause-idle-drafts"
    )


@requires("liaison", private=True)
async def cancel_outside(update: Update, context: BotContext, account: Account) -> None:
    """`/cancel` with no flow going: drop a paused draft, or say there is nothing to cancel."""
    await cancel(update, context)


@requires("liaison", private=True)
async def mine_command(update: Update, context: BotContext, account: Account) -> None:
    """List the unit's targets with this period's state and the days left."""
    if not _liaison(account):
        await show_html(update, _text(context, account, "report.mine_not_liaison"))
        return
    assert account.unit_id is not None
    try:
        current = await _window(context)
    except UpdateRefused as refusal:
        await _refuse(update, context, account, refusal)
        return
    if current.open is None:
        await show_html(update, _text(context, account, "report.closed"))
        return
    tasks = await reporting.tasks(context.services.db, account.unit_id, current.open.period)
    text = view.mine(
        context.services.t,
        account.language,
        account.unit or "",
        current.open,
        tasks,
        context.services.today(),
    )
    await show(update, text)


def _conversation() -> ConversationHandler[BotContext]:
    pick = CallbackQueryHandler(pick_pressed, pattern=r"^rp:pick:\d+$")
    opened = CallbackQueryHandler(open_pressed, pattern=r"^rp:open:\d+$")
    report = CommandHandler("report", report_command)
    # Any file in a private chat with no flow going comes here first (see file_outside).
    file_first = MessageHandler(FILE_IN_PRIVATE, file_outside)
    key = r":[\w-]+$"  # a draft's buttons end with its key
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message, on purpose: every step checks
        # the draft its button names, so an old button can never act on the wrong step or draft.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[report, pick, opened, file_first],
            states={
                PROGRESS: [
                    MessageHandler(TEXT_IN_PRIVATE, progress_text),
                    CallbackQueryHandler(ready_pressed, pattern=rf"^rp:ready{key}"),
                ],
                STATUS: [CallbackQueryHandler(status_pressed, pattern=rf"^rp:status:\w+{key}")],
                REASON: [MessageHandler(TEXT_IN_PRIVATE, reason_text)],
                REMEDY: [MessageHandler(TEXT_IN_PRIVATE, remedy_text)],
                PREVIEW: [
                    CallbackQueryHandler(confirm_pressed, pattern=r"^rp:confirm:"),
                    CallbackQueryHandler(edit_pressed, pattern=rf"^rp:edit:\w+{key}"),
                    CallbackQueryHandler(evidence_pressed, pattern=rf"^rp:ev{key}"),
                ],
                EVIDENCE: [
                    CallbackQueryHandler(evidence_done_pressed, pattern=rf"^rp:evdone{key}"),
                    CallbackQueryHandler(evidence_remove_pressed, pattern=rf"^rp:evdel:\d+{key}"),
                    MessageHandler(TEXT_IN_PRIVATE, evidence_text),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[
                report,
                CommandHandler("cancel", cancel),
                CallbackQueryHandler(discard_pressed, pattern=rf"^rp:discard{key}"),
                CallbackQueryHandler(back_pressed, pattern=rf"^rp:back{key}"),
                *HOLD_BUTTONS,
                pick,
                opened,
                # A photo or document at any step is evidence for the draft (an album: each).
                MessageHandler(FILE_IN_PRIVATE, file_sent),
                MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, wrong_kind),
                CallbackQueryHandler(stale_pressed, pattern=r"^rp:"),
            ],
            name=DRAFT_CONVERSATION,
            persistent=True,
            conversation_timeout=REPORT_IDLE,
        )


# A held message's buttons act on the draft in the database, inside the flow or outside it.
HOLD_BUTTONS = [
    CallbackQueryHandler(hold_add_pressed, pattern=r"^rp:hold:add:\d+:[\w-]+$"),
    CallbackQueryHandler(hold_ask_pressed, pattern=r"^rp:hold:ask:\d+:[\w-]+$"),
]


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, with a conversation of its own for one Application."""
    return [
        _conversation(),
        # Outside a flow: a second tap on confirm shows the first receipt; other old buttons say so.
        CallbackQueryHandler(confirm_pressed, pattern=r"^rp:confirm:"),
        *HOLD_BUTTONS,
        CallbackQueryHandler(stale_pressed, pattern=r"^rp:"),
        CommandHandler("cancel", cancel_outside),
        CommandHandler("mine", mine_command),
    ]
