"""Benchmark: the minute's push check on a reminder day, and the event loop's worst stall.

Run with `make bench` (or `.venv/bin/python -m bench.bench_minute [TARGETS ...]`, default 10,000
and 100,000). A synthetic plan (bench/synthetic.py) gets 1,200 liaisons bound round-robin to its
units and a leader user for each of its leaders; 2023Q4 is opened with a deadline 7 days after
a Monday, so that Monday at 09:30 is a reminder day (1,200 reminders) and a digest day (a digest
to each leader). The real check (`bot.push.service.claim_due` with a `Minute` kept between
checks, as the bot's job does) is timed; the sending is stubbed at the claim level: what it
claimed is then recorded as sent in one untimed transaction (bench_fanout measures sending;
here each push's own fsync'd outcome would swamp what is measured). Three checks are timed:
the first (plans, renders and claims everything), a second a minute later with nothing
changed, and a third after one liaison submitted an update. Beside each, a ticker task
measures the longest the event loop went without running it (the worst stall anyone waits).

The baselines, in the same run: the check as it was before (the world and the whole plan made
and every push put in words on the event loop, `plan_everything` below), and a naive floor,
one SELECT of the whole plan's duties.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import aiosqlite

from bench.synthetic import generate
from bot.i18n import Translator
from bot.push import service as pushes
from bot.push.planner import plan
from bot.push.text import render
from bot.report import service as reporting
from bot.settings import Settings
from storage import targets as plans
from storage import users
from storage.db import connect, transaction
from storage.pushes import Push, lead_duties

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)  # a working Monday: reminder and digest day
DEADLINE = date(2026, 11, 30)  # 7 days on: today is the 7-day reminder
LIAISONS = 1_200
T = TypeVar("T")


class Ticker:
    """A task that wakes every 5 ms and keeps the longest gap between two wakes."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, loop.time() - before - 0.005)

    async def measure(self, work: Callable[[], Awaitable[T]]) -> tuple[T, float, float]:
        """Run `work` with the ticker beside it; return its result, seconds and worst stall."""
        self.worst = 0.0
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0.02)  # the ticker is running
        started = time.perf_counter()
        result = await work()
        elapsed = time.perf_counter() - started
        self._task.cancel()
        return result, elapsed, self.worst


async def prepare(path: Path, targets: int) -> None:
    """Make the plan, bind the liaisons and leaders, open 2023Q4 with its deadline."""
    generate(path, targets)
    conn = await connect(path)
    try:
        plan_ = await plans.current_plan(conn)
        assert plan_ is not None
        rows = await lead_duties(conn, plan_.id)
        units = sorted({row.unit_id for row in rows})
        leaders = sorted({row.leader_id for row in rows})
        at = "2026-11-01T00:00:00+00:00"
        async with transaction(conn):
            for i in range(max(LIAISONS, len(units))):
                unit = units[i % len(units)]
                name = f"联络{i}"
                await users.bind(
                    conn, 100_000 + i, "liaison", unit_id=unit, leader_id=None, at=at, name=name
                )
            for i, leader in enumerate(leaders):
                name = f"领导{i}"
                await users.bind(
                    conn, 900_000 + i, "leader", unit_id=None, leader_id=leader, at=at, name=name
                )
        await reporting.set_period(conn, "2023Q4", "open", DEADLINE, actor="bench")
    finally:
        await conn.close()


