"""Command menus per role and language, and the bot's description (what one sees before Start).

Each user gets the menu of their role in their language (a chat-scoped menu), refreshed when
the role or language changes in chat. Roles changed from the command line (`users add`,
`users revoke`, a roster) take effect in the menus at the bot's next start, when every user
who ever held a role gets their menu again. Everyone else sees the default menu, in their
Telegram app's language. A failed call is logged and never stops the bot.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, Translator
from bot.people import service as people
from bot.people.accounts import Account, load_account
from bot.settings import Settings

log = logging.getLogger(__name__)

_STRANGER = ("start", "help", "whoami")
_ASK = ("q", "settings", "whoami", "lang", "help")
MENUS: dict[str | None, tuple[str, ...]] = {
    None: _STRANGER,
    "liaison": ("report", "mine", "cancel", "extend", *_ASK),
    "leader": ("q", "instruct", "stats", "export", *_ASK[1:]),
    "admin": (
        "q",
        "invite",
        "users",
        "revoke",
        "period",
        "review",
        "settings",
        "whoami",
        "lang",
        "help",
        "stats",
        "import",  # last: the menus' first items stay where admins know them
        "export",
        "extensions",
        "instruct",
    ),
}


def commands(t: Translator, role: str | None, language: str | None) -> list[BotCommand]:
    """Return the menu of a role in a language."""
    return [BotCommand(name, t(f"menu.{name}", language)) for name in MENUS[role]]


async def refresh_menu(bot: Bot, account: Account) -> None:
    """Give a user the menu of their role in their language (logged, never raised, on failure)."""
    t = Translator(account.language)
    try:
        await bot.set_my_commands(
            commands(t, account.role, account.language),
            scope=BotCommandScopeChat(account.telegram_id),
        )
    except TelegramError as error:
        log.warning("menu of %s not set: %s", account.telegram_id, error)


async def set_up_menus(bot: Bot, conn: Any, settings: Settings) -> None:
    """At start-up: the default menu and the description in each language, then every menu."""
    t = Translator(settings.default_language)
    try:
        for language in (*LANGUAGES, None):
            await bot.set_my_commands(commands(t, None, language), language_code=language)
            await bot.set_my_description(t("bot.description", language), language_code=language)
            await bot.set_my_short_description(
                t("bot.short_description", language), language_code=language
            )
    except TelegramError as error:
        log.warning("default menu or description not set: %s", error)
    ids = await people.menu_holders(conn)
    for telegram_id in sorted(ids | settings.admin_ids):
        await refresh_menu(bot, await load_account(conn, settings, telegram_id, None))
