"""`/export [period] [leader|unit] [light] [xlsx|csv|docx]`: the 一览表 as a document.

Leaders and admins export any leader's or unit's table (a leader gets their own targets when
they name no one); a liaison gets their own unit's only. The file is named after the plan and
the period, in the layout the plan came in (bot/plan/export).
"""

from __future__ import annotations

from typing import Any

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot import clock
from bot.people.accounts import Account
from bot.plan import export
from handlers.access import requires
from handlers.context import BotContext
from handlers.reply import show_html


@requires("liaison")
async def export_command(update: Update, context: BotContext, account: Account) -> None:
    """Send the overview table asked for, or say why not."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    language = account.language
    try:
        asked = await export.chat_request(
            services.db,
            context.args or [],
            role=account.role,
            own_leader=account.leader,
            own_unit=account.unit,
        )
        table = await export.overview(
            services.db,
            asked.period,
            leader=asked.leader,
            unit=asked.unit,
            light=asked.light,
            today=clock.today(),
            margin=services.settings.at_risk_margin / 100,
        )
    except export.ExportError as error:
        await show_html(update, context.text(language, error.key, **error.values), edit=False)
        return
    values = {"plan": table.plan, "period": table.period, "rows": len(table.rows)}
    if not table.rows:
        await show_html(update, context.text(language, "export.nothing", **values), edit=False)
        return
    data = export.render(table, asked.fmt)
    await message.reply_document(
        InputFile(data, filename=table.file_name(asked.fmt)),
        caption=context.text(language, "export.caption", **values),
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return the export command's handler."""
    return [CommandHandler("export", export_command)]
