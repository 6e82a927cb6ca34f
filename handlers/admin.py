"""Admins' commands: /invite, /users, /revoke, and their buttons."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import limits
from bot.people import service as people
from bot.people.accounts import (
    ROLE_WORDS,
    Account,
    create_invite,
    find_users,
    liaisons_to_tell,
    load_account,
    match_target,
    names_user_exactly,
    revoke,
)
from bot.people.service import Named, User
from bot.people.text import user_line
from bot.query.aliases import add_alias
from bot.report import service as reporting
from bot.report.announcing import announce_deadline
from bot.report.periods import OpenPeriod, normalise_period, parse_day
from handlers import callbacks
from handlers.access import requires
from handlers.context import BotContext, Services
from handlers.menus import refresh_menu
from handlers.reply import answer_query, column, send, show_html

log = logging.getLogger(__name__)


def _when(context: BotContext, moment: datetime) -> str:
    return moment.astimezone(context.services.settings.timezone).strftime("%Y-%m-%d %H:%M")


@requires("admin", private=True)
async def invite(update: Update, context: BotContext, account: Account) -> None:
    """Answer a single-use invite link for a liaison of a unit, a leader, or an admin."""
    args = context.args or []
    role = ROLE_WORDS.get(args[0].lower()) if args else None
    name = " ".join(args[1:]).strip()
    if role is None or (role != "admin" and not name):
        await show_html(update, context.text(account.language, "admin.invite_usage"))
        return
    if role == "admin":
        await _send_invite(update, context, account, role, None)
        return
    match = await match_target(context.services.db, role, name)
    found = match.found
    if not found:
        await show_html(update, context.text(account.language, f"admin.no_{role}", name=name))
    elif match.exact:
        await _send_invite(update, context, account, role, found[0])
    elif len(found) == 1:
        # A loose name (an abbreviation, a part, a typo): say what it would be, and ask.
        what = _binding_words(context, account.language, role, found[0].name)
        await show_html(
            update,
            context.text(account.language, "admin.invite_confirm", name=name, binding=what),
            column(
                [
                    (
                        context.text(account.language, "admin.button.invite_yes", binding=what),
                        f"invite:{role}:{found[0].id}",
                    ),
                    (context.text(account.language, "admin.button.cancel"), "admin:cancel"),
                ]
            ),
        )
    else:
        await show_html(
            update,
            context.text(account.language, "admin.choose", name=name),
            column(
                [(item.name, f"invite:{role}:{item.id}") for item in found]
                + [(context.text(account.language, "admin.button.cancel"), "admin:cancel")]
            ),
        )


def _binding_words(context: BotContext, language: str, role: str, name: str | None) -> str:
    """Return a role and its binding in words: 联络员 · 市水务局."""
    role_text = context.text(language, f"role.{role}")
    if not name:
        return role_text
    return context.text(language, "role.with_binding", role=role_text, binding=name)


@requires("admin", private=True)
async def cancelled(update: Update, context: BotContext, account: Account) -> None:
    """Drop what the admin was asked to confirm: nothing was done."""
    await show_html(update, context.text(account.language, "admin.cancelled"))


@requires("admin", private=True)
async def invite_chosen(update: Update, context: BotContext, account: Account) -> None:
    """Make the invite for the unit or leader the admin chose from the buttons."""
    assert update.callback_query is not None
    pressed = callbacks.invite_choice(update.callback_query.data)
    db = context.services.db
    role = pressed[0] if pressed else ""
    items = await people.bindable(db, role)
    chosen = next((item for item in items if pressed and item.id == pressed[1]), None)
    if chosen is None:
        await answer_query(update, context.text(account.language, "admin.stale_button"))
        return
    await _send_invite(update, context, account, role, chosen)


async def _send_invite(
    update: Update, context: BotContext, account: Account, role: str, target: Named | None
) -> None:
    services = context.services
    code, expires = await create_invite(
        services.db,
        role=role,
        binding_id=target.id if target else None,
        actor=f"user:{account.telegram_id}",
        days=services.settings.invite_days,
    )
    link = f"https://t.me/{context.bot.username}?start={code}"
    binding = _binding_words(context, account.language, role, target.name if target else None)
    whom = context.text(
        account.language,
        f"admin.invite_whom_{role}",
        binding=target.name if target else "",
    )
    await show_html(
        update,
        context.text(
            account.language,
            "admin.invite_link",
            binding=binding,
            whom=whom,
            link=link,
            expires=_when(context, expires),
        ),
    )


def _describe_user(context: BotContext, language: str, user: User) -> str:
    seen = user.last_seen_at and _when(context, datetime.fromisoformat(user.last_seen_at))
    return user_line(partial(context.text, language), "admin.user_line", user, seen=seen)


@requires("admin", private=True)
async def list_users(update: Update, context: BotContext, account: Account) -> None:
    """List who is bound to what, when they were last seen, and whether they are reachable."""
    everyone = await people.everyone(context.services.db)
    lines = [context.text(account.language, "admin.users_title", count=len(everyone))]
    lines += [_describe_user(context, account.language, user) for user in everyone]
    await show_html(update, "\n".join(lines))  # split to Telegram's limit at line ends


@requires("admin", private=True)
async def revoke_command(update: Update, context: BotContext, account: Account) -> None:
    """Take a user's role away: `/revoke <telegram id | @username | name>`."""
    query = " ".join(context.args or []).strip()
    if not query:
        await show_html(update, context.text(account.language, "admin.revoke_usage"))
        return
    found = await find_users(context.services.db, query)
    lang = account.language
    if not found:
        await show_html(update, context.text(lang, "admin.no_user", name=query))
    elif len(found) == 1 and names_user_exactly(query, found[0]):
        await _revoke(update, context, account, found[0].telegram_id)
    elif len(found) == 1:
        await _ask_to_revoke(update, context, lang, query, found[0])
    else:
        await _choose_to_revoke(update, context, lang, query, found)


