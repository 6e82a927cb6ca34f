"""Importing a target table from the chat: an admin sends the file, sees the preview, confirms.

The file is checked before it is downloaded (Telegram's 20 MB, a kind the importer reads), kept
under a random key while the admin decides (bot/plan/pending: in memory, so a restart expires
it), read by the shared importer in a dry run and previewed (bot/plan/preview). Confirm stores it
all or nothing, attributed to the admin in the audit log. Every button is checked when pressed:
the presser must still be an admin and the one who sent the file, and the import still waiting.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.people.accounts import Account
from bot.plan import pending as waiting
from bot.plan import preview
from bot.plan.columns import EXTRA, ROLES, ColumnUse
from bot.plan.importer import describe_error, describe_summary
from bot.plan.pending import PendingImport
from bot.plan.tables import TableError
from handlers import callbacks
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import answer_query, buttons, show, show_html

log = logging.getLogger(__name__)

DOCUMENT_IN_PRIVATE = filters.ChatType.PRIVATE & filters.Document.ALL


@requires("admin", private=True)
async def import_command(update: Update, context: BotContext, account: Account) -> None:
    """Tell an admin how to import: send the table as a file."""
    await show_html(update, context.text(account.language, "import.chat.usage"), edit=False)


@requires(None)
async def document_sent(update: Update, context: BotContext, account: Account) -> None:
    """Preview the import of a file an admin sent; refuse anyone else's politely."""
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None:
        return
    language = account.language
    if not account.has("admin"):
        key = "access.stranger" if account.role is None else "import.chat.not_admin"
        await show_html(update, context.text(language, key), edit=False)
        return
    services = context.services
    name = document.file_name or ""
    refusal = preview.check_upload(name, document.file_size)
    if refusal is not None:
        await show(update, describe_error(refusal, services.t, language), edit=False)
        return
    kept = services.pending_imports.reserve(account.telegram_id, name)
    try:
        telegram_file = await context.bot.get_file(document.file_id)
        await telegram_file.download_to_drive(kept.path)
    except TelegramError as error:
        log.warning("could not download %r: %s", name, error)
        services.pending_imports.finish(kept.key, waiting.FAILED)
        await show_html(
            update,
            context.text(language, "import.chat.download_failed", file=kept.file),
            edit=False,
        )
        return
    await _preview(update, context, account, kept)


async def _preview(
    update: Update,
    context: BotContext,
    account: Account,
    kept: PendingImport,
    *,
    edit: bool = False,
) -> None:
    """Read the kept file in a dry run and show the preview with its buttons.

    After a column was corrected by hand (`edit`), a table that no longer reads keeps its
    import waiting: the admin may correct another column, or cancel.
    """
    services = context.services
    language = account.language
    try:
        found = await preview.preview_file(services.db, kept.path, columns=dict(kept.columns))
    except TableError as error:
        text = describe_error(error, services.t, language)
        if edit:
            await show(update, text, _buttons(context, language, kept.key, confirm=False))
            return
        services.pending_imports.finish(kept.key, waiting.FAILED)
        await show(update, text, edit=False)
        return
    text = preview.render(found, services.t, language)
    if not found.summary.changes_anything:
        services.pending_imports.finish(kept.key, waiting.CANCELLED)  # nothing to confirm
        await show(update, text, edit=edit)
        return
    await show(update, text, _buttons(context, language, kept.key), edit=edit)


def _buttons(
    context: BotContext, language: str | None, key: str, *, confirm: bool = True
) -> InlineKeyboardMarkup:
    """Return a preview's buttons: confirm and cancel, and correct a column's role."""
    first = [(context.text(language, "import.chat.cancel"), f"imp:no:{key}")]
    if confirm:
        first.insert(0, (context.text(language, "import.chat.confirm"), f"imp:ok:{key}"))
    return buttons([first, [(context.text(language, "import.chat.fix"), f"imp:fix:{key}")]])


async def _columns_of(context: BotContext, kept: PendingImport) -> list[ColumnUse]:
    """Return how each column of the kept file's header is taken now (by hand where mapped)."""
    try:
        found = await preview.preview_file(
            context.services.db, kept.path, columns=dict(kept.columns)
        )
    except TableError:
        return []
    return [ColumnUse(c.index, c.header, c.role) for c in found.columns]


