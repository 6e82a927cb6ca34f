"""Benchmark: a reminder fan-out to 1,000 liaisons against a Bot API server enforcing 30/s.

Run with `make bench` (or `.venv/bin/python -m bench.bench_fanout [LIAISONS]`). The
demo table is loaded, LIAISONS liaisons are bound round-robin to the units that lead targets
(each owes updates, so each gets one reminder), the 2023Q4 period
gets a deadline 7 days ahead, and one check of the real push code (`handlers.jobs.deliver`,
the rate-limited Bot of `targetbot run`) sends the reminders over HTTP to the test server on
127.0.0.1, which answers 429 to any sendMessage beyond 30 in one second. It prints the
achieved rate, the 429s the server gave, and the reminders lost (planned but not received).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import build_bot
from bot.plan.importer import DEMO_TABLE, import_file
from bot.query.engine import QueryEngine
from bot.report import service as reporting
from bot.settings import Settings
from handlers.jobs import deliver
from storage import targets as plans
from storage import users
from storage.db import connect, transaction
from storage.pushes import lead_duties
from tests.e2e.botapi import FakeBotAPI

TOKEN = "123456789:BENCHtokenForTheFanOut_0123456789"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=TZ)  # a Wednesday, a working day
LIMIT = 30  # messages a second, as Telegram allows


async def run(liaisons: int, workdir: Path) -> dict[str, float]:
    api = FakeBotAPI(TOKEN, send_limit=LIMIT)
    await api.start()
    settings = Settings.from_mapping(
        {
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api.url,
            "DATABASE_PATH": str(workdir / "fanout.db"),
        }
    )
    conn = await connect(settings.database_path)
    try:
        await import_file(conn, DEMO_TABLE, actor="bench")
        plan = await plans.current_plan(conn)
        assert plan is not None
        # Units that lead some target: each of their liaisons gets one reminder.
        units = sorted({row.unit_id for row in await lead_duties(conn, plan.id)})
        async with transaction(conn):
            for i in range(liaisons):
                await users.bind(
                    conn,
                    100_000 + i,
                    "liaison",
                    unit_id=units[i % len(units)],
                    leader_id=None,
                    at="2026-11-25T00:00:00+00:00",
                    name=f"联络员{i}",
                )
        deadline = NOW.date() + timedelta(days=7)
        await reporting.set_period(conn, "2023Q4", "open", deadline, actor="bench")
        bot = build_bot(settings)
        async with bot:
            started = time.perf_counter()
            delivery = await deliver(bot, conn, settings, QueryEngine(), NOW)
            elapsed = time.perf_counter() - started
    finally:
        await conn.close()
        await api.stop()
    messages = [sent for sent in api.outbox if sent.method == "sendMessage"]
    received = {sent.chat_id for sent in messages}
    span = messages[-1].at - messages[0].at if len(messages) > 1 else 0.0
    planned = len(delivery.sent) + len(delivery.blocked) + len(delivery.retrying)
    planned += len(delivery.failed)
    return {
        "liaisons": liaisons,
        "planned": planned,
        "received": len(received),
        "seconds": elapsed,
        "rate": (len(messages) - 1) / span if span else 0.0,
        "429s": sum(1 for status, _ in api.refused if status == 429),
        "lost": planned - len(received),
        "not_sent": len(delivery.retrying) + len(delivery.failed),
    }


def main(argv: list[str]) -> None:
    liaisons = int(argv[0]) if argv else 1_000
    with tempfile.TemporaryDirectory() as tmp:
        r = asyncio.run(run(liaisons, Path(tmp)))
    print(f"reminder fan-out to {liaisons:,} liaisons, server limit {LIMIT} messages/s")
    print("liaisons | reminders planned | received | check took s | messages/s | 429s | lost")
    print(
        f"{int(r['liaisons']):,} | {int(r['planned']):,} | {int(r['received']):,} | "
        f"{r['seconds']:.1f} | {r['rate']:.1f} | {int(r['429s'])} | {int(r['lost'])}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