async def _ask_to_revoke(
    update: Update, context: BotContext, lang: str, query: str, user: User
) -> None:
    """Say whose access a name (loose or not) would take away, and ask."""
    key = "admin.revoke_ask" if user.name == query else "admin.revoke_confirm"
    text = context.text(lang, key, name=query, user=_describe_user(context, lang, user))
    yes = context.text(lang, "admin.button.revoke_yes", name=user.name or user.telegram_id)
    cancel = (context.text(lang, "admin.button.cancel"), "admin:cancel")
    await show_html(update, text, column([(yes, f"revoke:{user.telegram_id}"), cancel]))


async def _choose_to_revoke(
    update: Update, context: BotContext, lang: str, query: str, found: list[User]
) -> None:
    """Ask which of the users a name fits loses their access."""

    def label(user: User) -> str:
        binding = _binding_words(context, lang, user.role or "none", user.unit or user.leader)
        name = user.name or user.telegram_id
        return context.text(
            lang,
            "admin.button.revoke_pick",
            name=name,
            telegram_id=user.telegram_id,
            binding=binding,
        )

    cancel = (context.text(lang, "admin.button.cancel"), "admin:cancel")
    choices = [(label(user), f"revoke:{user.telegram_id}") for user in found]
    await show_html(
        update, context.text(lang, "admin.revoke_choose", name=query), column([*choices, cancel])
    )


@requires("admin", private=True)
async def revoke_chosen(update: Update, context: BotContext, account: Account) -> None:
    """Revoke the user the admin chose from the buttons."""
    assert update.callback_query is not None
    telegram_id = callbacks.revoke_choice(update.callback_query.data)
    if telegram_id is None:
        await answer_query(update, context.text(account.language, "admin.stale_button"))
        return
    await _revoke(update, context, account, telegram_id)


async def _revoke(update: Update, context: BotContext, account: Account, telegram_id: int) -> None:
    services = context.services
    user = await people.user(services.db, telegram_id)
    outcome = await revoke(
        services.db, services.settings, telegram_id, actor=f"user:{account.telegram_id}"
    )
    name = (user.name if user else "") or str(telegram_id)
    await show_html(update, context.text(account.language, f"admin.revoke_{outcome}", name=name))
    if outcome == "revoked":
        await refresh_menu(
            context.bot, await load_account(services.db, services.settings, telegram_id, None)
        )
        language = (user.language if user else None) or services.settings.default_language
        # They may have blocked the bot; the revocation stands either way.
        await send(context.bot, telegram_id, context.text(language, "admin.revoked_you"))


