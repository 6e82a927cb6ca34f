"""The CLI's statistics: `targetbot stats [--period 2023Q3] [--json] [--chart FILE.png]`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from bot import clock
from bot.cli.common import EXIT_BAD_INPUT, CliError, open_database
from bot.i18n import Translator
from bot.query.engine import QueryEngine
from bot.report import chart
from bot.report.stats import NoStats, chart_rows, describe, legend, period_stats
from bot.settings import Settings

COMMANDS = ("stats",)


def add_commands(command: Callable[[str], argparse.ArgumentParser], t: Translator) -> None:
    """Add `stats` to the CLI's parser."""
    stats = command("stats")
    stats.add_argument("--period", help=t("cli.help.stats_period"))
    stats.add_argument("--json", action="store_true", help=t("cli.help.json"))
    stats.add_argument("--chart", type=Path, metavar="FILE.png", help=t("cli.help.stats_chart"))


async def main(args: argparse.Namespace, settings: Settings, t: Translator) -> int:
    """Print a period's statistics, in words or as JSON, and save the chart if asked."""
    conn = await open_database(settings, t)
    try:
        found = await period_stats(
            conn,
            QueryEngine(settings.at_risk_margin),
            today=clock.today(),
            zone=settings.timezone,
            period=args.period.strip().upper() if args.period else None,
            deadline_days=settings.report_deadline_days,
        )
    except NoStats as refused:
        raise CliError(t(refused.key, **refused.values), EXIT_BAD_INPUT) from None
    finally:
        await conn.close()
    if args.chart is not None:
        rows, by = chart_rows(found)
        title = t("stats.title", plan=found.plan, period=found.period, by=t(f"stats.by_{by}"))
        args.chart.write_bytes(chart.render(rows, title=title, legend=legend(t)))
    if args.json:
        print(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
    else:
        print(describe(found, t))
    return 0
