"""Sending pushes from the real Application: once, across restarts, 403s, retries, overlaps."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import clock
from bot.people.accounts import set_role
from bot.report import service as reporting
from bot.report.announcing import announce_deadline
from handlers.jobs import Delivery, deliver
from storage import targets as plans
from storage.db import connect
from tests.harness import Harness, Person, running_bot, shown

TZ = ZoneInfo("Asia/Shanghai")
ADMIN = Person(1001, "督查")
LIAISON = Person(2002, "水务")
# A Wednesday and a working day; the deadline a week later makes today the 7-day reminder.
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=TZ)
DEADLINE = date(2026, 12, 2)


async def prepare(harness: Harness) -> None:
    # The tests run each check themselves, at the moment they choose: no job checks meanwhile.
    harness.stop_push_job()
    db = harness.app.bot_data.db
    unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
    await set_role(
        db, telegram_id=LIAISON.id, role="liaison", binding_id=unit.id, actor="t", name="水务"
    )
    await reporting.set_period(db, "2023Q4", "open", DEADLINE, actor="test")


async def check(harness: Harness, now: datetime = NOW) -> tuple[Delivery, list[Any]]:
    """Run one check as the job does; return what it did and the Bot API calls it made."""
    services = harness.app.bot_data
    before = len(harness.request.calls)
    done = await deliver(harness.app.bot, services.db, services.settings, services.engine, now)
    return done, harness.request.calls[before:]


def to(calls: list[Any], chat: int) -> list[dict[str, Any]]:
    return [params for name, params in calls if name == "sendMessage" and params["chat_id"] == chat]


def pushes(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT kind, recipient, state, attempts FROM push ORDER BY key"
        ).fetchall()


async def test_a_due_reminder_goes_out_once_also_after_a_restart(tmp_path: Path) -> None:
    # The bot's clock is the check's (the button is pressed before the deadline, whatever the
    # real date).
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW.strftime("%Y-%m-%d %H:%M")
    ) as harness:
        await prepare(harness)
        done, calls = await check(harness)
        (sent,) = to(calls, LIAISON.id)
        assert sent["text"].startswith(
            "⏰ 填报提醒：市水务局 的 2023Q4 进度填报将于 2026-12-02 截止（还有 7 天），"
            "以下 3 个目标尚未提交：\n⬜ #90 持续推进"
        )
        labels = [b["text"] for row in sent["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["✍️ #90", "✍️ #93", "✍️ #96"]
        assert len(done.sent) == 1
        _, again = await check(harness, NOW + timedelta(hours=3))
        assert to(again, LIAISON.id) == []

        # The reminder's button starts the update of that target.
        pick = sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        card = shown(await harness.press(LIAISON, pick))
        assert card[0].startswith("#90 持续推进“七网”建设")
    async with running_bot(tmp_path, frozenset({ADMIN.id}), load_demo=False) as harness:
        _, after_restart = await check(harness, NOW + timedelta(hours=4))
        assert to(after_restart, LIAISON.id) == []
    assert pushes(tmp_path / "targetbot.db") == [("remind", LIAISON.id, "sent", 1)]


async def test_nobody_who_submitted_is_reminded(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await prepare(harness)
        db = harness.app.bot_data.db
        unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
        for task in await reporting.tasks(db, unit.id, "2023Q4"):
            draft = await reporting.begin(
                db,
                telegram_id=LIAISON.id,
                chat_id=LIAISON.id,
                unit_id=unit.id,
                task=task,
                period="2023Q4",
            )
            draft = reporting.set_status(
                reporting.ready(reporting.add_text(draft, "进展", 1)), "on_track"
            )
            await reporting.store(db, draft)
            await reporting.submit(
                db,
                draft.key,
                telegram_id=LIAISON.id,
                unit_id=unit.id,
                today=NOW.date(),
                days=5,
                review_required=False,
            )
        done, calls = await check(harness)
        assert to(calls, LIAISON.id) == []
        assert done.sent == []


async def test_a_user_who_blocked_the_bot_is_marked_inactive_and_named_to_admins(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await prepare(harness)
        harness.request.blocked.add(LIAISON.id)
        done, calls = await check(harness)
        assert len(done.blocked) == 1
        (notice,) = to(calls, ADMIN.id)
        assert notice["text"] == (
            "⚠️ 无法送达：水务（2002）（市水务局）已屏蔽机器人或停用账号，已标记为停用。请另行联系。"
        )
        with sqlite3.connect(harness.db_path) as conn:
            assert conn.execute("SELECT active FROM user WHERE telegram_id = 2002").fetchone() == (
                0,
            )
        # Not tried again, and admins are not told twice.
        _, again = await check(harness, NOW + timedelta(minutes=5))
        assert [p["chat_id"] for _, p in again if _ == "sendMessage"] == []
        assert ("remind", LIAISON.id, "blocked", 1) in pushes(harness.db_path)


async def test_failures_are_retried_with_backoff_then_reported(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await prepare(harness)
        harness.request.failing[LIAISON.id] = 2
        done, _ = await check(harness)
        assert len(done.retrying) == 1
        assert pushes(harness.db_path) == [("remind", LIAISON.id, "retry", 1)]
        done, calls = await check(harness, NOW + timedelta(seconds=30))  # not yet time
        assert to(calls, LIAISON.id) == []
        done, _ = await check(harness, NOW + timedelta(seconds=61))
        assert pushes(harness.db_path) == [("remind", LIAISON.id, "retry", 2)]
        done, calls = await check(harness, NOW + timedelta(seconds=61 + 301))
        assert len(to(calls, LIAISON.id)) == 1
        assert pushes(harness.db_path) == [("remind", LIAISON.id, "sent", 3)]

        # A push that never gets through is given up after five tries, and admins are told.
        harness.request.failing[LIAISON.id] = 99
        await harness.app.bot_data.db.execute("DELETE FROM push")
        moment = NOW
        for wait in (0, 61, 301, 1801, 7201):
            moment += timedelta(seconds=wait)
            done, calls = await check(harness, moment)
        assert len(done.failed) == 1
        (notice,) = to(calls, ADMIN.id)
        assert notice["text"].startswith(
            "⚠️ 推送多次失败：发给 水务（2002）（市水务局）的消息没有送达："
        )
        assert "Bad Gateway" in notice["text"]


async def test_overlapping_checks_send_each_push_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await prepare(harness)
        services = harness.app.bot_data
        other = await connect(harness.db_path)  # as `targetbot remind --send` would
        try:
            results = await asyncio.gather(
                deliver(harness.app.bot, services.db, services.settings, services.engine, NOW),
                deliver(harness.app.bot, other, services.settings, services.engine, NOW),
            )
        finally:
            await other.close()
        assert sum(len(r.sent) for r in results) == 1
        sends = [p for name, p in harness.request.calls if name == "sendMessage"]
        assert [p["chat_id"] for p in sends] == [LIAISON.id]


async def test_settings_mute_the_digest_and_admins_set_the_schedule(tmp_path: Path) -> None:
    leader = Person(4004, "王")
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await prepare(harness)
        db = harness.app.bot_data.db
        wang = next(x for x in await plans.list_leaders(db) if x.name == "王昌华")
        await set_role(db, telegram_id=leader.id, role="leader", binding_id=wang.id, actor="t")
        # Bound weeks before the Monday below (a leader bound on the day waits a week).
        await db.execute("UPDATE user SET bound_at = '2026-11-01T00:00:00+00:00'")
        shown_to_leader = await harness.send(leader, "/settings")
        assert "每周汇总：开启" in shown(shown_to_leader)[0]
        off = await harness.press(leader, "st:digest:off")
        assert "每周汇总：已关闭" in shown(off)[-1]
        monday = datetime(2026, 11, 30, 9, 30, tzinfo=TZ)
        _, calls = await check(harness, monday)
        assert to(calls, leader.id) == []  # muted: no digest
        await harness.press(leader, "st:digest:on")
        await harness.app.bot_data.db.execute("DELETE FROM push")
        _, calls = await check(harness, monday)
        (digest,) = to(calls, leader.id)
        assert digest["text"].startswith("📊 每周汇总（2026-11-30）· 王昌华 分管 42 个目标：")
        # The liaison still gets the deadline reminder (2 days before 12-02, on 11-30).
        assert len(to(calls, LIAISON.id)) == 1

        assert shown(await harness.send(leader, "/settings remind 5")) == [
            "只有管理员可以修改推送安排。发送 /settings 查看您的设置。"
        ]
        changed = shown(await harness.send(ADMIN, "/settings remind 10,5,2"))[0]
        assert "截止前 10,5,2 天提醒" in changed
        refused = shown(await harness.send(ADMIN, "/settings time 23:30"))[0]
        assert refused == "推送时间 23:30 落在免打扰时段内，推送永远不会发出。请换一个时间。"
        assert "每天 09:00 发送" in shown(await harness.send(ADMIN, "/settings"))[0]
        await harness.app.bot_data.db.execute("DELETE FROM push")
        # 10, 5 and 2 days before 12-02: 11-22 (Sunday → Friday 11-20), 11-27, 11-30. The bot
        # missed 11-20 (nothing was sent): it catches up once, then keeps to the schedule.
        for day, key_day in ((26, "11-20"), (26, None), (27, "11-27"), (28, None)):
            done, _ = await check(harness, datetime(2026, 11, day, 9, 30, tzinfo=TZ))
            assert [p.key for p in done.sent] == (
                [f"remind:2023Q4:{LIAISON.id}:2026-{key_day}"] if key_day else []
            )


async def submit(harness: Harness, number: int, at: datetime) -> None:
    """Submit a 市水务局 target's update at a moment, as the liaison, for review."""
    clock.set(lambda: at)
    db = harness.app.bot_data.db
    unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
    task = next(t for t in await reporting.tasks(db, unit.id, "2023Q4") if t.number == number)
    draft = await reporting.begin(
        db, telegram_id=LIAISON.id, chat_id=LIAISON.id, unit_id=unit.id, task=task, period="2023Q4"
    )
    draft = reporting.set_status(reporting.ready(reporting.add_text(draft, "进展", 1)), "on_track")
    await reporting.store(db, draft)
    await reporting.submit(
        db,
        draft.key,
        telegram_id=LIAISON.id,
        unit_id=unit.id,
        today=at.date(),
        days=5,
        review_required=True,
    )


