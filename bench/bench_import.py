"""Benchmark: imports of 10k and 50k rows beside a read + bulk-store baseline; hostile files.

Run with `.venv/bin/python -m bench.bench_import [ROWS ...]` (default: 10000 50000). For each
size it writes a table of ROWS targets made from the demo table's rows (numbers changed), as
.xlsx (the way Excel saves one: shared strings, numbers as numbers) and as .tsv, and measures,
each in a process of its own (so that its peak memory is its own):

- baseline: the same file read with the project's reader (`read_sheets`), then every row stored
  with one plain `executemany` into a bare table of a fresh SQLite file (one transaction);
- first: the import into an empty database;
- unchanged: the same file imported again (it must write nothing: `changes` is the importing
  connection's total_changes, which also counts the rows staged in its temporary tables before
  the transaction; `audit` is the import entries added to the audit log);
- one changed: the file with one progress text changed, imported again (one report, one audit
  row).

Every import runs while another connection writes every 20 ms (as users' updates would, with
the bot's busy timeout of 5 s): `lock` is the longest the import's write transaction held the
database, `failed` how many of the other connection's writes failed. `peak` is the process's
VmHWM (Linux); `cpu` its processor time (all threads), which a machine busy with other work
disturbs less than the wall-clock `time`. A sheet holds at most 50,000 rows (the importer's
limit), title and header included, so the 50k table has 49,998 targets.

Then it imports every file of the hostile corpus in a process of its own and prints each one's
time and peak memory.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from bot.plan.importer import DEMO_TABLE, import_file
from bot.plan.tables import MAX_ROWS, read_sheets
from storage.db import connect
from tests.hostile import make_corpus as corpus

SIZES = (10_000, 50_000)


def table_lines(rows: int, changed: int | None = None) -> list[list[str]]:
    """Return the cells of a table of `rows` targets built from the demo table's rows."""
    lines = DEMO_TABLE.read_text(encoding="utf-8").splitlines()
    head = [line for line in lines if not line.split("\t")[0].isdigit() and "\t" in line][:1]
    demo = [line.split("\t") for line in lines if line.split("\t")[0].isdigit()]
    out = [[next(line for line in lines if line.strip())], *(h.split("\t") for h in head)]
    for number in range(1, rows + 1):
        cells = list(demo[number % len(demo)])
        cells[0] = str(number)
        cells[2] = f"{cells[2]}（{number}）"
        if number == changed:
            cells[4] += "，已更新"
        out.append(cells)
    return out


def write_table(path: Path, rows: int, changed: int | None = None) -> None:
    """Write a TSV of `rows` targets built from the demo table's rows."""
    lines = table_lines(rows, changed)
    path.write_text("\n".join("\t".join(cells) for cells in lines) + "\n", encoding="utf-8")


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def write_xlsx(path: Path, rows: int, changed: int | None = None) -> None:
    """Write the same table as an .xlsx the way Excel saves one (shared strings, a dimension)."""
    lines = table_lines(rows, changed)
    strings: dict[str, int] = {}
    sheet = []
    for number, cells in enumerate(lines, start=1):
        parts = []
        for column, value in enumerate(cells):
            ref = f"{chr(65 + column)}{number}"
            if value.isdigit():
                parts.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value:
                index = strings.setdefault(value, len(strings))
                parts.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        sheet.append(f'<row r="{number}">{"".join(parts)}</row>')
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    parts_of = {
        "[Content_Types].xml": f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SML}.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        '<sheets><sheet name="三季度" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_NS}">'
        f'<dimension ref="A1:G{len(lines)}"/><sheetData>{"".join(sheet)}</sheetData>'
        "</worksheet>",
        "xl/sharedStrings.xml": f'<sst xmlns="{_NS}" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">{shared}</sst>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts_of.items():
            archive.writestr(
                name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text
            )


def peak_mb() -> int:
    """Return this process's peak resident memory in MB (VmHWM)."""
    status = Path("/proc/self/status").read_text()
    return next(
        int(line.split()[1]) // 1024 for line in status.splitlines() if line.startswith("VmHWM")
    )


def baseline(path: Path, db: Path) -> dict[str, object]:
    """Read the file with the project's reader and store its rows with one executemany."""
    start, cpu = time.perf_counter(), time.process_time()
    rows = [row.cells for sheet in read_sheets(path) for row in sheet.rows]
    width = max(len(cells) for cells in rows)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")  # as the bot's connections
    columns = ", ".join(f"c{i} TEXT" for i in range(width))
    conn.execute(f"CREATE TABLE bare (line INTEGER, {columns})")
    conn.execute("BEGIN")
    conn.executemany(
        f"INSERT INTO bare VALUES (?, {', '.join('?' * width)})",
        [(n, *cells, *("",) * (width - len(cells))) for n, cells in enumerate(rows)],
    )
    conn.execute("COMMIT")
    conn.close()
    return {
        "s": round(time.perf_counter() - start, 2),
        "cpu": round(time.process_time() - cpu, 2),
        "rows": len(rows),
    }


