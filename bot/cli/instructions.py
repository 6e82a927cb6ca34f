"""`targetbot instructions list [--open] [--json]`: leaders' instructions (批示) and answers."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from bot import clock
from bot.cli.common import actions, open_database
from bot.i18n import Translator
from bot.instructions import service
from bot.instructions.text import instruction_json, state_word, units_text
from bot.query.text import local_time
from bot.settings import Settings

COMMANDS = ("instructions",)


def add_commands(command: Callable[[str], argparse.ArgumentParser], t: Translator) -> None:
    """Add `instructions list` to the CLI's parser."""
    action = actions(command("instructions"), "instructions", t)
    listing = action("list")
    listing.add_argument("--open", action="store_true", help=t("cli.help.instructions_open"))
    listing.add_argument("--json", action="store_true", help=t("cli.help.json"))


def instruction_lines(
    instruction: service.Instruction, t: Translator, settings: Settings
) -> list[str]:
    """Return one instruction as `instructions list` prints it: a line, then its answers."""
    today = clock.today()
    lines = [
        t(
            "instruction.cli.line",
            id=instruction.id,
            number=instruction.shown_number,
            author=instruction.author_name,
            on=instruction.written_on.isoformat(),
            units=units_text(t, None, instruction),
            state=state_word(t, None, instruction, today),
            text=instruction.text,
        )
    ]
    lines += [
        t(
            "instruction.cli.answer",
            at=local_time(a.answered_at, settings.timezone),
            unit=a.unit,
            name=a.answerer_name,
            text=a.text,
        )
        for a in instruction.answers
    ]
    return lines


async def main(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Run `instructions list`."""
    conn = await open_database(settings, t)
    try:
        found = await service.all_instructions(conn, only_open=args.open)
    finally:
        await conn.close()
    if args.json:
        today = clock.today()
        print(json.dumps([instruction_json(i, today) for i in found], ensure_ascii=False, indent=2))
    elif not found:
        print(t("instruction.cli.none_open" if args.open else "instruction.cli.none"))
    else:
        print("\n".join(line for i in found for line in instruction_lines(i, t, settings)))
    return 0
