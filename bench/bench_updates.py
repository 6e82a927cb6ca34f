"""Benchmark: the running bot's updates end to end, beside bare PTB on the same server.

Run with `make bench` (or `.venv/bin/python -m bench.bench_updates [SIZE ...] [--no-burst]`;
sizes default to the demo table (57 targets), 10,000 and 100,000). The bot runs as its own
process, polling the test Bot API server (tests/e2e/botapi.py) on 127.0.0.1 over HTTP, as
`targetbot run` does; updates are offered through getUpdates and a reply is timed when the
server receives it.

Per size, beside bare PTB (an Application with one handler replying "ok", same server, same
transport) measured in the same run:
- start to first answer: the process started, a question waiting, until its answer arrives;
- updates/s: 100 people each send one update at once (after a warm-up round), three rounds,
  the median; a question, then a /report step (a liaison's listing);
- CPU ms/update: the bot process's CPU time (all its threads) over those rounds, per update:
  the per-update cost, which neither the server's share of the machine nor other work on it
  changes much (× bare: ours over bare PTB's);
- p95 ms: one person, one update at a time, from offered to replied;
- peak RSS: the bot process's peak resident memory (VmHWM) once all that is done.
Telegram's send limits would cap both at 29 replies a second, so here the bot's pacer is
lifted (the same code, limits of a million a second); the burst below keeps them.

The burst: 50 people ask at once while a reminder fan-out to 1,000 liaisons runs (the real
`targetbot run`, Telegram's limits kept, the server refusing a 31st message in any second),
beside the same with how the bot ran before (one update at a time, PTB's AIORateLimiter, which
serves answers and pushes in turn). Printed: each answer's latency (max, p95), the fan-out's
rate, the most messages in any one second, 429s, and reminders lost.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from bench.bench_query import percentile
from bench.synthetic import generate
from bot.plan.importer import DEMO_TABLE, import_file
from bot.report import service as reporting
from storage import targets as plans
from storage import users
from storage.db import connect, transaction
from storage.pushes import lead_duties
from tests.e2e.botapi import FakeBotAPI, Sent, User

TOKEN = "123456789:BENCHtokenForTheUpdates_0123456789"
PEOPLE = 100  # people sending one update each in a round
ROUNDS = 3
ONE_BY_ONE = 40  # updates of one person, each after the last one's reply
QUESTIONS = ["王昌华", "人社局", "滞后", "5G", "#48", "王昌华 医保", "工信局 5G", "就业", "水务局"]
ADMINS = [User(5000 + i, f"督查{i}", "zh") for i in range(PEOPLE)]
LIAISONS = [User(6000 + i, f"水务{i}", "zh") for i in range(PEOPLE)]
QUIET = "2026-11-25 23:00"  # quiet hours: no push comes between the measured updates
REMINDER_DAY = date(2026, 11, 25)  # a Wednesday; the period's deadline a week on
FANOUT = 1_000
ASKERS = [User(7000 + i, f"领导{i}", "zh") for i in range(50)]


@dataclass
class Server(FakeBotAPI):
    """The test server, keeping what the bot sent in each chat for quick lookup."""

    by_chat: dict[int, list[Sent]] = field(default_factory=dict)

    def _show(self, sent: Sent) -> Sent:
        shown = super()._show(sent)
        if shown.from_bot and shown.method != "answerCallbackQuery":
            self.by_chat.setdefault(shown.chat_id, []).append(shown)
        return shown

    def first_after(self, chat_id: int, seq: int) -> Sent | None:
        """Return the bot's first message in a chat after sequence number `seq`, if any."""
        for sent in self.by_chat.get(chat_id, ()):
            if sent.seq > seq:
                return sent
        return None


# ---------------------------------------------------------------- the bots, each a process


class Process:
    """A bot process polling the server."""

    def __init__(self, api: Server, workdir: Path, env: dict[str, str], *args: str) -> None:
        self.api, self.workdir, self.env, self.args = api, workdir, env, args
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0.0

    async def start(self) -> None:
        """Start the process (not waiting for it to poll)."""
        self.started = time.monotonic()
        with (self.workdir / "bot.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *self.args, env=self.env, stdout=log, stderr=log
            )

    def cpu(self) -> float:
        """Return the CPU seconds the process has used so far, all its threads (Linux)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_mb(self) -> float:
        """Return the process's peak resident memory so far, in MB (Linux: VmHWM)."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return next(int(line.split()[1]) / 1024 for line in status.splitlines() if "VmHWM" in line)

    async def stop(self) -> None:
        """Stop it as a service manager would (SIGTERM); say if it logged an error."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 60)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        log = (self.workdir / "bot.log").read_text(errors="replace")
        (self.workdir / "bot.log").unlink()
        errors = [line for line in log.splitlines() if line.startswith(("Error", "Traceback"))]
        if errors:
            last = [line for line in log.splitlines() if line and not line[0].isspace()][-1]
            print(f"  ({' '.join(self.args)} logged {len(errors)} errors; last: {last})")


def environment(api: Server, db: Path, admins: list[User], fake_time: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api.url,
        DATABASE_PATH=str(db),
        ADMIN_IDS=",".join(str(u.id) for u in admins),
        FAKE_TIME=fake_time,
        PYTHONUNBUFFERED="1",
    )
    return env


# ---------------------------------------------------------------- measuring


async def offer(api: Server, user: User, text: str) -> tuple[int, float]:
    """Offer a message from `user`; return the sequence number before it and when it came."""
    before, at = api.last_seq, time.monotonic()
    await api.user_sends(user, text)
    return before, at


async def replied(api: Server, user: User, seq: int, within: float = 300.0) -> Sent:
    """Wait for the bot's first message to `user` after `seq`."""
    await api.wait_until(lambda: api.first_after(user.id, seq) is not None, within)
    sent = api.first_after(user.id, seq)
    assert sent is not None
    return sent


