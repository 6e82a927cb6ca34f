"""Telegram-facing code only: one module per feature, each exporting `handlers()`.

A function, not a list: a conversation keeps state, so each Application gets its own handlers.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler

from handlers import (
    account,
    admin,
    closing,
    evidence,
    extend,
    fallback,
    imports,
    instruct,
    query,
    report,
    review,
    settings,
    start,
    stats,
)
from handlers import export as export_handlers


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return every handler, made anew for each Application (conversations keep state).

    Registered in this order in one group: the first handler that matches an update wins. The
    conversations (an admin's review comment, a liaison's update) come before the questions, so
    text typed in the middle of a flow belongs to the flow; a document sent outside a flow is an
    import (an admin's) or refused; the catch-all fallback comes last.
    """
    return [
        *start.handlers(),
        *account.handlers(),
        *admin.handlers(),
        *settings.handlers(),
        *review.handlers(),
        *extend.handlers(),
        *closing.handlers(),  # its reopen reason is a conversation too: before /report's /cancel
        # 批示 before the update's flow: text typed while writing an instruction or answer
        # belongs to it, and its buttons work wherever the writer left off.
        *instruct.handlers(),
        *report.handlers(),
        *imports.handlers(),
        *export_handlers.handlers(),
        *stats.handlers(),
        *evidence.handlers(),  # 📎 buttons that send evidence (`ev:`)
        *query.handlers(),
        *fallback.handlers(),
    ]
