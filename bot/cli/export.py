"""`targetbot export --period 2023Q3 --format xlsx|csv|docx --out FILE [--leader L] [--unit U]`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bot.cli.common import CliError, open_database
from bot.i18n import Translator
from bot.plan import export
from bot.settings import Settings

COMMANDS = ("export",)


def add_commands(command: Callable[[str], argparse.ArgumentParser], t: Translator) -> None:
    """Add `export` to the CLI's parser."""
    exporting = command("export")
    exporting.add_argument("--period", required=True, help=t("export.cli.period"))
    exporting.add_argument(
        "--format", choices=export.FORMATS, default="xlsx", help=t("export.cli.format")
    )
    exporting.add_argument("--out", type=Path, required=True, help=t("export.cli.out"))
    exporting.add_argument("--leader", help=t("export.cli.leader"))
    exporting.add_argument("--unit", help=t("export.cli.unit"))
    exporting.add_argument("--light", choices=("🔴", "🟡", "🟢", "⚪"), help=t("export.cli.light"))


async def main(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Write the overview table of a period to a file."""
    conn = await open_database(settings, t)
    try:
        names: dict[str, str | None] = {"leader": None, "unit": None}
        for kind in names:
            text = getattr(args, kind)
            if text is not None:
                names[kind] = await export.find_name(conn, kind, text)
                if names[kind] is None:
                    raise CliError(t(f"export.error.no_{kind}", name=text))
        table = await export.overview(
            conn,
            args.period.strip().upper(),
            leader=names["leader"],
            unit=names["unit"],
            light=args.light,
            margin=settings.at_risk_margin / 100,
        )
    except export.ExportError as error:
        raise CliError(t(error.key, **error.values)) from error
    finally:
        await conn.close()
    data = export.render(table, args.format)
    try:
        args.out.write_bytes(data)
    except OSError as error:
        raise CliError(t("export.cli.cannot_write", file=args.out, error=error)) from error
    print(t("export.cli.written", file=args.out, rows=len(table.rows), title=table.title))
    return 0