async def a_round(api: Server, people: list[User], texts: list[str]) -> float:
    """Offer one update of each person at once; return updates a second until all replied."""
    offered = [await offer(api, user, texts[i % len(texts)]) for i, user in enumerate(people)]
    started = offered[0][1]
    answers = [
        await replied(api, user, seq) for user, (seq, _) in zip(people, offered, strict=True)
    ]
    return len(people) / (max(a.at for a in answers) - started)


async def one_by_one(api: Server, user: User, texts: list[str]) -> list[float]:
    """Offer updates of one person, each after the last one's reply; return each latency."""
    latencies = []
    for i in range(ONE_BY_ONE):
        seq, at = await offer(api, user, texts[i % len(texts)])
        latencies.append((await replied(api, user, seq)).at - at)
    return latencies


@dataclass
class Measured:
    start_s: float
    question: tuple[float, float, float]  # updates/s, CPU ms an update, p95 ms
    report: tuple[float, float, float]
    peak_mb: float  # the whole process's peak resident memory (VmHWM) after it all


async def measure(kind: str, db: Path, workdir: Path) -> Measured:
    """Run one bot on the database and measure it."""
    api = Server(TOKEN)
    await api.start()
    env = environment(api, db, ADMINS, QUIET)
    args = ("-m", "bench.serve", kind)
    bot = Process(api, workdir, env, *args)
    try:
        # Start to first answer: the question waits on the server while the process starts.
        await bot.start()
        seq, _ = await offer(api, ADMINS[0], QUESTIONS[0])
        first = await replied(api, ADMINS[0], seq, within=900)  # 100k: the index built first
        start_s = first.at - bot.started
        results: dict[str, tuple[float, float, float]] = {}
        for name, people, texts in (
            ("question", ADMINS, QUESTIONS),
            ("report", LIAISONS, ["/report"]),
        ):
            await a_round(api, people, texts)  # warm-up: each person's first update
            cpu = bot.cpu()
            rates = [await a_round(api, people, texts) for _ in range(ROUNDS)]
            cpu_ms = 1000 * (bot.cpu() - cpu) / (ROUNDS * len(people))
            latencies = await one_by_one(api, people[1], texts)
            results[name] = (statistics.median(rates), cpu_ms, 1000 * percentile(latencies, 95))
        peak = bot.peak_mb()
    finally:
        await bot.stop()
        await api.stop()
    return Measured(start_s, results["question"], results["report"], peak)


# ---------------------------------------------------------------- data


async def bind_liaisons(db: Path, people: list[User], unit: str = "市水务局") -> None:
    conn = await connect(db)
    try:
        async with conn.execute("SELECT id FROM unit WHERE name = ?", (unit,)) as cursor:
            row = await cursor.fetchone()
        assert row is not None, unit
        async with transaction(conn):
            for user in people:
                await users.bind(
                    conn,
                    user.id,
                    "liaison",
                    unit_id=int(row[0]),
                    leader_id=None,
                    at="2026-11-25T00:00:00+00:00",
                    name=user.first_name,
                )
    finally:
        await conn.close()


async def demo_database(db: Path) -> None:
    conn = await connect(db)
    try:
        await import_file(conn, DEMO_TABLE, actor="bench")
    finally:
        await conn.close()


def database(size: int, workdir: Path) -> Path:
    """Return a database of `size` targets (0: the demo table) with liaisons of 市水务局."""
    db = workdir / f"updates-{size}.db"
    if size:
        generate(db, size)
    else:
        asyncio.run(demo_database(db))
    asyncio.run(bind_liaisons(db, LIAISONS))
    return db


