"""Benchmark: the search index at start and after each /report confirm, at 10k and 100k targets.

Run with `make bench` (or `.venv/bin/python -m bench.bench_index [SIZES…]`). Each size runs in a
process of its own (so its peak memory is its own) on a synthetic plan (bench/synthetic.py):

- start: the engine builds its index in a worker thread (`QueryEngine.start`) while a ticker
  task measures the event loop's worst stall; "ready" is when the first question is answered;
- follow: 20 times, a new official report (a submission's rows: the report and its audit
  entry) for an assignment of the latest period, then the question "滞后"; the time of the
  catch-up (`refresh`) and the worst stall;
- the naive baseline of the same run: what every confirm cost before, a full rebuild
  (read the plan + build the index + work out the latest statuses) on the event loop;
- peak RSS of the process (VmHWM) and its RSS once built (VmRSS).
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import aiosqlite

from bench.synthetic import generate
from bot.query.engine import QueryEngine
from bot.query.index import TargetIndex
from storage import search as rows
from storage import targets as plans
from storage.db import connect, transaction

TODAY = date(2023, 11, 1)
FOLLOWS = 20


def memory(field: str) -> float:
    """Return a memory figure of this process in MB (Linux: VmHWM peak, VmRSS now)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


class Ticker:
    """Measures the event loop's worst stall: the longest gap between 5 ms ticks."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.005)
            now = loop.time()
            self.worst = max(self.worst, now - last - 0.005)
            last = now

    def __enter__(self) -> Ticker:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def submit_one(conn: aiosqlite.Connection, rng: random.Random, period: str) -> None:
    """Store what a confirmed submission stores: the report revision and its audit entry."""
    async with transaction(conn):
        async with conn.execute(
            "SELECT assignment_id, MAX(revision) FROM report WHERE period = ? "
            "AND assignment_id = (SELECT assignment_id FROM report WHERE period = ? "
            "ORDER BY id LIMIT 1 OFFSET ?)",
            (period, period, rng.randrange(1000)),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        assignment, revision = int(row[0]), int(row[1])
        await conn.execute(
            "INSERT INTO report (assignment_id, period, revision, progress, status, source,"
            " submitted_at) VALUES (?, ?, ?, ?, 'behind', 'chat', 'bench')",
            (assignment, period, revision + 1, f"资金缺口较大，完成{rng.randrange(100)}%"),
        )
        await conn.execute(
            "INSERT INTO audit_log (at, actor, action, subject, detail) "
            "VALUES ('bench', 'bench', 'report_submit', ?, '{}')",
            (f"assignment:{assignment}",),
        )


async def one(size: int, path: Path) -> dict[str, float]:
    conn = await connect(path)
    try:
        engine = QueryEngine()
        started = time.perf_counter()
        with Ticker() as ticker:
            engine.start(conn, TODAY)
            await engine.ask(conn, "滞后", today=TODAY)
        ready = time.perf_counter() - started
        start_stall = ticker.worst
        built_rss = memory("VmRSS")
        assert engine.index is not None
        period = engine.index.periods[-1]
        rng = random.Random(size)
        catch_up, answer, stalls = [], [], []
        for _ in range(FOLLOWS):
            await submit_one(conn, rng, period)
            with Ticker() as ticker:
                t0 = time.perf_counter()
                await engine.refresh(conn, TODAY)
                t1 = time.perf_counter()
                await engine.ask(conn, "滞后", today=TODAY)
                t2 = time.perf_counter()
            catch_up.append(t1 - t0)
            answer.append(t2 - t1)
            stalls.append(ticker.worst)
        peak_followed = memory("VmHWM")
        # The naive baseline: a full rebuild on the event loop, as every confirm did before.
        t0 = time.perf_counter()
        plan = await plans.current_plan(conn)
        assert plan is not None
        TargetIndex.build(await rows.load_plan(conn, plan.id), plan.year).warm(TODAY)
        rebuild = time.perf_counter() - t0
    finally:
        await conn.close()
    return {
        "ready": ready,
        "start_stall": start_stall,
        "catch_up_p50": statistics.median(catch_up),
        "catch_up_max": max(catch_up),
        "answer_p50": statistics.median(answer),
        "follow_stall": max(stalls),
        "rebuild": rebuild,
        "rss_built": built_rss,
        "peak_followed": peak_followed,
    }


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        size, path = int(argv[1]), Path(argv[2])
        print(json.dumps(asyncio.run(one(size, path))))
        return
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    print("search index: start, and catching up after a /report confirm (ms; MB)")
    print(
        f"{'targets':>8} {'ready':>8} {'stall':>7} {'catch-up p50':>12} {'max':>7} "
        f"{'question':>9} {'stall':>7} {'naive rebuild':>13} {'RSS':>6} {'peak':>6}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"index-{size}.db"
            generate(path, size)
            out = subprocess.run(
                [sys.executable, "-m", "bench.bench_index", "--one", str(size), str(path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(
                f"{size:>8} {r['ready'] * 1000:>8.0f} {r['start_stall'] * 1000:>7.1f} "
                f"{r['catch_up_p50'] * 1000:>12.1f} {r['catch_up_max'] * 1000:>7.1f} "
                f"{r['answer_p50'] * 1000:>9.1f} {r['follow_stall'] * 1000:>7.1f} "
                f"{r['rebuild'] * 1000:>13.0f} {r['rss_built']:>6.0f} {r['peak_followed']:>6.0f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
