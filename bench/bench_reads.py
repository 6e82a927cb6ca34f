"""Point reads and writes per question at scale, beside a bare read by primary key.

Prints, per plan size (bench/synthetic.py): the /report list of a big unit (市水务局) read by
the domain (`reporting.tasks`) as p50/p95 with its queries, one assignment's card (`task_for` and
`background`) and the review queue's oldest submission; then, through the very Application
`targetbot run` builds (in process, Bot API recorded), a leader's questions and a liaison's
/report: database round trips (one hop to aiosqlite's thread each), SQL statements, write
transactions, fsync'd (synchronous=FULL) commits and the time spent waiting on the database.
The baseline of the same run: one SELECT of a target by its primary key.

    python -m bench.bench_reads [SIZE ...]     (default: 57 10000 100000)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from bench.bench_query import percentile
from bench.synthetic import generate
from bot.people.accounts import set_role
from bot.report import reviewing
from bot.report import service as reporting
from storage import targets as plans
from tests.harness import Person, running_bot

UNIT = "市水务局"
PERIOD = "2023Q4"
ROUNDS = 30  # reads of the list, the card and the queue
QUESTIONS = ["滞后", "水务局", "王昌华", "医保", "已完成", "人社局 就业", "5G基站建设进展"]
LEADER = Person(4004, "王")
LIAISON = Person(2002, "水务")
ADMIN = Person(1001, "督查")


@dataclass
class Meter:
    """Counts what a connection does: round trips to its thread, statements, commits."""

    trips: int = 0
    waited: float = 0.0  # seconds awaiting the database's thread (with the hops there and back)
    busy: float = 0.0  # seconds the database's thread worked (SQLite and the rows' objects)
    statements: list[str] = field(default_factory=list)
    durable: bool = True  # the synchronous setting now (FULL unless a PRAGMA said otherwise)
    commits: list[bool] = field(default_factory=list)  # per write transaction: fsync'd?

    def trace(self, sql: str) -> None:
        words = " ".join(sql.split()).upper()
        self.statements.append(words)
        if words.startswith("PRAGMA SYNCHRONOUS ="):
            self.durable = words.split("=")[-1].strip() in ("FULL", "2", "EXTRA", "3")
        elif words == "COMMIT":
            self.commits.append(self.durable)

    def reset(self) -> None:
        self.trips, self.waited, self.busy = 0, 0.0, 0.0
        self.statements.clear()
        self.commits.clear()


async def metered(conn: aiosqlite.Connection) -> Meter:
    """Start counting the connection's round trips and statements."""
    meter = Meter()
    hop: Callable[..., Awaitable[Any]] = conn._execute

    def worked(fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:  # runs in the database's thread
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                meter.busy += time.perf_counter() - started

        return timed_call

    async def counted(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        meter.trips += 1
        started = time.perf_counter()
        try:
            return await hop(worked(fn), *args, **kwargs)
        finally:
            meter.waited += time.perf_counter() - started

    await conn.set_trace_callback(meter.trace)
    conn._execute = counted  # type: ignore[method-assign]
    meter.reset()
    return meter


async def timed(action: Callable[[], Awaitable[object]], rounds: int = ROUNDS) -> list[float]:
    """Return the times (ms) of `rounds` runs of `action`."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await action()
        times.append(1000 * (time.perf_counter() - started))
    return times


async def run(size: int, workdir: Path) -> dict[str, float]:
    folder = workdir / f"reads-{size}"
    folder.mkdir()
    generate(folder / "targetbot.db", size)
    row: dict[str, float] = {"size": size}
    async with running_bot(folder, frozenset({ADMIN.id}), load_demo=False) as harness:
        harness.stop_push_job()
        db = harness.app.bot_data.db
        unit = next(u for u in await plans.list_units(db) if u.name == UNIT)
        wang = next(x for x in await plans.list_leaders(db) if x.name == "王昌华")
        await set_role(db, telegram_id=LEADER.id, role="leader", binding_id=wang.id, actor="b")
        await set_role(db, telegram_id=LIAISON.id, role="liaison", binding_id=unit.id, actor="b")
        await harness.send(LEADER, QUESTIONS[0])  # the index is built (once, at start)
        await harness.send(LIAISON, "/help")
        meter = await metered(db)

        async with db.execute("SELECT MAX(id) FROM target") as cursor:
            last = int((await cursor.fetchone() or [1])[0])

        async def bare() -> None:
            async with db.execute("SELECT * FROM target WHERE id = ?", (last // 2,)) as cursor:
                await cursor.fetchone()

        row["bare_ms"] = statistics.median(await timed(bare, 200))

        tasks = await reporting.tasks(db, unit.id, PERIOD)
        row["assignments"] = len(tasks)
        meter.reset()
        await reporting.tasks(db, unit.id, PERIOD)
        row["list_queries"] = sum(not s.startswith("PRAGMA") for s in meter.statements)
        listing = await timed(lambda: reporting.tasks(db, unit.id, PERIOD))
        row["list_p50"], row["list_p95"] = statistics.median(listing), percentile(listing, 95)

        chosen = tasks[len(tasks) // 2]

        async def card() -> None:
            task = await reporting.task_for(db, unit.id, chosen.assignment_id, PERIOD)
            assert task is not None
            await reporting.background(db, task, unit.id, PERIOD)

        meter.reset()
        await card()
        row["card_queries"] = len(meter.statements)
        carding = await timed(card)
        row["card_p50"], row["card_p95"] = statistics.median(carding), percentile(carding, 95)
        meter.reset()
        await reviewing.oldest_waiting(db)
        row["queue_queries"] = len(meter.statements)
        queue = await timed(lambda: reviewing.oldest_waiting(db))
        row["queue_p50"] = statistics.median(queue)

        trips, statements, writes, fsyncs, waited, busy, whole = [], [], [], [], [], [], []
        for _ in range(3):
            for text in QUESTIONS:
                meter.reset()
                started = time.perf_counter()
                await harness.send(LEADER, text)
                whole.append(1000 * (time.perf_counter() - started))
                trips.append(meter.trips)
                statements.append(len(meter.statements))
                writes.append(len(meter.commits))
                fsyncs.append(sum(meter.commits))
                waited.append(1000 * meter.waited)
                busy.append(1000 * meter.busy)
        row["q_trips"] = statistics.mean(trips)
        row["q_statements"] = statistics.mean(statements)
        row["q_writes_max"] = max(writes)
        row["q_fsyncs_max"] = max(fsyncs)
        row["q_db_ms"] = statistics.median(busy)
        row["q_wait_ms"] = statistics.median(waited)
        row["q_ms"] = statistics.median(whole)

        report_trips, report_ms = [], []
        for _ in range(5):
            meter.reset()
            started = time.perf_counter()
            await harness.send(LIAISON, "/report")
            report_ms.append(1000 * (time.perf_counter() - started))
            report_trips.append(meter.trips)
        row["r_trips"] = statistics.median(report_trips)
        row["r_ms"] = statistics.median(report_ms)
    return row


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [57, 10_000, 100_000]
    print(f"point reads ({UNIT}'s /report list, one card, the review queue), a question's writes")
    print(
        "targets | bare SELECT by id ms | unit's assignments | list p50 ms | list p95 ms | "
        "list queries | card p50 ms | card queries | queue ms | queue queries"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            r = asyncio.run(run(size, Path(tmp)))
            results.append(r)
            print(
                f"{int(r['size']):,} | {r['bare_ms']:.3f} | {int(r['assignments'])} | "
                f"{r['list_p50']:.2f} | {r['list_p95']:.2f} | {int(r['list_queries'])} | "
                f"{r['card_p50']:.2f} | {int(r['card_queries'])} | {r['queue_p50']:.2f} | "
                f"{int(r['queue_queries'])}",
                flush=True,
            )
    print()
    print(
        "targets | question: round trips | statements | write transactions (max) | "
        "fsync'd commits (max) | DB work ms p50 | DB waits ms p50 | whole ms p50 | "
        "/report: round trips | /report ms"
    )
    for r in results:
        print(
            f"{int(r['size']):,} | {r['q_trips']:.1f} | {r['q_statements']:.1f} | "
            f"{int(r['q_writes_max'])} | {int(r['q_fsyncs_max'])} | {r['q_db_ms']:.2f} | "
            f"{r['q_wait_ms']:.2f} | {r['q_ms']:.1f} | {int(r['r_trips'])} | {r['r_ms']:.1f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
