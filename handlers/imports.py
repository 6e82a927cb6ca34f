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

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.people.accounts import Account
from bot.plan import pending as waiting
from bot.plan import preview
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
    update: Update, context: BotContext, account: Account, kept: PendingImport
) -> None:
    """Read the kept file in a dry run and show the preview with its buttons."""
    services = context.services
    language = account.language
    try:
        found = await preview.preview_file(services.db, kept.path, columns=dict(kept.columns))
    except TableError as error:
        services.pending_imports.finish(kept.key, waiting.FAILED)
        await show(update, describe_error(error, services.t, language), edit=False)
        return
    text = preview.render(found, services.t, language)
    if not found.summary.changes_anything:
        services.pending_imports.finish(kept.key, waiting.CANCELLED)  # nothing to confirm
        await show(update, text, edit=False)
        return
    markup = buttons(
        [
            [
                (context.text(language, "import.chat.confirm"), f"imp:ok:{kept.key}"),
                (context.text(language, "import.chat.cancel"), f"imp:no:{kept.key}"),
            ]
        ]
    )
    await show(update, text, markup, edit=False)


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
        CallbackQueryHandler(stale_pressed, pattern=r"^imp:"),
    ]
