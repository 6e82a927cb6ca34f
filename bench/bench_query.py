"""Benchmark: the query engine against a naive baseline at 1k, 10k and 100k targets.

Run with `make bench` (or `.venv/bin/python -m bench.bench_query [SIZES…]`). Prints, per size:
index build time, p50/p95/p99 latency and queries per second of our engine and of the naive
baseline (rapidfuzz partial_ratio over every target's text) on the same data in the same run,
and peak memory.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process

from bench.synthetic import generate
from bot.query.engine import QueryEngine
from storage.db import connect

QUERIES = [
    "王昌华",
    "曹临",
    "曹 临",
    "聂元科",
    "王副市长",
    "王长华",  # names, with a space, a title, a typo
    "人社局",
    "工信局",
    "卫健委",
    "水务局",
    "东明县",
    "医保局",  # abbreviations and units
    "滞后",
    "behind schedule",
    "已完成",
    "未填报",  # statuses
    "医保",
    "就业",
    "污水",
    "基站",
    "5G",
    "招聘",  # two-character keywords
    "高校毕业生",
    "绿色综合能源服务站",
    "标识解析",
    "新能源汽车",  # longer keywords
    "王昌华 医保",
    "曹临 滞后",
    "工信局 5G",
    "人社局 就业 behind",
    "#48",
    "10月底",  # combinations
    "王市长分管的医保工作",
    "有哪些工作没按计划完成",
    "5G基站建设进展",  # sentences
    "Wang Changhua behind",
    "water bureau",
    "employment",  # English
]
TODAY = date(2023, 11, 1)
ROUNDS = 5


def resident_mb() -> float:
    """Return this process's resident memory now, in MB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(size: int, workdir: Path) -> dict[str, float]:
    db_path = workdir / f"bench-{size}.db"
    started = time.perf_counter()
    generate(db_path, size)
    generated = time.perf_counter() - started
    conn = await connect(db_path)
    engine = QueryEngine()
    rss_before = resident_mb()
    started = time.perf_counter()
    await engine.refresh(conn, TODAY)
    build = time.perf_counter() - started
    index_mb = resident_mb() - rss_before
    index = engine.index
    assert index is not None

    ours: list[float] = []
    hits = 0
    for _ in range(ROUNDS):
        index.forget_words()  # every round cold: no keyword lookup is remembered
        for text in QUERIES:
            started = time.perf_counter()
            answer = await engine.ask(conn, text, today=TODAY)
            hits += len(answer.result.page(0, 10))  # what a chat page shows
            ours.append(time.perf_counter() - started)

    texts = [c + "\n" + p for c, p in zip(index.contents, index.progresses, strict=True)]
    naive: list[float] = []
    for text in QUERIES:
        started = time.perf_counter()
        process.extract(text.lower(), texts, scorer=fuzz.partial_ratio, score_cutoff=80, limit=None)
        naive.append(time.perf_counter() - started)
    await conn.close()
    return {
        "size": size,
        "generate_s": generated,
        "build_s": build,
        "index_mb": index_mb,
        "p50_ms": 1000 * statistics.median(ours),
        "p95_ms": 1000 * percentile(ours, 95),
        "p99_ms": 1000 * percentile(ours, 99),
        "qps": len(ours) / sum(ours),
        "naive_p50_ms": 1000 * statistics.median(naive),
        "naive_p95_ms": 1000 * percentile(naive, 95),
        "naive_qps": len(naive) / sum(naive),
    }


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1_000, 10_000, 100_000]
    print(f"query engine vs naive baseline, {len(QUERIES)} queries × {ROUNDS} rounds (ours)")
    header = (
        "targets",
        "build s",
        "index RSS MB",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "q/s",
        "naive p50",
        "naive p95",
        "naive q/s",
        "p95 speed-up",
    )
    print(" | ".join(header))
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            r = asyncio.run(run(size, Path(tmp)))
            print(
                " | ".join(
                    [
                        f"{int(r['size']):,}",
                        f"{r['build_s']:.2f}",
                        f"{r['index_mb']:.0f}",
                        f"{r['p50_ms']:.2f}",
                        f"{r['p95_ms']:.2f}",
                        f"{r['p99_ms']:.2f}",
                        f"{r['qps']:.0f}",
                        f"{r['naive_p50_ms']:.1f}",
                        f"{r['naive_p95_ms']:.1f}",
                        f"{r['naive_qps']:.1f}",
                        f"{r['naive_p95_ms'] / r['p95_ms']:.0f}x",
                    ]
                ),
                flush=True,
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the whole run: {peak:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
