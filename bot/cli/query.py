"""The CLI's question commands: `targetbot query "TEXT" [--json]` and `targetbot alias …`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import aiosqlite

from bot import clock
from bot.cli.common import CliError, actions, open_database
from bot.i18n import Translator
from bot.instructions import service as instructions
from bot.instructions.text import instruction_json
from bot.query import aliases
from bot.query.engine import Asker, QueryEngine
from bot.query.matching import match_names
from bot.query.text import answer_json, summary
from bot.report import evidence
from bot.settings import Settings
from storage import search, targets

COMMANDS = ("query", "alias")


def add_commands(command: Callable[[str], argparse.ArgumentParser], t: Translator) -> None:
    """Add `query` and `alias …` to the CLI's parser."""
    asking = command("query")
    asking.add_argument("text", help=t("cli.help.question"))
    asking.add_argument("--json", action="store_true", help=t("cli.help.json"))
    asking.add_argument("--unit", help=t("cli.help.only_unit"))

    action = actions(command("alias"), "alias", t)
    adding = action("add")
    adding.add_argument("alias", help=t("cli.help.alias"))
    adding.add_argument("unit", help=t("cli.help.unit"))
    action("list")
    removing = action("remove")
    removing.add_argument("alias", help=t("cli.help.alias"))


async def main(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Run `query` or an `alias` action."""
    conn = await open_database(settings, t)
    try:
        if args.command == "query":
            return await _query(conn, args, settings, t)
        action = {"add": _alias_add, "list": _alias_list, "remove": _alias_remove}[args.action]
        return await action(conn, args, t)
    finally:
        await conn.close()


async def _unit(conn: aiosqlite.Connection, name: str, t: Translator) -> targets.Named:
    found = match_names(name, await targets.list_units(conn))
    if len(found) == 1:
        return found[0]
    if not found:
        raise CliError(t("admin.no_liaison", name=name))
    raise CliError(t("cli.ambiguous", name=name, choices=t.join(f.name for f in found)))


async def _query(
    conn: aiosqlite.Connection, args: argparse.Namespace, settings: Settings, t: Translator
) -> int:
    unit = await _unit(conn, args.unit, t) if args.unit else None
    today = clock.today()
    engine = QueryEngine(settings.at_risk_margin)
    answer = await engine.ask(
        conn,
        args.text,
        today=today,
        only_unit=unit.id if unit else None,
        asker=Asker(unit=unit),  # "my" targets: the unit's, as its liaison sees them
    )
    if args.json:
        data = answer_json(answer, t)
        given = await instructions.of_targets(conn)
        results = data["results"]
        assert isinstance(results, list)
        for item, hit in zip(results, answer.hits, strict=True):
            item["evidence"] = await evidence.target_json(conn, hit.target.id)
            item["instructions"] = [
                instruction_json(i, today) for i in given.get(hit.target.id, [])
            ]
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if answer.plan is None:
        print(t("query.no_plan"))
        return 0
    print(summary(answer, t, None, page=None))  # every line: a terminal scrolls
    for ambiguity in answer.parsed.ambiguous:  # no buttons here: list the choices
        print("\n".join(f"  • {choice.name}" for choice in ambiguity.choices))
    return 0


async def _alias_add(conn: aiosqlite.Connection, args: argparse.Namespace, t: Translator) -> int:
    found = await aliases.add_alias(conn, args.alias, args.unit, actor="cli")
    if len(found) != 1:
        await _unit(conn, args.unit, t)  # raises the message for none or several
    print(t("cli.alias_added", alias=args.alias.strip(), unit=found[0].name))
    return 0


async def _alias_list(conn: aiosqlite.Connection, args: argparse.Namespace, t: Translator) -> int:
    for alias, unit in sorted((await search.aliases(conn)).items()):
        print(f"{alias}\t{unit.name}")
    return 0


async def _alias_remove(conn: aiosqlite.Connection, args: argparse.Namespace, t: Translator) -> int:
    if not await aliases.remove_alias(conn, args.alias, actor="cli"):
        raise CliError(t("cli.no_alias", alias=args.alias))
    print(t("cli.alias_removed", alias=args.alias))
    return 0
