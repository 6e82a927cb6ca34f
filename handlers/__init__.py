"""Telegram-facing code only: one module per feature, each exporting its handlers in a list."""

from __future__ import annotations

from telegram.ext import BaseHandler

from handlers import start

# Order matters only between handlers that could match the same update; none do yet.
HANDLERS: list[BaseHandler] = [*start.HANDLERS]  # type: ignore[type-arg]
