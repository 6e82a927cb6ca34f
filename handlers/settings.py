"""/settings: a leader mutes or resumes the weekly digest; admins set the push schedule."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.people.accounts import Account
from bot.push import service as pushes
from bot.settings import SettingsError
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import answer_query, buttons, show_html

CHAT_WORDING = {"settings.time_in_quiet_hours": "settings.push_time_in_quiet_hours"}


async def _overview(context: BotContext, account: Account) -> tuple[str, Any]:
    """Return the user's settings in words, with the digest button for leaders."""
    services = context.services
    lang = account.language
    text = context.text
    lines = [text(lang, "settings.title"), text(lang, "settings.reminders_always")]
    markup = None
    if account.role == "leader":
        muted = await pushes.digest_is_muted(services.db, account.telegram_id)
        lines.append(text(lang, "settings.digest_off" if muted else "settings.digest_on"))
        action = "on" if muted else "off"
        markup = buttons(
            [[(text(lang, f"settings.button.digest_{action}"), f"st:digest:{action}")]]
        )
    if account.role == "admin":
        current = await pushes.schedule(services.db, services.settings)
        quiet = (
            f"{current.quiet[0]:%H:%M}-{current.quiet[1]:%H:%M}"
            if current.quiet
            else text(lang, "settings.none")
        )
        lines.append(
            text(
                lang,
                "settings.schedule",
                remind=",".join(map(str, current.report_days)),
                due=",".join(map(str, current.due_days)),
                time=current.at.strftime("%H:%M"),
                quiet=quiet,
                digest=text(lang, "settings.weekdays").split()[current.digest_weekday - 1],
            )
        )
        lines.append(text(lang, "settings.admin_usage"))
    return "\n".join(lines), markup


@requires("liaison", private=True)
async def settings_command(update: Update, context: BotContext, account: Account) -> None:
    """Show the user's settings, or (admins) change the schedule: `/settings remind 7,3,1`."""
    args = context.args or []
    if args and account.role == "admin":
        try:
            field, value = pushes.schedule_value(args[0].lower(), " ".join(args[1:]))
            await pushes.change_schedule(
                context.services.db,
                context.services.settings,
                field,
                value,
                actor=f"user:{account.telegram_id}",
            )
        except SettingsError as error:
            # In chat, the schedule is said in words, never by the settings' names.
            key = CHAT_WORDING.get(error.key, error.key)
            await show_html(update, context.text(account.language, key, **error.values))
            return
    elif args:
        await show_html(update, context.text(account.language, "settings.not_admin"))
        return
    text, markup = await _overview(context, account)
    await show_html(update, text, markup)


@requires("leader", private=True)
async def digest_pressed(update: Update, context: BotContext, account: Account) -> None:
    """Mute or resume the weekly digest."""
    assert update.callback_query is not None
    wanted = (update.callback_query.data or "").rsplit(":", 1)[-1]
    if account.role != "leader" or wanted not in ("on", "off"):
        await answer_query(update, context.text(account.language, "settings.no_digest"))
        return
    await pushes.mute_digest(context.services.db, account.telegram_id, wanted == "off")
    text, markup = await _overview(context, account)
    await show_html(update, text, markup)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, in the order they are tried."""
    return [
        CommandHandler("settings", settings_command),
        CallbackQueryHandler(digest_pressed, pattern=r"^st:digest:(on|off)$"),
    ]