async def test_admins_hear_of_submissions_to_review_in_one_gathered_message(
    tmp_path: Path,
) -> None:
    english_admin = Person(1002, "Office", "en")
    admins = frozenset({ADMIN.id, english_admin.id})
    async with running_bot(tmp_path, admins, REVIEW_REQUIRED="true") as harness:
        await prepare(harness)
        await set_role(
            harness.app.bot_data.db,
            telegram_id=english_admin.id,
            role="admin",
            binding_id=None,
            actor="t",
        )
        await harness.app.bot_data.db.execute(
            "UPDATE user SET language = 'en' WHERE telegram_id = ?", (english_admin.id,)
        )
        await submit(harness, 90, NOW)
        await submit(harness, 93, NOW + timedelta(minutes=2))
        _, calls = await check(harness, NOW + timedelta(minutes=4))
        assert to(calls, ADMIN.id) == []  # the liaison may still be at it: wait
        _, calls = await check(harness, NOW + timedelta(minutes=7))
        (notice,) = to(calls, ADMIN.id)
        assert notice["text"] == (
            "📝 有 2 份填报待审核：\n"
            "• #90 市水务局 · 2023Q4 第 1 版\n"
            "• #93 市水务局 · 2023Q4 第 1 版"
        )
        (english,) = to(calls, english_admin.id)
        assert english["text"].startswith("📝 2 updates await review:\n• #90 市水务局 · 2023Q4")
        _, calls = await check(harness, NOW + timedelta(minutes=20))
        assert to(calls, ADMIN.id) == []  # told once

        (button,) = notice["reply_markup"]["inline_keyboard"][0]
        assert button["text"] == "去审核"
        review = await harness.press(ADMIN, button["callback_data"])
        assert shown(review)[0].startswith("🔍 待审核（共 2 份，这是第 1 份）：\n#90")
        assert [name for name, _ in review] == ["answerCallbackQuery", "sendMessage"]

        # A later one: the next notice lists all that still wait.
        await submit(harness, 96, NOW + timedelta(minutes=30))
        _, calls = await check(harness, NOW + timedelta(minutes=36))
        (again,) = to(calls, ADMIN.id)
        assert again["text"].startswith("📝 有 3 份填报待审核：\n• #90")
        assert again["text"].endswith("• #96 市水务局 · 2023Q4 第 1 版")

        # Submitted late in the evening: told when the quiet hours end, not at night.
        evening = datetime(2026, 11, 25, 21, 50, tzinfo=TZ)
        await submit(harness, 90, evening)  # its second revision
        _, calls = await check(harness, evening + timedelta(minutes=30))  # 22:20: quiet
        assert to(calls, ADMIN.id) == []
        _, calls = await check(harness, datetime(2026, 11, 26, 8, 1, tzinfo=TZ))
        (morning,) = to(calls, ADMIN.id)
        assert morning["text"].startswith("📝 有 4 份填报待审核：")


