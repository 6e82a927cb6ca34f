"""The CLI's people commands: `targetbot invite …` and `targetbot users add|list|revoke|import`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import aiosqlite
from telegram.error import TelegramError

from bot.cli.common import CliError, actions, open_database
from bot.i18n import Translator
from bot.people import accounts
from bot.people.text import user_line
from bot.plan.importer import describe_error
from bot.plan.tables import TableError
from bot.settings import Settings
from storage import users
from storage.db import transaction

COMMANDS = ("invite", "users")


def add_commands(command: Callable[[str], argparse.ArgumentParser], t: Translator) -> None:
    """Add `invite` and `users …` to the CLI's parser."""
    inviting = command("invite")
    inviting.add_argument("--role", required=True, choices=users.ROLES, help=t("cli.help.role"))
    bound = inviting.add_mutually_exclusive_group()
    bound.add_argument("--unit", help=t("cli.help.unit"))
    bound.add_argument("--leader", help=t("cli.help.leader"))
    inviting.add_argument("--days", type=int, help=t("cli.help.days"))

    action = actions(command("users"), "users", t)
    adding = action("add")
    adding.add_argument("--telegram-id", type=int, required=True, help=t("cli.help.telegram_id"))
    adding.add_argument("--role", required=True, choices=users.ROLES, help=t("cli.help.role"))
    bound = adding.add_mutually_exclusive_group()
    bound.add_argument("--unit", help=t("cli.help.unit"))
    bound.add_argument("--leader", help=t("cli.help.leader"))
    adding.add_argument("--name", help=t("cli.help.name"))
    listing = action("list")
    listing.add_argument("--json", action="store_true", help=t("cli.help.json"))
    revoking = action("revoke")
    revoking.add_argument("telegram_id", type=int, help=t("cli.help.telegram_id"))
    importing = action("import")
    importing.add_argument("file", type=Path, help=t("cli.help.roster"))


async def main(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Run one people command."""
    conn = await open_database(settings, t)
    try:
        await accounts.ensure_admins(conn, settings)
        if args.command == "invite":
            return await _invite(conn, args, settings, t)
        action = {"add": _add, "list": _list, "revoke": _revoke, "import": _import_roster}
        return await action[args.action](conn, args, settings, t)
    finally:
        await conn.close()


async def _binding(
    conn: aiosqlite.Connection, role: str, unit: str | None, leader: str | None, t: Translator
) -> int | None:
    """Resolve --unit or --leader for the role to one id, or fail saying what is wrong."""
    name = unit if role == "liaison" else leader if role == "leader" else None
    if role == "admin":
        if unit or leader:
            raise CliError(t("cli.admin_unbound"))
        return None
    if not name:
        raise CliError(t(f"cli.needs_{role}"))
    found = await accounts.candidates(conn, role, name)
    if len(found) == 1:
        return found[0].id
    if not found:
        raise CliError(t(f"admin.no_{role}", name=name))
    raise CliError(t("cli.ambiguous", name=name, choices=t.join(f.name for f in found)))


async def _bot_username(conn: aiosqlite.Connection, settings: Settings, t: Translator) -> str:
    """Return the bot's @username: configured, learnt when the bot last ran, or asked of the API."""
    known = settings.bot_username or await users.get_meta(conn, "bot_username")
    if known:
        return known
    if settings.bot_token is not None:
        from bot.app import build_bot  # late: the other commands need no Telegram

        bot = build_bot(settings)
        try:
            async with bot:
                me = await bot.get_me()
        except TelegramError:
            pass
        else:
            if me.username:
                async with transaction(conn):
                    await users.set_meta(conn, "bot_username", me.username)
                return me.username
    raise CliError(t("cli.no_username"))


async def _invite(
    conn: aiosqlite.Connection, args: argparse.Namespace, settings: Settings, t: Translator
) -> int:
    binding_id = await _binding(conn, args.role, args.unit, args.leader, t)
    username = await _bot_username(conn, settings, t)
    days = args.days or settings.invite_days
    if not 1 <= days <= 365:
        raise CliError(t("cli.bad_days", days=days))
    code, expires = await accounts.create_invite(
        conn, role=args.role, binding_id=binding_id, actor="cli", days=days
    )
    print(f"https://t.me/{username}?start={code}")
    print(
        t(
            "cli.invite_expires",
            expires=expires.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M %Z"),
        )
    )
    return 0


async def _add(
    conn: aiosqlite.Connection, args: argparse.Namespace, settings: Settings, t: Translator
) -> int:
    binding_id = await _binding(conn, args.role, args.unit, args.leader, t)
    await accounts.set_role(
        conn,
        telegram_id=args.telegram_id,
        role=args.role,
        binding_id=binding_id,
        actor="cli",
        name=args.name,
    )
    user = await users.get_user(conn, args.telegram_id)
    assert user is not None
    print(t("cli.user_added", line=_line(user, t)))
    return 0


def _line(user: users.User, t: Translator) -> str:
    return user_line(t, "cli.user_line", user, seen=user.last_seen_at)


async def _list(
    conn: aiosqlite.Connection, args: argparse.Namespace, settings: Settings, t: Translator
) -> int:
    everyone = await users.list_users(conn)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "telegram_id": u.telegram_id,
                        "name": u.name,
                        "username": u.username,
                        "role": u.role,
                        "unit": u.unit,
                        "leader": u.leader,
                        "language": u.language,
                        "active": u.active,
                        "last_seen": u.last_seen_at,
                    }
                    for u in everyone
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(t("admin.users_title", count=len(everyone)))
    for user in everyone:
        print(_line(user, t))
    return 0


async def _revoke(
    conn: aiosqlite.Connection, args: argparse.Namespace, settings: Settings, t: Translator
) -> int:
    outcome = await accounts.revoke(conn, settings, args.telegram_id, actor="cli")
    message = t(f"admin.revoke_{outcome}", name=str(args.telegram_id))
    if outcome != "revoked":
        raise CliError(message)
    print(message)
    return 0


async def _import_roster(
    conn: aiosqlite.Connection, args: argparse.Namespace, settings: Settings, t: Translator
) -> int:
    try:
        count = await accounts.import_roster(conn, args.file, actor="cli")
    except TableError as error:
        choices = error.values.get("choices")
        if isinstance(choices, tuple):
            error.values["choices"] = t.join(choices)
        raise CliError(describe_error(error, t)) from error
    print(t("cli.roster_imported", count=count, file=args.file.name))
    return 0
