"""Benchmark: a 20,000-row import, and the hostile-files corpus, in time and memory.

Run with `.venv/bin/python -m bench.bench_import [ROWS]`. It writes a table of ROWS targets made
from the demo table's rows (numbers changed), imports it into a fresh database while another
connection writes every 20 ms (as users' updates would, with the bot's busy timeout of 5 s),
then imports it again with one progress text changed. It prints the time of each import, how
long the write transaction held the lock, and how many of the other connection's writes failed.
Then it imports every file of the hostile corpus in a process of its own and prints each one's
time and peak memory (Linux: VmHWM from /proc).
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.plan.importer import DEMO_TABLE, import_file
from storage.db import connect
from tests.hostile import make_corpus as corpus


def write_table(path: Path, rows: int, changed: int | None = None) -> None:
    """Write a TSV of `rows` targets built from the demo table's rows."""
    lines = DEMO_TABLE.read_text(encoding="utf-8").splitlines()
    head = [line for line in lines if not line.split("\t")[0].isdigit() and "\t" in line][:1]
    demo = [line.split("\t") for line in lines if line.split("\t")[0].isdigit()]
    out = [next(line for line in lines if line.strip()), *head]
    for number in range(1, rows + 1):
        cells = list(demo[number % len(demo)])
        cells[0] = str(number)
        cells[2] = f"{cells[2]}（{number}）"
        if number == changed:
            cells[4] += "，已更新"
        out.append("\t".join(cells))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


async def timed_import(db: Path, table: Path) -> dict[str, float]:
    """Import `table` while another connection writes; return times and failed writes."""
    conn = await connect(db)
    held: list[float] = []
    began: list[float] = []

    def trace(statement: str) -> None:
        if statement.startswith("BEGIN"):
            began.append(time.perf_counter())
        elif statement in ("COMMIT", "ROLLBACK") and began:
            held.append(time.perf_counter() - began.pop())

    await conn.set_trace_callback(trace)
    stop = False
    failures = attempts = 0

    def other_writer() -> None:
        nonlocal failures, attempts
        other = sqlite3.connect(db, timeout=5)  # the bot's busy_timeout
        while not stop:
            attempts += 1
            try:
                other.execute(
                    "INSERT INTO meta (key, value) VALUES ('bench', 'x') "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                )
                other.commit()
            except sqlite3.OperationalError:
                failures += 1
            time.sleep(0.02)
        other.close()

    writer = asyncio.get_running_loop().run_in_executor(None, other_writer)
    start = time.perf_counter()
    try:
        await import_file(conn, table, actor="bench")
    finally:
        total = time.perf_counter() - start
        stop = True
        await writer
        await conn.close()
    return {
        "import_s": round(total, 2),
        "lock_held_s": round(max(held, default=0.0), 3),
        "other_writes": attempts,
        "other_writes_failed": failures,
    }


def hostile_peaks(workdir: Path) -> None:
    """Import each hostile file in its own process; print its time and peak memory."""
    files = {name: make for name, (make, _) in {**corpus.SMALL, **corpus.LARGE}.items()}
    for name, make in files.items():
        path = workdir / name
        path.write_bytes(make())
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "bench.bench_import", "--one", str(path), str(workdir / "h.db")],
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - start
        lines = result.stdout.strip().splitlines()
        outcome, peak = (lines[-2], lines[-1]) if len(lines) >= 2 else ("crashed", "?")
        print(f"  {name:32} {outcome:8}  {elapsed:5.2f} s  peak {peak} MB")


def import_one(path: Path, db: Path) -> None:
    """Import one file (refusals expected); print whether it was refused, then the peak in MB."""
    from bot.plan.tables import TableError

    async def run() -> str:
        conn = await connect(db)
        try:
            await import_file(conn, path, actor="bench")
        except TableError:
            return "refused"
        finally:
            await conn.close()
        return "ACCEPTED"

    print(asyncio.run(run()))
    # VmHWM: this process's own peak (ru_maxrss would keep the parent's across exec)
    status = Path("/proc/self/status").read_text()
    print(
        next(
            int(line.split()[1]) // 1024 for line in status.splitlines() if line.startswith("VmHWM")
        )
    )


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        import_one(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        table = workdir / "big.tsv"
        write_table(table, rows)
        first = asyncio.run(timed_import(workdir / "big.db", table))
        print(f"import of {rows} rows into an empty database: {first}")
        write_table(table, rows, changed=rows // 2)
        again = asyncio.run(timed_import(workdir / "big.db", table))
        print(f"import again, one progress text changed:    {again}")
        print("hostile corpus, each file in its own process:")
        hostile_peaks(workdir)


if __name__ == "__main__":
    main()
