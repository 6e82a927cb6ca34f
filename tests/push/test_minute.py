"""The minute's check keeps its plan between checks, and plans again whatever changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import aiosqlite

from bot.i18n import Translator
from bot.people.accounts import set_role
from bot.push import service as pushes
from bot.push.digest import leader_lights
from bot.push.planner import Light
from bot.query.engine import QueryEngine
from bot.report import service as reporting
from bot.settings import Settings
from storage import targets as plans
from storage import users
from storage.db import transaction

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)  # a working Monday: reminders and digests
DEADLINE = date(2026, 11, 30)  # 7 days on: today is the 7-day reminder
WATER, ECOLOGY, LEADER = 2001, 2002, 3001
LONG_AGO = "2026-01-01T00:00:00+00:00"
t = Translator("zh")


async def liaison(conn: aiosqlite.Connection, telegram_id: int, unit: str) -> None:
    unit_id = await plans.unit_id(conn, unit)
    await set_role(
        conn, telegram_id=telegram_id, role="liaison", binding_id=unit_id, actor="t", name=unit
    )


async def claimed(
    conn: aiosqlite.Connection, minute: pushes.Minute, at: datetime
) -> list[tuple[str, int]]:
    """Run one check as the bot's job does; return (kind, recipient) of what it claimed."""
    found = await pushes.claim_due(conn, Settings(), at, t, minute)
    for push in found:
        await pushes.settled(conn, push, "sent", at)
    return sorted((push.kind, push.recipient) for push in found)


async def test_a_check_claims_each_push_once_and_plans_again_after_any_change(
    demo: aiosqlite.Connection,
) -> None:
    minute = pushes.Minute()
    try:
        await liaison(demo, WATER, "市水务局")
        # No period open yet: nothing is due.
        assert await claimed(demo, minute, MONDAY) == []
        # A period opened (audited) between two checks: its reminder goes out at the next one.
        await reporting.set_period(demo, "2023Q4", "open", DEADLINE, actor="test")
        assert await claimed(demo, minute, MONDAY + timedelta(minutes=1)) == [("remind", WATER)]
        assert await claimed(demo, minute, MONDAY + timedelta(minutes=2)) == []
        # Someone bound since: only the newcomer is reminded.
        await liaison(demo, ECOLOGY, "市生态环境局")
        assert await claimed(demo, minute, MONDAY + timedelta(minutes=3)) == [("remind", ECOLOGY)]
        # A user who blocked the bot writes again (not audited): nothing is sent twice.
        async with transaction(demo):
            await users.set_active(demo, WATER, False)
        assert await claimed(demo, minute, MONDAY + timedelta(minutes=4)) == []
        async with transaction(demo):
            await users.set_active(demo, WATER, True)
        assert await claimed(demo, minute, MONDAY + timedelta(minutes=5)) == []
        # A fresh Minute (a restart) sends nothing claimed before.
        restarted = pushes.Minute()
        try:
            assert await claimed(demo, restarted, MONDAY + timedelta(hours=3)) == []
        finally:
            await restarted.close()
    finally:
        await minute.close()
    async with demo.execute("SELECT kind, recipient, state FROM push ORDER BY key") as cursor:
        assert [tuple(row) for row in await cursor.fetchall()] == [
            ("remind", WATER, "sent"),
            ("remind", ECOLOGY, "sent"),
        ]


async def test_a_digest_claimed_is_not_planned_again_and_a_new_leader_gets_theirs(
    demo: aiosqlite.Connection,
) -> None:
    minute = pushes.Minute()
    cao = await plans.leader_id(demo, "曹临")
    nie = await plans.leader_id(demo, "聂元科")
    try:
        async with transaction(demo):
            await users.bind(demo, LEADER, "leader", unit_id=None, leader_id=cao, at=LONG_AGO)
        first = await pushes.claim_due(demo, Settings(), MONDAY, t, minute)
        (digest,) = [push for push in first if push.kind == "digest"]
        assert digest.recipient == LEADER
        assert digest.text.startswith("📊 每周汇总（2026-11-23）· 曹临 分管 ")
        for push in first:
            await pushes.settled(demo, push, "sent", MONDAY)
        async with transaction(demo):
            today = MONDAY.isoformat()
            await users.bind(demo, LEADER + 1, "leader", unit_id=None, leader_id=nie, at=today)
        # The role was given today: the newcomer's first digest comes next week.
        assert await claimed(demo, minute, MONDAY + timedelta(minutes=1)) == []
        next_monday = MONDAY + timedelta(days=7)
        assert await claimed(demo, minute, next_monday) == [
            ("digest", LEADER),
            ("digest", LEADER + 1),
        ]
    finally:
        await minute.close()


async def test_a_digest_reads_the_same_lights_as_a_question_shows(
    demo: aiosqlite.Connection,
) -> None:
    plan = await plans.current_plan(demo)
    assert plan is not None
    leaders = [leader.id for leader in await plans.list_leaders(demo)]
    today = date(2023, 11, 6)
    engine = QueryEngine(15)
    expected = {
        leader: [Light(h.target.number, h.target.content, h.light, h.status) for h in hits]
        for leader, hits in (await engine.leader_lights(demo, leaders, today)).items()
    }
    found = await leader_lights(demo, plan.id, plan.year, leaders, today, 0.15)
    assert found == expected
    lights = {light.number: light.light for light in found[await plans.leader_id(demo, "曹临")]}
    assert lights[90] == "🟡"  # 16.32 of 30 亿元 reported on track: at risk
