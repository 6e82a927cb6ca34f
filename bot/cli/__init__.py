"""The command line: `targetbot` and its command groups."""

from bot.cli.commands import main

__all__ = ["main"]
