"""佐证材料 in chat: take a photo or document into an owner's list; send an owner's files.

The API other flows use (the 批示 answer flow takes evidence exactly as /report does):

- `incoming_of(message) -> Incoming | None`: the file a message carries (a photo: its largest
  size), or None when it carries none.
- `await take(update, context, account, owner) -> Attached | None`: check the file before the
  download (kind, count, declared size, total), download it (getFile), check it again, keep the
  bytes durably in the files folder and then commit its row; None when refused or failed (the
  one line saying why was shown, nothing changed). A file attached already comes back with
  `duplicate=True`. Say it with `taken_line(context, language, attached)` — the caller answers
  AFTER `take` returns, so the user is told only what is on disk.
- `file_lines(context, language, items)`: the list (`1. 现场照片.jpg（1.2 MB）`) for previews and
  receipts.
- `await send_files(update, context, account, items)`: send files to the presser's chat by
  Telegram `file_id`; when Telegram refuses the id, upload the kept copy instead.
- Buttons: `ev:r:<report id>` sends a report revision's files and `ev:t:<target id>` those of a
  target's current revisions, to anyone who may see the target's details (checked when pressed;
  a forged one gets an alert and nothing is sent). Another flow adds its own kind of button with
  `may_send("a", finder)`: `finder(conn, account, id)` returns the files the presser may have,
  or None; `send_button(context, language, count, "ev:a:<id>")` makes the button.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
from telegram import InputFile, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.people.accounts import Account
from bot.query import service as asking
from bot.report import evidence
from bot.report.evidence import Attached, Evidence, EvidenceRefused, FileStore, Incoming, Owner
from handlers import callbacks
from handlers.access import requires
from handlers.context import BotContext, Html
from handlers.reply import answer_query, show_html

log = logging.getLogger(__name__)

__all__ = [
    "Attached",
    "Owner",
    "file_lines",
    "incoming_of",
    "may_send",
    "send_button",
    "send_files",
    "store_of",
    "take",
    "taken_line",
]


def store_of(context: BotContext) -> FileStore:
    """Return the files folder next to the configured database."""
    return FileStore.beside(context.services.settings.database_path)


def incoming_of(message: Message | None, photo_name: str = "photo.jpg") -> Incoming | None:
    """Return the file a message carries: a document, or a photo's largest size.

    A photo is named by its caption, else `photo_name` (照片3.jpg).
    """
    if message is None:
        return None
    if message.document is not None:
        document = message.document
        return Incoming(
            file_id=document.file_id,
            file_unique_id=document.file_unique_id,
            name=document.file_name or f"file-{document.file_unique_id}",
            kind="document",
            mime=document.mime_type or "",
            size=document.file_size,
        )
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.file_size or 0, size.width))
        return Incoming(
            file_id=largest.file_id,
            file_unique_id=largest.file_unique_id,
            name=evidence.photo_name(message.caption, photo_name),
            kind="photo",
            mime="image/jpeg",
            size=largest.file_size,
        )
    return None


async def take(
    update: Update, context: BotContext, account: Account, owner: Owner
) -> Attached | None:
    """Download, check and keep the file of the message with `owner`; None when refused."""
    services = context.services
    language = account.language
    count = len(await evidence.listing(services.db, owner))
    name = context.services.t("evidence.photo_name", language, n=count + 1)
    incoming = incoming_of(update.effective_message, name)
    if incoming is None:
        return None
    total = services.settings.evidence_max_mb
    try:
        same = await evidence.precheck(services.db, owner, incoming, total)
        if same is not None:
            return same
        try:
            telegram_file = await context.bot.get_file(incoming.file_id)
            data = bytes(await telegram_file.download_as_bytearray())
        except TelegramError as error:
            log.warning("could not download evidence %r: %s", incoming.name, error)
            text = context.text(language, "evidence.download_failed", file=incoming.name)
            await _say(update, text)
            return None
        return await evidence.attach(
            services.db,
            store_of(context),
            owner,
            incoming,
            data,
            added_by=account.telegram_id,
            total_mb=total,
        )
    except EvidenceRefused as refusal:
        await _say(update, context.text(language, refusal.key, **refusal.values))
        return None


async def _say(update: Update, text: str) -> None:
    await show_html(update, text, edit=False)


def taken_line(context: BotContext, language: str | None, attached: Attached) -> str:
    """Return `已收到 2/9：现场照片.jpg（1.2 MB）`, or that the file was attached already (HTML)."""
    item = attached.item
    if attached.duplicate:
        return context.text(language, "evidence.already", file=item.name, position=item.position)
    return context.text(
        language,
        "evidence.received",
        count=attached.count,
        limit=evidence.MAX_FILES,
        file=item.name,
        size=evidence.size_words(item.size),
    )


def file_lines(context: BotContext, language: str | None, items: list[Evidence]) -> str:
    """Return the files one a line, numbered from 1 (HTML, put into other messages as it is)."""
    return Html(
        "\n".join(
            context.text(
                language,
                "evidence.file_line",
                position=number,
                file=item.name,
                size=evidence.size_words(item.size),
            )
            for number, item in enumerate(items, 1)
        )
    )


def send_button(
    context: BotContext, language: str | None, count: int, data: str, unit: str | None = None
) -> tuple[str, str]:
    """Return the button that sends files: `📎 佐证材料 3 份` and its callback data."""
    t = context.services.t  # a button's label is plain text, never HTML
    if unit:
        return t("evidence.button.send_of", language, unit=unit, count=count), data
    return t("evidence.button.send", language, count=count), data


async def send_files(
    update: Update, context: BotContext, account: Account, items: list[Evidence]
) -> int:
    """Send files to the chat of the update, by file_id, else from the kept copy; return sent."""
    chat = update.effective_chat
    if chat is None:
        return 0
    store = store_of(context)
    sent = 0
    for item in items:
        try:
            await _send_one(context, chat.id, item, item.file_id)
            sent += 1
            continue
        except TelegramError as error:
            log.warning("file_id of evidence %d refused (%s): uploading the copy", item.id, error)
        data = await store.read(item.sha256)
        if data is None:
            await context.bot.send_message(
                chat.id, context.text(account.language, "evidence.send_failed", file=item.name)
            )
            continue
        await _send_one(context, chat.id, item, InputFile(data, filename=item.name))
        sent += 1
    return sent


async def _send_one(context: BotContext, chat_id: int, item: Evidence, what: Any) -> None:
    if item.kind == "photo":
        await context.bot.send_photo(chat_id, what, caption=item.name, parse_mode=None)
    else:
        await context.bot.send_document(chat_id, what, parse_mode=None)


# ---------------------------------------------------------------------------- the buttons


async def _refuse(update: Update, context: BotContext, account: Account) -> None:
    text = context.text(account.language, "evidence.not_found")
    await answer_query(update, text, alert=True)


# Who may have which files sent: `ev:<verb>:<id>` → the files, or None when the presser may not
# see them (or they are gone). Another flow adds its verb with `may_send` (the answers: "a").
Finder = Callable[[aiosqlite.Connection, Account, int], Awaitable[list[Evidence] | None]]
FINDERS: dict[str, Finder] = {}


def may_send(verb: str, finder: Finder) -> None:
    """Let `ev:<verb>:<id>` buttons send the files `finder` returns for the presser."""
    FINDERS[verb] = finder


async def _target_files(
    conn: aiosqlite.Connection, account: Account, target_id: int
) -> list[Evidence] | None:
    """Return the files of a target's current revisions, if the account may see the target."""
    target = await asking.visible_target(conn, account, target_id)
    return await evidence.current_files(conn, target.id) if target is not None else None


may_send("r", evidence.report_files)  # a report revision's (the review)
may_send("t", _target_files)  # a target's current revisions' (the details)


@requires("liaison")
async def send_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Send the files an `ev:` button names to whoever may see them; refuse anything else."""
    query = update.callback_query
    assert query is not None
    pressed = callbacks.evidence_press(query.data)
    finder = FINDERS.get(pressed[0]) if pressed is not None else None
    items = (
        await finder(context.services.db, account, pressed[1])
        if finder is not None and pressed is not None
        else None
    )
    if not items:
        await _refuse(update, context, account)
        return
    await answer_query(update, context.text(account.language, "evidence.sending", count=len(items)))
    await send_files(update, context, account, items)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return the buttons that send evidence (any `ev:` press lands here: forged ones too)."""
    return [CallbackQueryHandler(send_pressed, pattern=r"^ev:")]
