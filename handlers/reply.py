"""Show text in a chat: escaped, split to Telegram's limit, editing the pressed message."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

MESSAGE_LIMIT = 4096


def split(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Return text in pieces of at most `limit` characters, cut at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            cut = limit
            while cut > limit - 8 and "&" in line[cut - 8 : cut]:
                cut -= 1  # never cut an HTML entity such as &amp; in two
            pieces.append(line[:cut])
            line = line[cut:]
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not pieces:
        pieces.append(current)
    return pieces


def buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Return an inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def show(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = True,
) -> None:
    """Show plain text (escaped here): the pressed button's message edited, else new messages."""
    pieces = split(html.escape(text))
    query = update.callback_query
    if query is not None:
        await query.answer()
        if edit and len(pieces) == 1 and query.message is not None:
            try:
                await query.edit_message_text(pieces[0], reply_markup=markup)
            except BadRequest as error:
                if "not modified" not in str(error).lower():
                    raise
            return
    message = update.effective_message
    if message is None:
        return
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        await message.reply_text(piece, reply_markup=markup if last else None)