async def timed_import(db: Path, table: Path) -> dict[str, object]:
    """Import `table` while another connection writes; return times, writes and failures."""
    conn = await connect(db)
    held: list[float] = []
    began: list[float] = []

    def trace(statement: str) -> None:
        # The write transactions (storage.db.transaction): a plain BEGIN is the import's
        # staging, which writes only its connection's temporary tables and locks nobody.
        if statement.startswith("BEGIN IMMEDIATE"):
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

    async with conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'import'") as cursor:
        audits = (await cursor.fetchone())[0]  # type: ignore[index]
    writer = asyncio.get_running_loop().run_in_executor(None, other_writer)
    changes = conn.total_changes
    start, cpu = time.perf_counter(), time.process_time()
    try:
        summary = await import_file(conn, table, actor="bench")
    finally:
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        stop = True
        await writer
    writes = conn.total_changes - changes
    async with conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'import'") as cursor:
        audits = (await cursor.fetchone())[0] - audits  # type: ignore[index]
    await conn.close()
    return {
        "s": round(total, 2),
        "cpu": round(cpu, 2),
        "lock": round(max(held, default=0.0), 3),
        "writes": writes,
        "audit": audits,
        "said": f"+{len(summary.added)} ~{len(summary.changed)} ={len(summary.unchanged)}"
        f" r{summary.reports_added}",
        "other": attempts,
        "failed": failures,
    }


def child(args: list[str]) -> dict[str, object]:
    """Run one measurement in this process (see main): `baseline FILE DB` or `import FILE DB`."""
    kind, path, db = args[0], Path(args[1]), Path(args[2])
    result = baseline(path, db) if kind == "baseline" else asyncio.run(timed_import(db, path))
    return {**result, "peak": peak_mb()}


def measure(kind: str, path: Path, db: Path) -> dict[str, object]:
    """Run one measurement in a process of its own; return what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_import", "--child", kind, str(path), str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} {path.name} failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(workdir: Path, rows: int) -> None:
    """Print baseline, first, unchanged and one-changed imports of `rows` rows, xlsx and tsv."""
    targets = min(rows, MAX_ROWS - 2)  # the title and the header are rows of the sheet too
    for suffix, write in ((".xlsx", write_xlsx), (".tsv", write_table)):
        table = workdir / f"t{rows}{suffix}"
        write(table, targets)
        db = workdir / f"t{rows}{suffix}.db"
        base = measure("baseline", table, workdir / f"bare{rows}{suffix}.db")
        first = measure("import", table, db)
        same = measure("import", table, db)
        write(table, targets, changed=targets // 2)
        one = measure("import", table, db)
        base_s = float(base["s"])  # type: ignore[arg-type]
        print(f"{targets} targets, {suffix}  ({table.stat().st_size / 2**20:.1f} MB)")
        base_cpu = float(base["cpu"])  # type: ignore[arg-type]
        print(
            f"  {'':12} {'time':>7} {'× base':>7} {'cpu':>7} {'× base':>7} {'peak':>7} "
            f"{'lock':>7} {'changes':>7} {'audit':>5}  summary (+added ~changed =unchanged r…)"
        )
        print(
            f"  {'baseline':12} {base_s:6.2f}s {'1.0':>7} {base_cpu:6.2f}s {'1.0':>7} "
            f"{base['peak']:>5}MB"
        )
        for label, result in (("first", first), ("unchanged", same), ("one changed", one)):
            seconds = float(result["s"])  # type: ignore[arg-type]
            used = float(result["cpu"])  # type: ignore[arg-type]
            print(
                f"  {label:12} {seconds:6.2f}s {seconds / base_s:7.1f} {used:6.2f}s "
                f"{used / base_cpu:7.1f} {result['peak']:>5}MB "
                f"{result['lock']:>6}s {result['writes']:>7} {result['audit']:>5}  "
                f"{result['said']}  (other writer: {result['failed']} of {result['other']} failed)"
            )


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
    print(peak_mb())


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        import_one(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(sys.argv[2:])))
        return
    sizes = [int(arg) for arg in sys.argv[1:]] or list(SIZES)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for rows in sizes:
            compare(workdir, rows)
        print("hostile corpus, each file in its own process:")
        hostile_peaks(workdir)


if __name__ == "__main__":
    main()
