"""A target's details at scale: the point read of one target beside the whole plan's read.

Prints, per plan size, the time to read one target by its id (what a details button and 办结 do)
as p50/p95 over random targets, beside the read of the whole plan that it replaced, and the time
of the whole details text (history, pending parts, extensions, instructions, evidence; the query
index already built, as in the running bot).

    python -m bench.bench_details [SIZE ...]     (default: 10000 100000)
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.bench_query import percentile
from bench.synthetic import generate
from bot.i18n import Translator
from bot.people.accounts import Account
from bot.query import service
from bot.query.engine import QueryEngine
from storage import targets
from storage.db import connect

TODAY = date(2023, 11, 1)
SAMPLES = 200  # targets read by id
WHOLE = 3  # whole-plan reads (the baseline: seconds each at 100k)
ADMIN = Account(1, "admin", None, None, None, None, "zh")


async def run(size: int, workdir: Path) -> dict[str, float]:
    db_path = workdir / f"details-{size}.db"
    generate(db_path, size)
    conn = await connect(db_path)
    engine = QueryEngine()
    await engine.refresh(conn, TODAY)
    async with conn.execute("SELECT id, plan_id FROM target") as cursor:
        rows = [(int(r[0]), int(r[1])) for r in await cursor.fetchall()]
    rng = random.Random(2023)
    chosen = rng.sample(rows, min(SAMPLES, len(rows)))

    point: list[float] = []
    for target_id, _ in chosen:
        started = time.perf_counter()
        found = await targets.target_by_id(conn, target_id)
        point.append(time.perf_counter() - started)
        assert found is not None
        assert found.id == target_id

    whole: list[float] = []
    for target_id, plan_id in chosen[:WHOLE]:
        started = time.perf_counter()
        listed = await targets.list_targets(conn, plan_id, include_retired=True)
        next(t for t in listed if t.id == target_id)
        whole.append(time.perf_counter() - started)

    t, tz = Translator("zh"), ZoneInfo("Asia/Shanghai")
    details: list[float] = []
    for target_id, _ in chosen[:50]:
        started = time.perf_counter()
        target = await targets.target_by_id(conn, target_id)
        assert target is not None
        await service.details_text(conn, engine, ADMIN, target, today=TODAY, t=t, tz=tz)
        details.append(time.perf_counter() - started)
    await conn.close()
    return {
        "size": size,
        "point_p50": 1000 * statistics.median(point),
        "point_p95": 1000 * percentile(point, 95),
        "whole_p50": 1000 * statistics.median(whole),
        "details_p50": 1000 * statistics.median(details),
        "details_p95": 1000 * percentile(details, 95),
    }


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    print("a target by its id: point read vs the whole plan read it replaced; whole details text")
    print("targets | by id p50 ms | by id p95 ms | whole plan ms | details p50 ms | details p95 ms")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            r = asyncio.run(run(size, Path(tmp)))
            print(
                f"{int(r['size']):,} | {r['point_p50']:.2f} | {r['point_p95']:.2f} | "
                f"{r['whole_p50']:.0f} | {r['details_p50']:.1f} | {r['details_p95']:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
