"""Show text in a chat: escaped, split to Telegram's limit, editing the pressed message.

A pressed button is answered here and only here (`answer_query`): once per callback query, as
Telegram takes one answer, and a failed answer never stops what the user asked for.
"""

from __future__ import annotations

import html
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot import limits
from bot.safe_text import harmless
from handlers.pacing import PUSH

log = logging.getLogger(__name__)
REMEMBERED = 4096  # answered query ids kept: far more than are pressed at once

Buttons = InlineKeyboardMarkup  # a message's inline keyboard, made only by `buttons`

_answered: OrderedDict[str, None] = OrderedDict()


def as_html(text: str) -> str:
    """Return plain text (a user's, a target's, the domain's sentences) as harmless HTML."""
    return html.escape(harmless(text))


def plain(text: str) -> str:
    """Return HTML text as plain text fit for a callback alert (at most 200 UTF-16 units)."""
    return limits.fit(html.unescape(re.sub(r"<[^>]+>", "", text)), limits.ALERT_LIMIT)


async def answer_query(update: Update, text: str | None = None, *, alert: bool = False) -> bool:
    """Answer the pressed button, once; return True if this call answered it.

    `text` is plain. When the button was answered already (Telegram takes one answer), the
    text goes to the chat as a message instead. A failed answer (a query too old, a network
    fault) is logged and the user's action goes on.
    """
    query = update.callback_query
    if query is None:
        return False
    if query.id in _answered:
        if text and update.effective_message is not None:
            await update.effective_message.reply_text(html.escape(text))
        return False
    _answered[query.id] = None
    while len(_answered) > REMEMBERED:
        _answered.popitem(last=False)
    try:
        await query.answer(plain(html.escape(text)) if text else None, show_alert=alert)
    except TelegramError as error:
        log.warning("could not answer button %s (%r): %s", query.id, query.data, error)
    return True


def split(text: str, limit: int = limits.MESSAGE_LIMIT) -> list[str]:
    """Return HTML text in pieces Telegram takes: each at most `limit` UTF-16 units once parsed.

    Cut at line ends where possible, never inside an entity, a tag or an emoji (bot/limits).
    """
    return limits.split(text, limit)


def pieces(text: str) -> list[str]:
    """Return HTML text in the messages it goes out as: split to Telegram's limit, none blank."""
    # A piece with nothing to see (only blank lines) would be refused as an empty message.
    return [piece for piece in split(text) if limits.visible(piece).strip()] or [text]


async def send_pieces(
    bot: Bot,
    chat_id: int,
    parts: list[str],
    markup: Buttons | None = None,
    *,
    first: int = 0,
    push: bool = False,
) -> AsyncIterator[int]:
    """Send `parts` from `first` on, the buttons on the last; yield how many went out so far.

    A `push` waits behind replies to people (handlers/pacing). Telegram's errors are the
    caller's: a push records how far it got and why it stopped.
    """
    # Only the Application's Bot (an ExtBot) has a rate limiter to tell.
    paced: dict[str, Any] = {"rate_limit_args": PUSH} if push and isinstance(bot, ExtBot) else {}
    for index in range(first, len(parts)):
        last = index == len(parts) - 1
        await bot.send_message(
            chat_id, parts[index], reply_markup=markup if last else None, **paced
        )
        yield index + 1


def buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Return an inline keyboard from rows of (label, callback data)."""
    for row in rows:
        for _, data in row:
            if len(data.encode()) > limits.CALLBACK_DATA_LIMIT:  # Telegram refuses the message
                raise ValueError(f"callback data over 64 bytes: {data[:80]!r}")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def column(items: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Return an inline keyboard of one button a row, from (label, callback data)."""
    return buttons([[item] for item in items])


async def notice(update: Update, text: str) -> None:
    """Tell something short (HTML): an alert on the pressed button, else a message."""
    if update.callback_query is not None:
        await answer_query(update, plain(text), alert=True)
    else:
        await show_html(update, text, edit=False)


async def send(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> bool:
    """Send HTML text to a chat of the bot's choosing; return False if Telegram refused it.

    For telling someone other than the user acting (a revocation, a closed period, a pause):
    they may have blocked the bot, and what was done stands either way.
    """
    try:
        await bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramError:
        return False
    return True


async def show(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = True,
) -> None:
    """Show plain text (escaped here): the pressed button's message edited, else new messages."""
    await show_html(update, as_html(text), markup, edit=edit)


async def show_html(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = True,
) -> None:
    """Show HTML text (escaped by the caller) as `show` does."""
    parts = pieces(text)
    query = update.callback_query
    if query is not None:
        await answer_query(update)
        if edit and len(parts) == 1 and query.message is not None:
            try:
                await query.edit_message_text(parts[0], reply_markup=markup)
                return
            except BadRequest as error:
                if "not modified" in str(error).lower():
                    return
                # The message cannot be edited (deleted, too old): say it in a new one.
                log.warning("could not edit message of button %s: %s", query.id, error)
    message = update.effective_message
    if message is None:
        return
    for index, piece in enumerate(parts):
        last = index == len(parts) - 1
        await message.reply_text(piece, reply_markup=markup if last else None)
