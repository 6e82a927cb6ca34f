"""Visits: who wrote to the bot and when, kept without a write transaction per message."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram.ext import Job

from bot import clock
from bot.people.accounts import set_role
from handlers.access import store_visits
from storage import targets as plans
from tests.harness import Harness, Person, running_bot

ADMIN = Person(1001, "督查")
LEADER = Person(4004, "王")
START = datetime(2023, 11, 1, 9, 0, tzinfo=UTC)


def user_row(path: Path, telegram_id: int) -> tuple[object, ...] | None:
    """Return the stored name, last-seen time and active flag of a user (another connection)."""
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT name, last_seen_at, active FROM user WHERE telegram_id = ?", (telegram_id,)
        ).fetchone()
    return tuple(row) if row else None


def at(moment: datetime) -> str:
    return clock.stamp(moment)


class Writes:
    """Counts the write transactions the bot's connection begins."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, sql: str) -> None:
        self.statements.append(" ".join(sql.split()).upper())

    @property
    def transactions(self) -> int:
        return sum(s.startswith("BEGIN") for s in self.statements)


async def counting(harness: Harness) -> Writes:
    writes = Writes()
    await harness.app.bot_data.db.set_trace_callback(writes)
    return writes


async def test_a_visit_is_written_at_once_only_when_it_changes_more_than_the_time(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        clock.set(lambda: START)
        stranger = Person(3003, "路人")
        await harness.send(stranger, "/help")  # new to the bot: stored at once
        assert user_row(harness.db_path, 3003) == ("路人", at(START), 1)

        writes = await counting(harness)
        clock.set(lambda: START + timedelta(seconds=30))
        await harness.send(stranger, "/help")  # the same minute: nothing to write
        clock.set(lambda: START + timedelta(minutes=5))
        await harness.send(stranger, "/whoami")  # a later time: noted, not written yet
        assert writes.transactions == 0
        assert user_row(harness.db_path, 3003) == ("路人", at(START), 1)

        # The minute's job stores the noted times, in one transaction.
        await Job(store_visits, name="visits").run(harness.app)
        assert writes.transactions == 1
        assert user_row(harness.db_path, 3003) == ("路人", at(START + timedelta(minutes=5)), 1)

        # A new name is written at once: admins find people by it (/revoke 王).
        clock.set(lambda: START + timedelta(minutes=6))
        await harness.send(Person(3003, "新名字"), "/help")
        assert user_row(harness.db_path, 3003) == ("新名字", at(START + timedelta(minutes=6)), 1)

        # Back after blocking the bot (marked inactive by a 403): active again at once.
        with sqlite3.connect(harness.db_path) as conn:
            conn.execute("UPDATE user SET active = 0 WHERE telegram_id = 3003")
        clock.set(lambda: START + timedelta(minutes=6, seconds=10))
        await harness.send(Person(3003, "新名字"), "/help")
        assert user_row(harness.db_path, 3003) == (
            "新名字",
            at(START + timedelta(minutes=6, seconds=10)),
            1,
        )


async def test_noted_visits_are_stored_when_the_bot_stops(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        clock.set(lambda: START)
        await harness.send(LEADER, "/help")
        clock.set(lambda: START + timedelta(minutes=3))
        await harness.send(LEADER, "/help")
        assert user_row(harness.db_path, LEADER.id) == ("王", at(START), 1)
    assert user_row(tmp_path / "targetbot.db", LEADER.id) == (
        "王",
        at(START + timedelta(minutes=3)),
        1,
    )


async def test_a_question_makes_at_most_one_write_transaction_and_keeps_the_visit(
    tmp_path: Path,
) -> None:
    """The question kept for its page buttons and the noted visits share one transaction;
    nobody was told either is saved, so it runs with synchronous=NORMAL (no disk sync)."""
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        clock.set(lambda: START)
        db = harness.app.bot_data.db
        wang = next(x for x in await plans.list_leaders(db) if x.name == "王昌华")
        await set_role(db, telegram_id=LEADER.id, role="leader", binding_id=wang.id, actor="t")
        await harness.send(LEADER, "/help")  # the name is stored (it was not known)
        writes = await counting(harness)

        clock.set(lambda: START + timedelta(minutes=5))
        answered = await harness.send(LEADER, "我的目标")  # a page of targets, with buttons
        assert writes.transactions == 1
        assert "PRAGMA SYNCHRONOUS = NORMAL" in writes.statements
        markup = answered[-1][1]["reply_markup"]
        pages = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
        turn = next(data for data in pages if data.startswith("qp:"))
        query_id = int(turn.split(":")[1])
        with sqlite3.connect(harness.db_path) as conn:
            kept = conn.execute(
                "SELECT telegram_id, text FROM saved_query WHERE id = ?", (query_id,)
            ).fetchone()
        assert kept == (LEADER.id, "我的目标")
        assert user_row(harness.db_path, LEADER.id) == ("王", at(START + timedelta(minutes=5)), 1)

        # A question answered by one target's details keeps nothing: no write at all.
        clock.set(lambda: START + timedelta(minutes=5, seconds=20))
        before = writes.transactions
        await harness.send(LEADER, "#48")
        assert writes.transactions == before
        # Turning the page reads the kept question.
        assert (await harness.press(LEADER, turn))[-1][0] == "editMessageText"
        assert writes.transactions == before
