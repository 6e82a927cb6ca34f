"""`targetbot close N` (办结) and `targetbot close N --reopen --reason …`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bot import clock
from bot.cli.common import CliError, open_database
from bot.i18n import Translator
from bot.report import closing
from bot.settings import Settings

COMMANDS = ("close",)


def add_commands(command: Callable[[str], argparse.ArgumentParser], t: Translator) -> None:
    """Add `close` to the CLI's parser."""
    closing_ = command("close")
    closing_.add_argument("number", help=t("cli.help.close_number"))
    closing_.add_argument("--reopen", action="store_true", help=t("cli.help.close_reopen"))
    closing_.add_argument("--reason", default="", help=t("cli.help.close_reason"))


async def main(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Close a target (its lead units report it completed), or reopen it with a reason."""
    conn = await open_database(settings, t)
    try:
        target = await closing.find(conn, args.number)
        if target is None:
            raise CliError(t("close.no_number", number=args.number))
        if args.reopen:
            opened = await closing.reopen(
                conn, target.id, actor="cli", reason=args.reason, at=clock.stamp()
            )
            assert target.closed_on is not None
            print(
                t(
                    "close.reopened",
                    number=opened.shown_number,
                    closed=target.closed_on.isoformat(),
                    reason=args.reason.strip(),
                )
            )
            return 0
        if args.reason:
            raise CliError(t("close.reason_without_reopen"))
        closed = await closing.close(
            conn, target.id, actor="cli", today=clock.today(), at=clock.stamp()
        )
        assert closed.closed_on is not None
        print(t("close.done", number=closed.shown_number, date=closed.closed_on.isoformat()))
        return 0
    except closing.ClosingRefused as refused:
        raise CliError(t(refused.key, **refused.values)) from refused
    finally:
        await conn.close()
