"""What every CLI command shares: exit codes, the user-fixable error, opening the database."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import aiosqlite

from bot.i18n import Translator
from bot.settings import Settings
from storage.db import connect, is_corrupt
from storage.migrations import SchemaTooNew

EXIT_BAD_INPUT = 1
EXIT_BAD_SETTINGS = 2


class CliError(Exception):
    """A command failed in a way the user can fix; the message is already in their language."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


async def open_database(settings: Settings, t: Translator) -> aiosqlite.Connection:
    """Open the configured database, or fail with one line saying why."""
    try:
        return await connect(settings.database_path)
    except SchemaTooNew as error:
        message = t("cli.db_too_new", path=settings.database_path, **error.values)
        raise CliError(message, EXIT_BAD_SETTINGS) from error
    except (OSError, aiosqlite.Error) as error:
        if is_corrupt(error):
            raise CliError(corrupt_message(settings, t), EXIT_BAD_SETTINGS) from error
        message = t("cli.db_error", path=settings.database_path, error=error)
        raise CliError(message, EXIT_BAD_SETTINGS) from error


def corrupt_message(settings: Settings, t: Translator) -> str:
    """Return the one line saying the database file is damaged and what to do."""
    return t("cli.db_corrupt", path=settings.database_path)


def actions(
    command: argparse.ArgumentParser, name: str, t: Translator
) -> Callable[[str], argparse.ArgumentParser]:
    """Return a maker of `targetbot NAME ACTION` sub-commands, each taking `--db` too."""
    sub = command.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(verb: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(verb, help=t(f"cli.help.{name}_{verb}"))
        # --db also after the action; SUPPRESS keeps a --db given before it.
        parser.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=t("cli.help.db"))
        return parser

    return action
