"""`/stats [period] [leader|unit]`: a quarter's statistics in words, and its chart as a photo."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.i18n import Translator
from bot.people.accounts import Account
from bot.report import chart
from bot.report.stats import NoStats, asked_stats, chart_rows, describe, legend
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import notice, show


@requires("liaison")
async def stats(update: Update, context: BotContext, account: Account) -> None:
    """Answer with the statistics (a liaison's own unit's) and the chart of them."""
    services = context.services
    t = Translator(account.language)
    try:
        found = await asked_stats(
            services.db,
            services.engine,
            account,
            list(context.args or []),
            today=services.today(),
            zone=services.settings.timezone,
            deadline_days=services.settings.report_deadline_days,
        )
    except NoStats as refused:
        await notice(update, context.text(account.language, refused.key, **refused.values))
        return
    await show(update, describe(found, t), edit=False)
    rows, by = chart_rows(found)
    title = t("stats.title", plan=found.plan, period=found.period, by=t(f"stats.by_{by}"))
    png = await asyncio.to_thread(chart.render, rows, title=title, legend=legend(t))
    message = update.effective_message
    if message is not None:
        await message.reply_photo(
            png, caption=t("stats.caption", plan=found.plan, period=found.period)
        )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return the statistics command."""
    return [CommandHandler("stats", stats)]