@requires("admin")
async def alias(update: Update, context: BotContext, account: Account) -> None:
    """`/alias 人社局 市人力资源社会保障局`: teach the bot another name of a unit."""
    args = context.args or []
    if len(args) < 2:
        await show_html(update, context.text(account.language, "admin.alias_usage"))
        return
    name, unit = args[0], " ".join(args[1:])
    lang = account.language
    match = await match_target(context.services.db, "liaison", unit)
    data = f"alias:{match.found[0].id}:{name}" if match.found else ""
    if (
        len(match.found) == 1
        and not match.exact
        and len(data.encode()) > limits.CALLBACK_DATA_LIMIT
    ):
        # Too long to confirm with a button: never add it unasked; ask for the full name.
        chosen = match.found[0].name
        text = context.text(lang, "admin.alias_full_name", alias=name, unit=unit, found=chosen)
        await show_html(update, text)
        return
    if len(match.found) == 1 and not match.exact:
        # A loose unit name: a wrong alias would mislead every later question. Ask.
        chosen = match.found[0].name
        await show_html(
            update,
            context.text(lang, "admin.alias_confirm", alias=name, unit=unit, found=chosen),
            column(
                [
                    (context.text(lang, "admin.button.alias_yes", alias=name, unit=chosen), data),
                    (context.text(lang, "admin.button.cancel"), "admin:cancel"),
                ]
            ),
        )
        return
    if len(match.found) == 1:
        unit = match.found[0].name  # the unit meant, by its full name
    found = await add_alias(context.services.db, name, unit, actor=f"user:{account.telegram_id}")
    if len(found) == 1:
        key, values = "admin.alias_added", {"alias": name, "unit": found[0].name}
    elif found:
        key, values = (
            "admin.alias_ambiguous",
            {
                "unit": unit,
                "choices": context.services.t.join((f.name for f in found), account.language),
            },
        )
    else:
        key, values = "admin.no_liaison", {"name": unit}
    await show_html(update, context.text(account.language, key, **values))


@requires("admin")
async def alias_chosen(update: Update, context: BotContext, account: Account) -> None:
    """Add the alias the admin confirmed for the unit offered."""
    assert update.callback_query is not None
    pressed = callbacks.alias_choice(update.callback_query.data)
    units = await people.bindable(context.services.db, "liaison")
    chosen = next((unit for unit in units if pressed and unit.id == pressed[0]), None)
    name = pressed[1] if pressed else ""
    if chosen is None or not name:
        await answer_query(update, context.text(account.language, "admin.stale_button"))
        return
    await add_alias(context.services.db, name, chosen.name, actor=f"user:{account.telegram_id}")
    await show_html(
        update, context.text(account.language, "admin.alias_added", alias=name, unit=chosen.name)
    )


@requires("admin", private=True)
async def period(update: Update, context: BotContext, account: Account) -> None:
    """Show or change the period open for reports: `/period [open P [D] | close P | deadline D]`."""
    lang = account.language
    args = context.args or []
    verb = args[0].lower() if args else "show"
    try:
        if verb == "close":
            await _ask_to_close(update, context, account, args[1:])
            return
        if verb in ("open", "deadline"):
            await _change_period(context, account, verb, args[1:])
        elif verb != "show":
            raise reporting.UpdateRefused("period.usage")
    except reporting.UpdateRefused as refusal:
        await show_html(update, context.text(lang, refusal.key, **refusal.values))
        return
    await show_html(update, await _period_now(context, lang))


async def _period_now(context: BotContext, lang: str) -> str:
    """Return the period open for reports now, in words."""
    services = context.services
    current = await reporting.window(
        services.db, services.today(), services.settings.report_deadline_days
    )
    if current is None:
        return context.text(lang, "query.no_plan")
    if current.open is None:
        return context.text(lang, "period.none_open")
    return _period_shown(context, lang, current.open)


async def _ask_to_close(
    update: Update, context: BotContext, account: Account, args: list[str]
) -> None:
    """Say what closing a period does and whom it tells, with buttons to confirm or cancel."""
    chosen = normalise_period(args[0]) if len(args) == 1 else None
    if chosen is None:
        raise reporting.UpdateRefused("period.usage")
    lang = account.language
    told = await liaisons_to_tell(context.services.db)
    whom = (
        context.text(
            lang,
            "period.tell_liaisons",
            count=len(told),
            units=len({u.unit_id for u in told}),
        )
        if told
        else context.text(lang, "period.tell_nobody")
    )
    await show_html(
        update,
        context.text(lang, "period.close_confirm", period=chosen, whom=whom),
        column(
            [
                (
                    context.text(lang, "period.button.close_yes", period=chosen),
                    f"period:close:{chosen}",
                ),
                (context.text(lang, "admin.button.cancel"), "admin:cancel"),
            ]
        ),
    )


