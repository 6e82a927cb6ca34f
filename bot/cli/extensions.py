"""`targetbot extensions list [--all] [--json]`, `approve ID`, `refuse ID --comment …`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from bot import clock
from bot.cli.common import CliError, actions, open_database
from bot.extensions import service
from bot.i18n import Translator
from bot.settings import Settings
from storage.extensions import Request

COMMANDS = ("extensions",)


def add_commands(command: Callable[[str], argparse.ArgumentParser], t: Translator) -> None:
    """Add `extensions list|approve|refuse` to the CLI's parser."""
    action = actions(command("extensions"), "extensions", t)
    listing = action("list")
    listing.add_argument("--all", action="store_true", help=t("cli.help.extensions_all"))
    listing.add_argument("--json", action="store_true", help=t("cli.help.json"))
    approving = action("approve")
    approving.add_argument("id", type=int, help=t("cli.help.extensions_id"))
    approving.add_argument("--comment", help=t("cli.help.extensions_comment"))
    refusing = action("refuse")
    refusing.add_argument("id", type=int, help=t("cli.help.extensions_id"))
    refusing.add_argument("--comment", required=True, help=t("cli.help.extensions_comment"))


def request_json(request: Request) -> dict[str, object]:
    """Return a request in the `extensions list --json` shape."""
    return {
        "id": request.id,
        "target": request.target_number,
        "label": request.target_label,
        "unit": request.unit,
        "asked_by": request.asked_by,
        "asked_at": request.asked_at,
        "due_date": request.original_due.isoformat() if request.original_due else None,
        "new_due_date": request.new_due.isoformat(),
        "reason": request.reason,
        "progress": request.progress,
        "state": request.state,
        "decided_by": request.decided_by,
        "decided_at": request.decided_at,
        "comment": request.comment,
    }


def request_line(request: Request, t: Translator) -> str:
    """Return one request as a line of `extensions list`."""
    line = t(
        "extension.cli.line",
        id=request.id,
        number=request.shown_number,
        unit=request.unit or "—",
        due=request.original_due.isoformat() if request.original_due else "—",
        new=request.new_due.isoformat(),
        state=t(f"extension.state.{request.state}"),
        reason=request.reason,
        progress=request.progress,
    )
    if request.comment:
        line += t("extension.cli.comment", comment=request.comment)
    return line


async def main(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Run one `extensions` action."""
    conn = await open_database(settings, t)
    try:
        if args.action == "list":
            found = await (service.all_requests(conn) if args.all else service.open_requests(conn))
            if args.json:
                print(json.dumps([request_json(r) for r in found], ensure_ascii=False, indent=2))
            elif not found:
                print(t("extension.cli.none_open" if not args.all else "extension.cli.none"))
            else:
                print("\n".join(request_line(r, t) for r in found))
            return 0
        try:
            decided = await service.decide(
                conn,
                args.id,
                approve=args.action == "approve",
                actor="cli",
                comment=args.comment,
                at=clock.stamp(),
            )
        except service.ExtensionError as error:
            raise CliError(t(error.key, **error.values)) from error
        # The asker is told by the running bot at its next minute's check.
        await service.tell_asker(conn, settings, t, decided, clock.stamp(), now=False)
    finally:
        await conn.close()
    print(t(f"extension.cli.{decided.state}", line=request_line(decided, t)))
    return 0