async def test_two_pushes_due_at_once_reach_a_liaison_as_one_message(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await prepare(harness)
        # 2023 targets fall due at the end of 2023: on 2023-12-29, 7 days before a deadline set
        # for 2024-01-05, the report reminder and the due-date reminder come due together.
        await reporting.set_period(
            harness.app.bot_data.db, "2023Q4", "open", date(2024, 1, 5), actor="test"
        )
        done, calls = await check(harness, datetime(2023, 12, 29, 9, 0, tzinfo=TZ))
        assert sorted(p.kind for p in done.sent) == ["due", "remind"]
        (sent,) = to(calls, LIAISON.id)
        first, second = sent["text"].split("\n\n")
        assert first.startswith("⏰ 填报提醒：市水务局 的 2023Q4 进度填报将于 2024-01-05 截止")
        assert second.startswith("⏳ 目标到期提醒：以下 3 个目标快到完成时限")
        labels = [b["text"] for row in sent["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["✍️ #90", "✍️ #93", "✍️ #96"]
        assert pushes(harness.db_path) == [
            ("due", LIAISON.id, "sent", 1),
            ("remind", LIAISON.id, "sent", 1),
        ]


async def test_a_quarter_that_ended_mid_year_still_gets_its_overdue_notice(tmp_path: Path) -> None:
    """Q2's announced deadline 2023-07-05 passes and Q3 opens; Q2's overdue notice still comes."""
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        harness.stop_push_job()
        db = harness.app.bot_data.db
        unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
        await set_role(db, telegram_id=LIAISON.id, role="liaison", binding_id=unit.id, actor="t")
        told = await announce_deadline(db, date(2023, 6, 20), 5)  # the bot ran during Q2
        assert told is not None
        assert (told.period, told.deadline) == ("2023Q2", date(2023, 7, 5))

        _, calls = await check(harness, datetime(2023, 7, 6, 9, 30, tzinfo=TZ))
        (notice,) = to(calls, LIAISON.id)
        assert notice["text"].startswith(
            "⚠️ 市水务局 的 2023Q2 进度填报已于 2023-07-05 截止，以下 3 个"
        )
        (summary,) = to(calls, ADMIN.id)
        assert summary["text"].startswith("📣 催办汇总：2023Q2 进度填报已于 2023-07-05 截止")
        # Two weeks on, an ended quarter is not chased again.
        _, later = await check(harness, datetime(2023, 7, 24, 9, 30, tzinfo=TZ))
        assert to(later, LIAISON.id) == []
