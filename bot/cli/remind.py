"""`targetbot remind --dry-run [--at TIME] [--json]` and `targetbot remind --send`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime

import aiosqlite

from bot import clock
from bot.cli.common import CliError, open_database
from bot.i18n import Translator
from bot.push import service as pushes
from bot.push.planner import may_push
from bot.query.engine import QueryEngine
from bot.settings import Settings
from storage import users

COMMANDS = ("remind",)


def add_commands(command: Callable[[str], argparse.ArgumentParser], t: Translator) -> None:
    """Add `remind` to the CLI's parser."""
    reminding = command("remind")
    mode = reminding.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help=t("cli.help.remind_dry_run"))
    mode.add_argument("--send", action="store_true", help=t("cli.help.remind_send"))
    reminding.add_argument("--at", metavar="TIME", help=t("cli.help.remind_at"))
    reminding.add_argument("--json", action="store_true", help=t("cli.help.json"))


def _moment(args: argparse.Namespace, settings: Settings, t: Translator) -> datetime:
    """Return the moment to look at, in local time: --at, else FAKE_TIME, else now."""
    if args.at is not None:
        if args.send:
            raise CliError(t("cli.remind_at_send"))
        for layout in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                return datetime.strptime(args.at.strip(), layout).replace(tzinfo=settings.timezone)
            except ValueError:
                continue
        raise CliError(t("cli.remind_bad_at", value=args.at))
    return clock.local_now()


async def main(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Show what would be pushed at a moment, or send what is due now."""
    now = _moment(args, settings, t)
    conn = await open_database(settings, t)
    engine = QueryEngine(settings.at_risk_margin)
    try:
        if args.send:
            return await _send(conn, settings, engine, now, t, as_json=args.json)
        due = await pushes.due_all(conn, settings, now, t)
        names = {u.telegram_id: u for u in await users.list_users(conn)}
        allowed = may_push(now, await pushes.schedule(conn, settings))
    finally:
        await conn.close()
    stamp = now.strftime("%Y-%m-%d %H:%M")
    if args.json:
        shown = [
            {
                "key": push.key,
                "kind": push.kind,
                "recipient": push.recipient,
                "name": names[push.recipient].name if push.recipient in names else "",
                "text": push.text,
                "buttons": push.buttons,
                "sent_before": seen,
            }
            for push, seen in due
        ]
        print(json.dumps({"at": stamp, "may_push": allowed, "pushes": shown}, ensure_ascii=False))
        return 0
    if not due:
        print(t("cli.remind_nothing" if allowed else "cli.remind_not_now", at=stamp))
        return 0
    print(t("cli.remind_title", at=stamp, count=len(due), sent=sum(seen for _, seen in due)))
    for push, seen in due:
        user = names.get(push.recipient)
        print(
            t(
                "cli.remind_line",
                kind=t(f"cli.push_kind.{push.kind}"),
                name=(user.name if user else "") or push.recipient,
                telegram_id=push.recipient,
                binding=(user.unit or user.leader or user.role or "") if user else "",
                sent=t("cli.remind_sent_before") if seen else "",
            )
        )
        print("    " + push.text.replace("\n", "\n    "))
    return 0


async def _send(
    conn: aiosqlite.Connection,
    settings: Settings,
    engine: QueryEngine,
    now: datetime,
    t: Translator,
    *,
    as_json: bool,
) -> int:
    """Send what is due now through the Bot API, as the running bot would."""
    from bot.app import build_bot, check_token, token_checked  # late: others need no Telegram
    from handlers.jobs import deliver

    await check_token(settings)
    bot = build_bot(settings)
    with token_checked(settings):
        async with bot:
            delivery = await deliver(bot, conn, settings, engine, now)
    counts = {
        "sent": len(delivery.sent),
        "blocked": len(delivery.blocked),
        "retrying": len(delivery.retrying),
        "failed": len(delivery.failed),
    }
    print(json.dumps(counts) if as_json else t("cli.remind_sent", **counts))
    return 0