async def submit_one(conn_path: Path) -> None:
    """One liaison submits the 2023Q4 update of one of their unit's targets."""
    conn = await connect(conn_path)
    try:
        async with conn.execute(
            "SELECT u.telegram_id, u.unit_id, au.assignment_id FROM user u "
            "JOIN assignment_unit au ON au.unit_id = u.unit_id AND au.position = 1 "
            "WHERE u.role = 'liaison' ORDER BY u.telegram_id LIMIT 1"
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        async with transaction(conn):
            await conn.execute(
                "INSERT INTO report (assignment_id, period, revision, progress, status, source, "
                "submitted_at, unit_id, submitted_by) VALUES (?, '2023Q4', 1, '完成', 'on_track', "
                "'chat', ?, ?, ?)",
                (row[2], MONDAY.isoformat(), row[1], row[0]),
            )
            await conn.execute(
                "INSERT INTO audit_log (at, actor, action, subject, detail) "
                "VALUES (?, ?, 'report_submit', ?, '{}')",
                (MONDAY.isoformat(), f"user:{row[0]}", f"assignment:{row[2]}"),
            )
    finally:
        await conn.close()


async def plan_everything(path: Path, settings: Settings, t: Translator) -> int:
    """The check as it was: the world, the plan and every push in words, on the event loop."""
    conn = await connect(path)
    try:
        in_force = await pushes.schedule(conn, settings)
        world = await pushes.world(conn, settings, MONDAY)
        due = plan(world, in_force)
        return len([render(d, t, MONDAY.date()) for d in due])
    finally:
        await conn.close()


async def select_all(path: Path) -> int:
    """The naive floor: one SELECT of the plan's duties, nothing made of them."""
    conn = await connect(path)
    try:
        async with conn.execute(
            "SELECT a.id, t.number, t.content, t.due_date, au.unit_id FROM assignment a "
            "JOIN target t ON t.id = a.target_id "
            "JOIN assignment_unit au ON au.assignment_id = a.id AND au.position = 1"
        ) as cursor:
            return len(list(await cursor.fetchall()))
    finally:
        await conn.close()


async def sent(conn: aiosqlite.Connection, claimed: list[Push]) -> None:
    """Stand for the sending: every claimed push is recorded as sent, in one transaction."""
    async with transaction(conn):
        await conn.executemany(
            "UPDATE push SET state = 'sent', sent_at = attempted_at WHERE key = ?",
            [(push.key,) for push in claimed],
        )


async def run(targets: int, workdir: Path) -> list[tuple[str, str, float, float]]:
    path = workdir / f"minute-{targets}.db"
    await prepare(path, targets)
    settings = Settings.from_mapping({"DATABASE_PATH": str(path)})
    t = Translator(settings.default_language)
    ticker = Ticker()
    found: list[tuple[str, str, float, float]] = []
    conn = await connect(path)
    minute = pushes.Minute()  # as the bot's job keeps it from one check to the next

    async def check(at: datetime) -> list[Push]:
        return await pushes.claim_due(conn, settings, at, t, minute)

    try:
        for label, at in (
            ("first check (claims all)", MONDAY),
            ("next minute, nothing changed", MONDAY + timedelta(minutes=1)),
        ):
            claimed, seconds, stall = await ticker.measure(lambda at=at: check(at))  # type: ignore[misc]
            found.append((label, f"{len(claimed):,} claimed", seconds, stall))
            await sent(conn, claimed)
        await submit_one(path)
        claimed, seconds, stall = await ticker.measure(lambda: check(MONDAY + timedelta(minutes=2)))
        found.append(("after one update submitted", f"{len(claimed):,} claimed", seconds, stall))
    finally:
        await minute.close()
        await conn.close()
    count, seconds, stall = await ticker.measure(lambda: plan_everything(path, settings, t))
    found.append(("baseline: plan + render all on the loop", f"{count:,} pushes", seconds, stall))
    count, seconds, stall = await ticker.measure(lambda: select_all(path))
    found.append(("baseline: SELECT all duties", f"{count:,} rows", seconds, stall))
    return found


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    print(f"the minute's push check on a reminder and digest day, {LIAISONS:,} liaisons")
    print("targets | check | did | wall s | worst event-loop stall ms")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            for label, did, seconds, stall in asyncio.run(run(size, Path(tmp))):
                print(f"{size:,} | {label} | {did} | {seconds:.2f} | {stall * 1000:.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
