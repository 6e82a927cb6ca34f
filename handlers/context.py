"""The typed context every handler gets: settings, the database and the translator."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import aiosqlite
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot import clock
from bot.i18n import Translator
from bot.people.visits import Visits
from bot.plan.pending import PendingImports
from bot.push.service import Minute
from bot.query.engine import PATIENCE, QueryEngine
from bot.safe_text import harmless
from bot.settings import Settings


class Services:
    """Shared services: configured when the Application is built, the database opened in
    post_init and closed in post_shutdown."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._db: aiosqlite.Connection | None = None
        self.engine = QueryEngine()
        self.admin_alerted_at: float = 0.0  # monotonic time of the last error told to admins
        self.pending_imports = PendingImports()  # files sent by admins, awaiting confirmation
        self.visits = Visits()  # last-seen times not yet stored (bot/people/visits.py)
        self.minute = Minute()  # what the minute's push check planned, kept between checks

    def configure(self, settings: Settings) -> None:
        """Set the settings the services work with, and the clock (FAKE_TIME sets its start)."""
        self._settings = settings
        self.engine = QueryEngine(settings.at_risk_margin, patience=PATIENCE)
        clock.use(settings)

    @property
    def settings(self) -> Settings:
        """Return the settings."""
        assert self._settings is not None, "Services.configure() was not called"
        return self._settings

    @property
    def db(self) -> aiosqlite.Connection:
        """Return the open database connection."""
        assert self._db is not None, "the database is opened in post_init"
        return self._db

    @db.setter
    def db(self, conn: aiosqlite.Connection | None) -> None:
        self._db = conn

    async def close(self) -> None:
        """Store the visits noted, close the database connection, if open, and delete the files
        of pending imports."""
        self.pending_imports.clear()
        await self.minute.close()
        if self._db is not None:
            try:
                await self.visits.store(self._db)
            finally:
                await self._db.close()
                self._db = None

    @property
    def clock(self) -> Callable[[], datetime]:
        """Return the bot's clock (the process's one clock, see bot/clock.py)."""
        return clock.now

    @clock.setter
    def clock(self, source: Callable[[], datetime]) -> None:
        clock.set(source)

    def now(self) -> datetime:
        """Return the time now in the configured time zone."""
        return clock.now().astimezone(self.settings.timezone)

    def today(self) -> date:
        """Return today's date in the configured time zone."""
        return self.now().date()

    @property
    def t(self) -> Translator:
        """Return the translator with the configured default language."""
        return Translator(self.settings.default_language)


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], Services]):
    """CallbackContext with typed access to the shared services."""

    @property
    def services(self) -> Services:
        """Return the shared services."""
        return self.bot_data

    def text(self, language: str | None, key: str, /, **values: object) -> str:
        """Return a message (HTML) in `language`, every value made harmless and escaped.

        A value that is itself a message (Html) is put in as it is: escaping it again would
        show `&lt;` for `<`. The result is an Html (typed as str, which it is).
        """
        escaped = {k: _escaped(v) for k, v in values.items()}
        return Html(self.services.t(key, language, **escaped))


class Html(str):
    """Text that is HTML already: a message from `BotContext.text`."""

    __slots__ = ()


def _escaped(value: object) -> object:
    """Return a message's value ready for HTML: plain text escaped, HTML as it is."""
    if isinstance(value, Html) or not isinstance(value, str):
        return value
    return html.escape(harmless(value))


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=Services)

BotApplication = Application[ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], Services, Any]
