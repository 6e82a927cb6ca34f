"""The bots bench/bench_updates.py measures, each run as its own process until SIGTERM.

    python -m bench.serve bare|unpaced|before      (settings from the environment)

`bare`: bare PTB, one handler replying "ok" (no rate limiter, updates side by side as many as
ours runs at once), importing nothing of ours but that number;
`unpaced`: our Application with the pacer's limits lifted; `before`: our Application as it ran
before updates went side by side (one at a time, PTB's AIORateLimiter at 29 a second).
"""

from __future__ import annotations

import os
import sys

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ContextTypes,
    MessageHandler,
    SimpleUpdateProcessor,
    filters,
)

RUNNING = 64  # handlers/ordering.RUNNING (not imported: that would load all of our handlers)


def serve(kind: str) -> None:
    """Run a bot until SIGTERM: `bare` PTB, `unpaced` (ours without Telegram's limits) or
    `before` (ours as it ran before: one update at a time, PTB's AIORateLimiter)."""
    if kind == "bare":
        url = os.environ["TELEGRAM_API_URL"]

        async def ok(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.effective_message is not None
            await update.effective_message.reply_text("ok")

        bare = (
            Application.builder()
            .token(os.environ["BOT_TOKEN"])
            .base_url(f"{url}/bot")
            .base_file_url(f"{url}/file/bot")
            .concurrent_updates(RUNNING)  # at capacity, as ours: its cost, not its round trips
            .build()
        )
        bare.add_handler(MessageHandler(filters.ALL, ok))
        bare.run_polling(allowed_updates=Update.ALL_TYPES)
        return
    from bot.app import build_application  # ours: after the bare one's branch
    from bot.settings import Settings
    from handlers.pacing import Pacer

    settings = Settings.from_mapping(os.environ)
    if kind == "unpaced":
        lifted = Pacer(per_second=1e6, chat_spacing=1e-6, chat_burst=10**6, group_per_minute=10**6)
        application = build_application(settings, limiter=lifted)
    else:
        old = AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 29, max_retries=3)
        application = build_application(settings, limiter=old, processor=SimpleUpdateProcessor(1))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    serve(sys.argv[1])
