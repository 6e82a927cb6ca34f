"""Benchmark: how well questions typed as officials type them are understood (issue 14).

Run with `make bench` (or `.venv/bin/python -m bench.bench_understanding`). Asks every question
of tests/query/officials/ (the demo table and a county's table) through the query engine and
prints, per table, how many questions there are and how many were answered exactly right, the
near-miss names taken confidently as a wrong unit or leader, and every question answered wrong
(question → expected vs found). tests/query/test_officials.py holds the thresholds.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from tests.query.officials.questions import (
    TABLES,
    answer_all,
    confident_wrong,
    load_near_misses,
    load_questions,
    open_table,
)


async def run() -> None:
    """Ask everything and print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        connections = {table: await open_table(table, Path(tmp)) for table in TABLES}
        try:
            verdicts = {
                table: await answer_all(connections[table], load_questions(table))
                for table in TABLES
            }
            misses = load_near_misses()
            wrong_misses = await confident_wrong(connections, misses)
        finally:
            for conn in connections.values():
                await conn.close()

    print("Understanding of questions as officials type them")
    print(f"{'table':<8} {'questions':>9} {'right':>6} {'% right':>8}")
    total = right_total = 0
    for table, found in verdicts.items():
        right = sum(v.right for v in found)
        total += len(found)
        right_total += right
        print(f"{table:<8} {len(found):>9} {right:>6} {100 * right / len(found):>7.1f}%")
    print(f"{'all':<8} {total:>9} {right_total:>6} {100 * right_total / total:>7.1f}%")
    per_table = ", ".join(f"{t} {sum(m.table == t for m in misses)}" for t in TABLES)
    print(f"near-miss names: {len(misses)} ({per_table}), confidently wrong: {len(wrong_misses)}")
    for miss, outside in wrong_misses:
        names = " ".join(sorted(miss.right)) or "-"
        print(f"  {miss.table}: {miss.text} → took {' '.join(sorted(outside))} (right: {names})")
    for table, found in verdicts.items():
        wrong = [v for v in found if not v.right]
        print(f"\nwrong on {table} ({len(wrong)}):")
        for verdict in wrong:
            question = verdict.question
            print(
                f"  [{question.category}] {question.text} → expected {question.expected}"
                f" | found {verdict.found}"
            )


def main() -> None:
    """Run the benchmark."""
    asyncio.run(run())


if __name__ == "__main__":
    main()
