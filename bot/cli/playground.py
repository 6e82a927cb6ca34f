"""The CLI's `targetbot playground`: the real bot in a browser chat, on the demo data."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bot.cli.common import EXIT_BAD_INPUT, EXIT_BAD_SETTINGS, CliError
from bot.i18n import Translator
from bot.settings import Settings
from storage.db import DatabaseInUse, lock_for_running

COMMANDS = ("playground",)
DEFAULT_DATABASE = Path("data/playground.db")  # never DATABASE_PATH: production data stays


def add_commands(command: Callable[..., argparse.ArgumentParser], t: Translator) -> None:
    """Add `playground` to the CLI's parser."""
    playing = command("playground", db_help="cli.help.playground_db")
    playing.add_argument("--port", type=int, default=8080, help=t("cli.help.playground_port"))
    playing.add_argument("--host", default="127.0.0.1", help=t("cli.help.playground_host"))
    playing.add_argument("--public", action="store_true", help=t("cli.help.public"))


def is_loopback(host: str) -> bool:
    """Tell whether an address to listen on is this machine's alone."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(
    settings: Settings,
    t: Translator,
    *,
    database: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    public: bool = False,
) -> int:
    """Run the playground until stopped; print its address once it is up."""
    if not is_loopback(host) and not public:
        raise CliError(t("cli.playground_public", host=host), EXIT_BAD_INPUT)
    settings = replace(settings, database_path=database or DEFAULT_DATABASE)
    try:
        lock = lock_for_running(settings.database_path)
    except DatabaseInUse as busy:
        message = t("cli.playground_running", path=settings.database_path, pid=busy.pid or "?")
        raise CliError(message, EXIT_BAD_SETTINGS) from None
    except OSError as error:
        message = t("cli.db_error", path=settings.database_path, error=error)
        raise CliError(message, EXIT_BAD_SETTINGS) from None
    from bot.playground.server import serve  # late: the other commands need no web server

    def ready(url: str) -> None:
        print(t("cli.playground_ready", url=url), flush=True)
        if public:
            print(t("cli.playground_no_login", url=url), file=sys.stderr, flush=True)

    try:
        serve(settings, host=host, port=port, public=public, ready=ready)
    except OSError as error:
        message = t("cli.playground_port_busy", host=host, port=port, error=error.strerror)
        raise CliError(message, EXIT_BAD_SETTINGS) from None
    finally:
        if lock is not None:
            lock.close()
    return 0


def from_args(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Run `targetbot playground` with its arguments."""
    return main(settings, t, database=args.db, host=args.host, port=args.port, public=args.public)
