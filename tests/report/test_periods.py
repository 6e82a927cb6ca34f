"""The open period and its deadline: a deadline once announced holds after it passes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot import clock
from bot.i18n import Translator
from bot.report.periods import OpenPeriod, choose_open_period
from handlers.admin import announce_now
from tests.harness import Person, running_bot, shown

zh, en = Translator("zh"), Translator("en")
ADMIN = Person(1001, "督查")
SHANGHAI = timedelta(hours=8)


def at(day: str, hour: int = 10) -> datetime:
    """Return a local moment in Shanghai as an aware UTC datetime."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=UTC) - SHANGHAI


@pytest.mark.parametrize(
    ("today", "decisions", "expected"),
    [
        # Computed, never announced: the plan's year is over, the period stays open undated.
        (date(2024, 1, 8), {}, OpenPeriod("2023Q4", None, "plan")),
        # Announced: the deadline holds after it passed.
        (
            date(2024, 1, 8),
            {"2023Q4": ("announced", date(2024, 1, 5))},
            OpenPeriod("2023Q4", date(2024, 1, 5), "announced"),
        ),
        # Announced while the calendar still decides: the announced date, not a recomputed one.
        (
            date(2024, 1, 2),
            {"2023Q4": ("announced", date(2024, 1, 5))},
            OpenPeriod("2023Q4", date(2024, 1, 5), "announced"),
        ),
        # An announced deadline later than the calendar's keeps its period open until then.
        (
            date(2024, 1, 8),
            {"2023Q4": ("announced", date(2024, 1, 10))},
            OpenPeriod("2023Q4", date(2024, 1, 10), "announced"),
        ),
        # The quarter after an announced one: the calendar goes on.
        (
            date(2023, 10, 8),
            {"2023Q3": ("announced", date(2023, 10, 5))},
            OpenPeriod("2023Q4", date(2024, 1, 5), "calendar"),
        ),
        # An admin's change wins over an announced deadline; a close ends it.
        (
            date(2024, 1, 8),
            {"2023Q4": ("open", date(2024, 1, 15))},
            OpenPeriod("2023Q4", date(2024, 1, 15), "admin"),
        ),
        (date(2024, 1, 8), {"2023Q4": ("closed", date(2024, 1, 5))}, None),
        # The demo in the real year 2026: nothing was announced, open without a deadline.
        (date(2026, 12, 2), {}, OpenPeriod("2023Q4", None, "plan")),
    ],
)
def test_an_announced_deadline_holds_until_an_admin_changes_it(
    today: date, decisions: dict[str, tuple[str, date | None]], expected: OpenPeriod | None
) -> None:
    chosen = choose_open_period(
        plan_year=2023, today=today, latest_reported="2023Q3", decisions=decisions
    )
    assert chosen == expected


async def test_period_shows_the_announced_deadline_after_it_passed(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        clock.set(lambda: at("2024-01-08"))
        # Only computed so far (no running bot had the period open): no deadline to keep.
        assert shown(await harness.send(ADMIN, "/period")) == [
            "开放填报：2023Q4 · 截止：未定（管理员关闭前一直开放）"
            "（计划年度已过，接着最近一期开放）"
        ]
        clock.set(lambda: at("2024-01-02"))
        assert shown(await harness.send(ADMIN, "/period")) == [
            "开放填报：2023Q4 · 截止：2024-01-05（按季度：季度结束后 5 天截止）"
        ]
        await announce_now(harness.app.bot_data)  # what the running bot does every minute
        clock.set(lambda: at("2024-01-08"))
        assert shown(await harness.send(ADMIN, "/period")) == [
            "开放填报：2023Q4 · 截止：2024-01-05，已过，不再接受填报"
            "（按季度默认截止日公布，管理员修改前一直有效）\n"
            "延期：/period deadline 年-月-日；结束本期：/period close 2023Q4。"
        ]
        await harness.send(ADMIN, "/lang en")
        assert shown(await harness.send(ADMIN, "/period")) == [
            "Open for reports: 2023Q4 · deadline: 2024-01-05, passed: no more reports are taken"
            " (announced under the default rule for quarters; it holds until an admin changes it)\n"
            "To extend it: /period deadline YYYY-MM-DD; to end the period: /period close 2023Q4."
        ]
        # The admin moves it: the admin's date holds from now on.
        await harness.send(ADMIN, "/period deadline 2024-01-12")
        with sqlite3.connect(harness.db_path) as conn:
            assert conn.execute("SELECT period, state, deadline FROM period").fetchall() == [
                ("2023Q4", "open", "2024-01-12")
            ]


async def test_the_demo_stays_open_without_a_deadline_in_its_late_year(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        clock.set(lambda: at("2026-12-02"))
        await announce_now(harness.app.bot_data)
        assert shown(await harness.send(ADMIN, "/period")) == [
            "开放填报：2023Q4 · 截止：未定（管理员关闭前一直开放）"
            "（计划年度已过，接着最近一期开放）"
        ]
        with sqlite3.connect(harness.db_path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM period").fetchone() == (0,)


async def test_a_deadline_told_by_reminders_before_the_upgrade_is_kept(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        # What an older targetbot left: a reminder sent, no deadline kept.
        await harness.app.bot_data.db.execute(
            "INSERT INTO push (key, kind, recipient, text, state, created_at, sent_at) "
            "VALUES ('remind:2023Q4:2002:2024-01-02', 'remind', 2002, ?, 'sent', ?, ?)",
            (
                "⏰ 填报提醒：市水务局 的 2023Q4 进度填报将于 2024-01-05 截止（还有 3 天），"
                "以下 3 个目标尚未提交：\n⬜ #90 持续推进“七网”建设",
                "2024-01-02T01:00:00+00:00",
                "2024-01-02T01:00:00+00:00",
            ),
        )
        await harness.app.bot_data.db.commit()
        clock.set(lambda: at("2024-01-08"))
        await announce_now(harness.app.bot_data)
        assert shown(await harness.send(ADMIN, "/period"))[0].startswith(
            "开放填报：2023Q4 · 截止：2024-01-05，已过，不再接受填报"
        )


def test_an_announced_period_does_not_come_back_after_a_later_one_closed() -> None:
    # Q3 was announced and got no reports; an admin then closed Q4: Q3 is over too.
    chosen = choose_open_period(
        plan_year=2023,
        today=date(2024, 1, 8),
        latest_reported=None,
        decisions={"2023Q3": ("announced", date(2023, 10, 5)), "2023Q4": ("closed", None)},
    )
    assert chosen is None  # nothing open until an admin opens a period