@requires("admin", private=True)
async def close_confirmed(update: Update, context: BotContext, account: Account) -> None:
    """Close the period the admin confirmed, and tell the liaisons."""
    assert update.callback_query is not None
    chosen = normalise_period((update.callback_query.data or "").removeprefix("period:close:"))
    if chosen is None:
        await answer_query(update, context.text(account.language, "admin.stale_button"))
        return
    services = context.services
    if await reporting.period_state(services.db, chosen) == "closed":
        # A second tap (or a second admin): closed already, and the liaisons were told once.
        await show_html(
            update, context.text(account.language, "period.already_closed", period=chosen)
        )
        return
    try:
        await reporting.set_period(
            services.db, chosen, "closed", None, actor=f"user:{account.telegram_id}"
        )
    except reporting.UpdateRefused as refusal:
        await show_html(update, context.text(account.language, refusal.key, **refusal.values))
        return
    told = await liaisons_to_tell(services.db)
    lang = account.language
    # The admin's answer first: telling many liaisons takes a while at Telegram's rate.
    text = context.text(lang, "period.closed", period=chosen, count=len(told))
    await show_html(update, f"{text}\n{await _period_now(context, lang)}")
    for user in told:
        language = user.language or services.settings.default_language
        # Someone who blocked the bot is not told; the period is closed either way.
        text = context.text(language, "period.closed_notice", period=chosen)
        await send(context.bot, user.telegram_id, text)


def _period_shown(context: BotContext, lang: str, open_period: OpenPeriod) -> str:
    """Return the open period, its deadline (and whether it passed) and where it came from."""
    today = context.services.today()
    deadline = open_period.deadline
    if deadline is None:
        words = context.text(lang, "period.no_deadline")
    elif open_period.passed(today):
        words = context.text(lang, "period.deadline_passed", deadline=deadline.isoformat())
    else:
        words = deadline.isoformat()
    text = context.text(
        lang,
        "period.shown",
        period=open_period.period,
        deadline=words,
        how=context.text(
            lang,
            f"period.how_{open_period.how}",
            days=context.services.settings.report_deadline_days,
        ),
    )
    if open_period.passed(today):
        text += "\n" + context.text(lang, "period.passed_hint", period=open_period.period)
    return text


async def announce_job(context: BotContext) -> None:
    """The job: keep the open period's calendar deadline once the running bot has it open."""
    await announce_now(context.services)


async def announce_now(services: Services) -> None:
    """Record the open period's calendar deadline as announced (see bot/announcing)."""
    told = await announce_deadline(
        services.db, services.today(), services.settings.report_deadline_days
    )
    if told is not None:
        log.info("deadline of %s announced: %s", told.period, told.deadline)


def start_announcing(job_queue: Any) -> None:
    """Check every minute whether a period opened by the calendar (a stable job name)."""
    for job in job_queue.get_jobs_by_name("announce-deadline"):
        job.schedule_removal()
    job_queue.run_repeating(announce_job, interval=60, first=60, name="announce-deadline")


async def _change_period(context: BotContext, account: Account, verb: str, args: list[str]) -> None:
    """Open, close, or set the deadline of a period, as the admin asked."""
    services = context.services
    actor = f"user:{account.telegram_id}"
    if verb == "deadline":
        day = parse_day(args[0]) if len(args) == 1 else None
        current = await reporting.window(
            services.db, services.today(), services.settings.report_deadline_days
        )
        if day is None:
            raise reporting.UpdateRefused("period.usage")
        if current is None or current.open is None:
            raise reporting.UpdateRefused("period.none_open")
        await reporting.set_period(services.db, current.open.period, "open", day, actor=actor)
        return
    chosen = normalise_period(args[0]) if args else None
    day = parse_day(args[1]) if len(args) == 2 else None
    if chosen is None or len(args) > 2 or (len(args) == 2 and day is None):
        raise reporting.UpdateRefused("period.usage")
    if verb == "close" and len(args) != 1:
        raise reporting.UpdateRefused("period.usage")
    await reporting.set_period(
        services.db, chosen, verb if verb == "open" else "closed", day, actor=actor
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this feature's handlers, in the order they are tried."""
    return [
        CommandHandler("period", period),
        CommandHandler("alias", alias),
        CommandHandler("invite", invite),
        CommandHandler("users", list_users),
        CommandHandler("revoke", revoke_command),
        CallbackQueryHandler(invite_chosen, pattern=r"^invite:"),
        CallbackQueryHandler(revoke_chosen, pattern=r"^revoke:"),
        CallbackQueryHandler(close_confirmed, pattern=r"^period:close:"),
        CallbackQueryHandler(alias_chosen, pattern=r"^alias:\d+:"),
        CallbackQueryHandler(cancelled, pattern=r"^admin:cancel$"),
    ]
