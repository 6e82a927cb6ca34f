"""The `targetbot` command line: parse arguments, call the domain, print in the user's language."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType

from bot import clock
from bot.cli import accounts as cli_accounts
from bot.cli import backup as cli_backup
from bot.cli import closing as cli_closing
from bot.cli import export as cli_export
from bot.cli import extensions as cli_extensions
from bot.cli import instructions as cli_instructions
from bot.cli import playground as cli_playground
from bot.cli import query as cli_query
from bot.cli import remind as cli_remind
from bot.cli import stats as cli_stats
from bot.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_BAD_SETTINGS,
    CliError,
    corrupt_message,
    open_database,
)
from bot.i18n import LANGUAGES, Translator
from bot.instructions import service as instructions
from bot.instructions.text import instruction_json
from bot.plan.columns import parse_columns_option
from bot.plan.importer import describe_error, describe_summary, import_file, load_demo_if_empty
from bot.plan.preview import preview_file
from bot.plan.preview import render as render_preview
from bot.plan.tables import TableError
from bot.query.engine import QueryEngine
from bot.query.text import light_json
from bot.report import evidence
from bot.settings import Settings, SettingsError, load_environment
from storage import targets
from storage.db import DatabaseInUse, check_integrity, is_corrupt, lock_for_running


def build_parser(t: Translator) -> argparse.ArgumentParser:
    """Return the parser of every targetbot command, its help in the CLI's language."""
    parser = argparse.ArgumentParser(prog="targetbot", description=t("cli.help.description"))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, db_help: str = "cli.help.db") -> argparse.ArgumentParser:
        text = t(f"cli.help.{name}")
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--db", type=Path, help=t(db_help))
        return sub

    running = command("run")
    running.add_argument("--webhook", metavar="URL", help=t("cli.help.webhook"))
    running.add_argument("--listen", default="127.0.0.1", help=t("cli.help.listen"))
    running.add_argument("--port", type=int, default=8443, help=t("cli.help.port"))
    running.add_argument(
        "--playground-if-no-token", action="store_true", help=t("cli.help.playground_if_no_token")
    )
    importing = command("import")
    importing.add_argument("file", type=Path, help=t("cli.help.file"))
    importing.add_argument("--dry-run", action="store_true", help=t("cli.help.dry_run"))
    importing.add_argument("--plan", help=t("cli.help.plan"))
    importing.add_argument("--period", help=t("cli.help.period"))
    importing.add_argument("--columns", metavar="ROLE=HEADER,…", help=t("cli.help.columns"))
    listing = command("targets")
    listing.add_argument("--json", action="store_true", help=t("cli.help.json"))
    for module in (*_FEATURES[:4], cli_playground, *_FEATURES[4:]):  # the order help lists
        module.add_commands(command, t)
    return parser


# The feature modules of the CLI: each has COMMANDS, add_commands(command, t) and an async
# main(args, settings, t) returning the exit code.
_FEATURES: tuple[ModuleType, ...] = (
    cli_accounts,
    cli_query,
    cli_remind,
    cli_stats,
    cli_export,
    cli_backup,
    cli_closing,
    cli_extensions,
    cli_instructions,
)


