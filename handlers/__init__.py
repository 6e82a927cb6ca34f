"""Telegram-facing code only: one module per feature, each exporting its handlers in a list."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler

from handlers import account, admin, fallback, query, start

# Registered in this order in one group: the first handler that matches an update wins, so the
# catch-all fallback must come last.
HANDLERS: list[BaseHandler[Any, Any, Any]] = [
    *start.HANDLERS,
    *account.HANDLERS,
    *admin.HANDLERS,
    *query.HANDLERS,
    *fallback.HANDLERS,
]