@requires("admin", private=True)
async def fix_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Offer the columns of the header: the admin picks the one read wrongly."""
    query = update.callback_query
    key = callbacks.import_key(query.data if query else None, "fix")
    kept = context.services.pending_imports.get(key, account.telegram_id)
    if kept is None:
        await _gone(update, context, account, key)
        return
    language = account.language
    columns = await _columns_of(context, kept)
    if not columns:  # no header read at all: nothing to choose from
        await answer_query(update, context.text(language, "import.chat.no_columns"), alert=True)
        return
    rows = [
        [(preview.column_line(column, context.services.t, language), f"imp:col:{kept.key}:{i}")]
        for i, column in enumerate(columns[: preview.MAX_COLUMNS_SHOWN])
    ]
    rows.append([(context.text(language, "import.chat.back"), f"imp:back:{kept.key}")])
    await show_html(update, context.text(language, "import.chat.pick_column"), buttons(rows))


@requires("admin", private=True)
async def column_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Offer the roles the chosen column can be taken as."""
    query = update.callback_query
    chosen = callbacks.import_column(query.data if query else None)
    kept = context.services.pending_imports.get(chosen[0], account.telegram_id) if chosen else None
    columns = await _columns_of(context, kept) if kept is not None else []
    if kept is None or chosen is None or chosen[1] >= len(columns):
        await _gone(update, context, account, chosen[0] if chosen else None)
        return
    language = account.language
    column = columns[chosen[1]]
    roles = [*ROLES, EXTRA]
    labels = [
        (
            context.text(language, f"import.preview.role.{role}"),
            f"imp:role:{kept.key}:{chosen[1]}:{role}",
        )
        for role in roles
    ]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    rows.append([(context.text(language, "import.chat.back"), f"imp:back:{kept.key}")])
    # context.text escapes the header already: shown as HTML, not escaped a second time.
    text = context.text(language, "import.chat.pick_role", header=column.header)
    await show_html(update, text, buttons(rows))


@requires("admin", private=True)
async def role_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Take the chosen column as the chosen role, and show the preview again."""
    query = update.callback_query
    chosen = callbacks.import_role(query.data if query else None, (*ROLES, EXTRA))
    pending = context.services.pending_imports
    kept = pending.get(chosen[0], account.telegram_id) if chosen else None
    columns = await _columns_of(context, kept) if kept is not None else []
    if kept is None or chosen is None or chosen[1] >= len(columns):
        await _gone(update, context, account, chosen[0] if chosen else None)
        return
    remapped = pending.remap(kept.key, account.telegram_id, chosen[2], columns[chosen[1]].header)
    if remapped is None:
        await _gone(update, context, account, kept.key)
        return
    await _preview(update, context, account, remapped, edit=True)


@requires("admin", private=True)
async def back_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Show the preview again, as it stands."""
    query = update.callback_query
    key = callbacks.import_key(query.data if query else None, "back")
    kept = context.services.pending_imports.get(key, account.telegram_id)
    if kept is None:
        await _gone(update, context, account, key)
        return
    await _preview(update, context, account, kept, edit=True)


async def _gone(update: Update, context: BotContext, account: Account, key: str | None) -> None:
    """Answer a button of an import no longer waiting: done, cancelled, or expired."""
    outcome = context.services.pending_imports.outcome(key)
    text_key = {
        waiting.IMPORTED: "import.chat.already_imported",
        waiting.CANCELLED: "import.chat.already_cancelled",
    }.get(outcome or "", "import.chat.expired")
    await answer_query(update, context.text(account.language, text_key), alert=True)


@requires("admin", private=True)
async def confirm_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Import the previewed file all or nothing, and say what it did."""
    query = update.callback_query
    key = callbacks.import_key(query.data if query else None, "ok")
    services = context.services
    kept = services.pending_imports.claim(key, account.telegram_id)
    if kept is None:
        await _gone(update, context, account, key)
        return
    outcome = waiting.FAILED
    try:
        summary = await preview.import_kept(
            services.db,
            kept.path,
            actor=f"user:{account.telegram_id}",
            columns=dict(kept.columns),
        )
        outcome = waiting.IMPORTED
    except TableError as error:
        await show(update, describe_error(error, services.t, account.language))
        return
    finally:
        services.pending_imports.finish(kept.key, outcome)
    await show(update, "\n".join(describe_summary(summary, services.t, account.language)))


@requires("admin", private=True)
async def cancel_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Drop the previewed file: nothing is imported."""
    query = update.callback_query
    key = callbacks.import_key(query.data if query else None, "no")
    pending = context.services.pending_imports
    kept = pending.claim(key, account.telegram_id)
    if kept is None:
        await _gone(update, context, account, key)
        return
    pending.finish(kept.key, waiting.CANCELLED)
    await show_html(update, context.text(account.language, "import.chat.cancelled", file=kept.file))


@requires(None)
async def stale_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Answer an import button of a shape no longer made (forged, or from an older version)."""
    await answer_query(update, context.text(account.language, "import.chat.expired"), alert=True)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, in the order they are tried."""
    return [
        CommandHandler("import", import_command),
        # Any document in a private chat outside a flow (a report draft's flow comes first).
        MessageHandler(DOCUMENT_IN_PRIVATE, document_sent),
        CallbackQueryHandler(confirm_pressed, pattern=r"^imp:ok:[\w-]+$"),
        CallbackQueryHandler(cancel_pressed, pattern=r"^imp:no:[\w-]+$"),
        CallbackQueryHandler(fix_pressed, pattern=r"^imp:fix:[\w-]+$"),
        CallbackQueryHandler(back_pressed, pattern=r"^imp:back:[\w-]+$"),
        CallbackQueryHandler(column_pressed, pattern=r"^imp:col:[\w-]+:\d+$"),
        CallbackQueryHandler(role_pressed, pattern=r"^imp:role:[\w-]+:\d+:\w+$"),
        CallbackQueryHandler(stale_pressed, pattern=r"^imp:"),
    ]
