"""End to end: people are answered side by side, each in order, and before a fan-out's pushes."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

from bot.plan.importer import DEMO_TABLE, import_file
from bot.report import service as reporting
from storage import targets as plans
from storage import users
from storage.db import connect, transaction
from storage.pushes import lead_duties
from tests.e2e.botapi import FakeBotAPI, User
from tests.e2e.conftest import ADMIN, LIAISON, BotProcess
from tests.e2e.test_limits_e2e import INDUSTRY, submit
from tests.e2e.test_query_e2e import bind, numbers
from tests.e2e.test_report_e2e import rows

FANOUT = 300  # liaisons reminded at once: about ten seconds at Telegram's 30 a second
ASKERS = [User(1100 + i, f"督查{i}", "zh") for i in range(10)]
REMINDER_DAY = date(2026, 11, 25)  # a Wednesday; the period's deadline is 7 days on


async def test_two_liaisons_updates_interleaved_each_keep_their_own_steps(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    await bind(api, LIAISON, "/invite liaison 水务局")
    await bind(api, INDUSTRY, "/invite liaison 工信局")

    water, industry = await asyncio.gather(
        submit(api, LIAISON, "水库除险加固完成八座"), submit(api, INDUSTRY, "新建5G基站1500个")
    )

    assert water[-1].startswith("✅ 已保存：#90")
    assert industry[-1].startswith("✅ 已保存：#")
    assert "水库除险加固完成八座" in "".join(water)
    assert "新建5G基站1500个" not in "".join(water)
    assert "水库除险加固完成八座" not in "".join(industry)
    stored = rows(
        tmp_path,
        "SELECT u.name, r.progress FROM report r JOIN assignment_unit au"
        " ON au.assignment_id = r.assignment_id AND au.position = 1"
        " JOIN unit u ON u.id = au.unit_id WHERE r.source != 'import' ORDER BY u.name",
    )
    assert stored == [
        ("市工业和信息化局", "新建5G基站1500个"),
        ("市水务局", "水库除险加固完成八座"),
    ]


async def test_questions_sent_back_to_back_are_answered_in_their_order(
    api: FakeBotAPI, bot: BotProcess
) -> None:
    asked = [48, 86, 90, 57, 93]
    for number in asked:
        await api.user_sends(ADMIN, f"#{number}")
    answers = [await api.reply(ADMIN.id) for _ in asked]
    assert [numbers(answer)[0] for answer in answers] == asked


async def prepare_fanout(db: Path, liaisons: int) -> None:
    """Load the demo table, bind liaisons to the units that lead targets (each owes updates, so
    each gets one reminder) and open 2023Q4 with its deadline a week from the reminder day."""
    conn = await connect(db)
    try:
        await import_file(conn, DEMO_TABLE, actor="test")
        plan = await plans.current_plan(conn)
        assert plan is not None
        units = sorted({row.unit_id for row in await lead_duties(conn, plan.id)})
        async with transaction(conn):
            for i in range(liaisons):
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
        await reporting.set_period(conn, "2023Q4", "open", deadline, actor="test")
    finally:
        await conn.close()


async def test_people_asking_during_a_fanout_are_answered_before_its_remaining_pushes(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    db = tmp_path / "targetbot.db"
    await prepare_fanout(db, FANOUT)
    api.send_limit = 30  # Telegram's overall limit: more in one second would answer 429
    admins = ",".join(str(u.id) for u in [ADMIN, *ASKERS])
    env = {**bot_env, "FAKE_TIME": f"{REMINDER_DAY} 09:30", "ADMIN_IDS": admins}
    bot = BotProcess(api, tmp_path, env)
    await bot.start()
    try:
        liaisons = set(range(100_000, 100_000 + FANOUT))

        def pushed() -> list[int]:
            return [s.seq for s in api.outbox if s.chat_id in liaisons]

        await api.wait_until(lambda: bool(pushed()), within=30)
        for user in ASKERS:
            await api.user_sends(user, "#48")
        answers = [await api.reply(user.id, within=60) for user in ASKERS]
        assert all(numbers(answer)[0] == 48 for answer in answers)
        await api.wait_until(lambda: len(pushed()) >= FANOUT, within=120)

        # Every answer came while the fan-out still had pushes to send.
        assert max(answer.seq for answer in answers) < max(pushed())
        # Each liaison got the one reminder, and Telegram's limit was never passed.
        received = [s.chat_id for s in api.outbox if s.chat_id in liaisons]
        assert sorted(received) == sorted(liaisons)
        assert all(s.text.startswith("⏰ 填报提醒") for s in api.outbox if s.chat_id in liaisons)
        assert [r for r in api.refused if r[0] == 429] == []
    finally:
        await bot.stop()