def targets_in(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM target").fetchone()[0])


# ---------------------------------------------------------------- the burst during a fan-out


async def fanout_database(db: Path) -> None:
    """The demo table, 1,000 liaisons of the units that lead targets, 2023Q4 open."""
    conn = await connect(db)
    try:
        await import_file(conn, DEMO_TABLE, actor="bench")
        plan = await plans.current_plan(conn)
        assert plan is not None
        units = sorted({row.unit_id for row in await lead_duties(conn, plan.id)})
        async with transaction(conn):
            for i in range(FANOUT):
                await users.bind(
                    conn,
                    100_000 + i,
                    "liaison",
                    unit_id=units[i % len(units)],
                    leader_id=None,
                    at="2026-11-25T00:00:00+00:00",
                    name=f"联络员{i}",
                )
        deadline = REMINDER_DAY + timedelta(days=7)
        await reporting.set_period(conn, "2023Q4", "open", deadline, actor="bench")
    finally:
        await conn.close()


async def burst(kind: str, workdir: Path) -> dict[str, float]:
    """50 people ask at once while the fan-out runs; return what they and the liaisons saw."""
    db = workdir / f"burst-{kind}.db"
    await fanout_database(db)
    api = Server(TOKEN, send_limit=30)
    await api.start()
    env = environment(api, db, ASKERS, f"{REMINDER_DAY} 09:30")
    args = ("-m", "bot", "run") if kind == "ours" else ("-m", "bench.serve", kind)
    bot = Process(api, workdir, env, *args)
    liaisons = range(100_000, 100_000 + FANOUT)

    def pushes() -> list[Sent]:
        return [s for chat in liaisons for s in api.by_chat.get(chat, ())]

    try:
        await bot.start()
        # The fan-out well under way (100 reminders out), everybody asks at once.
        await api.wait_until(lambda: sum(1 for c in liaisons if c in api.by_chat) >= 100, 300)
        offered = [await offer(api, user, "#48") for user in ASKERS]
        answers = [
            await replied(api, user, seq) for user, (seq, _) in zip(ASKERS, offered, strict=True)
        ]
        latencies = [a.at - at for a, (_, at) in zip(answers, offered, strict=True)]
        # Until the fan-out is done: every liaison reminded, or nothing more for 10 seconds.
        seen = -1
        while seen != len(pushes()) and len(pushes()) < FANOUT:
            seen = len(pushes())
            await asyncio.sleep(10)
    finally:
        await bot.stop()
        await api.stop()
    sent = pushes()
    times = sorted(s.at for s in api.outbox if s.method == "sendMessage")
    busiest = max(
        (sum(1 for t in times[i : i + 40] if t < start + 1.0) for i, start in enumerate(times)),
        default=0,
    )
    span = max(s.at for s in sent) - min(s.at for s in sent)
    return {
        "answer_max": max(latencies),
        "answer_p95": percentile(latencies, 95),
        "rate": (len(sent) - 1) / span if span else 0.0,
        "busiest": busiest,
        "429s": sum(1 for status, _ in api.refused if status == 429),
        "lost": FANOUT - len({s.chat_id for s in sent}),
        "twice": len(sent) - len({s.chat_id for s in sent}),
    }


# ---------------------------------------------------------------- the table


def main(argv: list[str]) -> None:
    with_burst = "--no-burst" not in argv
    only_burst = "--only-burst" in argv
    sizes = [int(a) for a in argv if a.isdigit()] or [0, 10_000, 100_000]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not only_burst:
            updates(sizes, workdir)
        if with_burst:
            bursts(workdir)


def updates(sizes: list[int], workdir: Path) -> None:
    """Print the table of updates per size, bare PTB first."""
    print("updates end to end over HTTP (getUpdates), bot as its own process", flush=True)
    bare = asyncio.run(measure("bare", database(0, workdir), workdir))
    print(
        "targets | start to first answer s"
        " | question: updates/s | CPU ms/update | × bare | p95 ms"
        " | /report step: updates/s | CPU ms/update | × bare | p95 ms | peak RSS MB"
    )
    print(f"bare PTB | {bare.start_s:.2f} | {row(bare, bare)}", flush=True)
    for size in sizes:
        db = database(size, workdir)
        ours = asyncio.run(measure("unpaced", db, workdir))
        print(f"{targets_in(db):,} | {ours.start_s:.2f} | {row(ours, bare)}", flush=True)
        db.unlink()


def row(ours: Measured, bare: Measured) -> str:
    """Return a size's cells: per kind of update, its rate, its cost (and × bare's), its p95."""
    cells = []
    for mine, base in ((ours.question, bare.question), (ours.report, bare.report)):
        ups, cpu_ms, p95 = mine
        cells.append(f"{ups:.0f} | {cpu_ms:.2f} | {cpu_ms / base[1]:.1f}× | {p95:.0f}")
    return " | ".join(cells) + f" | {ours.peak_mb:.0f}"


def bursts(workdir: Path) -> None:
    """Print the burst during a fan-out, before and now."""
    print()
    print(
        f"{len(ASKERS)} people ask at once during a fan-out to {FANOUT:,} liaisons "
        "(server limit 30 messages/s)"
    )
    print(
        "bot | answer max s | answer p95 s | fan-out messages/s | most in 1 s | 429s"
        " | reminders lost | sent twice"
    )
    for kind, name in (("before", "before: in turn, AIORateLimiter"), ("ours", "ours")):
        r = asyncio.run(burst(kind, workdir))
        print(
            f"{name} | {r['answer_max']:.2f} | {r['answer_p95']:.2f} | {r['rate']:.1f} | "
            f"{int(r['busiest'])} | {int(r['429s'])} | {int(r['lost'])} | {int(r['twice'])}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