def _translator(environ: Mapping[str, str]) -> Translator:
    """Return a translator for messages about settings, which may themselves be broken."""
    language = environ.get("DEFAULT_LANGUAGE", "").strip()
    return Translator(language if language in LANGUAGES else "zh")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    environment = load_environment()
    t = _translator(environment)
    args = build_parser(t).parse_args(argv)
    try:
        settings = Settings.from_mapping(environment)
        clock.use(settings)
        t = Translator(settings.default_language)
        if args.db is not None:
            settings = replace(settings, database_path=args.db)
        if args.command == "run":
            if args.playground_if_no_token and settings.bot_token is None:
                print(t("cli.no_token_playground"), flush=True)
                return cli_playground.main(settings, t)  # never the --db of run
            return _run(args, settings, t)
        if args.command in cli_playground.COMMANDS:
            return cli_playground.from_args(args, settings, t)
        for module in _FEATURES:
            if args.command in module.COMMANDS:
                return int(asyncio.run(module.main(args, settings, t)))
        handler = {"import": _import, "targets": _targets}[args.command]
        return asyncio.run(handler(args, settings, t))
    except SettingsError as error:
        print(t(error.key, **error.values), file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except CliError as error:
        print(error, file=sys.stderr)
        return error.code
    except sqlite3.DatabaseError as error:  # a damaged page, found by whichever command read it
        if not is_corrupt(error):
            raise
        print(corrupt_message(settings, t), file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `targetbot targets | head`: the reader left; not our error
        sys.stderr.close()
        return 0


async def _prepare_database(settings: Settings, t: Translator) -> None:
    """Create and migrate the database, loading the demo table into an empty one if asked."""
    conn = await open_database(settings, t)
    try:
        await check_integrity(conn)  # a damaged page is found now, not by the first question
        if settings.load_demo_data:
            summary = await load_demo_if_empty(conn)
            if summary is not None:
                print(t("cli.demo_loaded", file=summary.file, count=len(summary.added)))
    finally:
        await conn.close()


def _run(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    # One bot per database: a second one would answer every message twice. The lock is held
    # until this process ends (also by kill -9).
    try:
        lock = lock_for_running(settings.database_path)
    except DatabaseInUse as busy:
        message = t("cli.already_running", path=settings.database_path, pid=busy.pid or "?")
        raise CliError(message, EXIT_BAD_SETTINGS) from None
    except OSError as error:
        message = t("cli.db_error", path=settings.database_path, error=error)
        raise CliError(message, EXIT_BAD_SETTINGS) from None
    try:
        # The database first, so that a missing token is the only thing left to fix.
        asyncio.run(_prepare_database(settings, t))
        settings.require_token()
        from bot.app import run_bot  # imported late: the CLI's other commands need no Telegram

        print(t("cli.starting", path=settings.database_path), flush=True)
        run_bot(settings, webhook_url=args.webhook, listen=args.listen, port=args.port)
    finally:
        if lock is not None:
            lock.close()
    return 0


async def _import(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    try:
        columns = parse_columns_option(args.columns, args.file.name) if args.columns else None
    except TableError as error:  # before the database: a bad mapping is refused at once
        raise CliError(describe_error(error, t), EXIT_BAD_INPUT) from error
    conn = await open_database(settings, t)
    try:
        if args.dry_run:  # the preview the chat shows too: mapping, counts, the first rows
            found = await preview_file(
                conn, args.file, plan_title=args.plan, period=args.period, columns=columns
            )
            print(render_preview(found, t))
            return 0
        summary = await import_file(
            conn,
            args.file,
            actor="cli",
            plan_title=args.plan,
            period=args.period,
            columns=columns,
        )
    except TableError as error:
        raise CliError(describe_error(error, t), EXIT_BAD_INPUT) from error
    finally:
        await conn.close()
    print("\n".join(describe_summary(summary, t)))
    return 0


async def _targets(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    conn = await open_database(settings, t)
    try:
        plan = await targets.current_plan(conn)
        listed = await targets.list_targets(conn, plan.id) if plan else []
        given = await instructions.of_targets(conn) if args.json else {}
    finally:
        await conn.close()
    if args.json:
        engine = QueryEngine(settings.at_risk_margin)
        conn = await open_database(settings, t)
        try:
            await engine.refresh(conn)
        finally:
            await conn.close()
        today = clock.today()
        data = []
        conn = await open_database(settings, t)
        try:
            for target in listed:
                item = target_json(target)
                hit = engine.index.light_of(target.number, today=today) if engine.index else None
                item.update(light_json(hit, t))
                item["evidence"] = await evidence.target_json(conn, target.id)
                item["instructions"] = [
                    instruction_json(i, today) for i in given.get(target.id, [])
                ]
                data.append(item)
        finally:
            await conn.close()
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if plan is None or not listed:
        print(t("cli.targets_empty"))
        return 0
    print(t("cli.targets_plan", plan=plan.title, count=len(listed)))
    for target in listed:
        parts = "; ".join(
            t("cli.assignment_part", leader=a.leader, units=t.join(a.units))
            for a in target.assignments
        )
        print(
            t(
                "cli.target_line",
                number=target.shown_number,
                content=target.content,
                assignments=parts,
                deadline=target.deadline,
            )
        )
    return 0


def target_json(target: targets.Target) -> dict[str, object]:
    """Return a target in the `targets --json` shape."""
    return {
        "number": target.number,
        "content": target.content,
        "deadline": target.deadline,
        "due_date": target.due_date.isoformat() if target.due_date else None,
        "assignments": [
            {
                "leader": a.leader,
                "units": list(a.units),
                "period": a.latest_report.period if a.latest_report else None,
                "status": a.latest_report.status if a.latest_report else None,
                "progress": a.latest_report.progress if a.latest_report else None,
                "assisting": list(a.assisting),
            }
            for a in target.assignments
        ],
        "label": target.label,
        "category": target.category,
        "extra": [list(pair) for pair in target.extra],
        "closed": target.closed_on.isoformat() if target.closed_on else None,
    }
