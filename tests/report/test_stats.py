"""A quarter's statistics: counts by light per leader and unit, missing and late reports."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import aiosqlite
import pytest

from bot.query.engine import QueryEngine
from bot.report.stats import NoStats, period_stats
from storage import targets

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 2)


async def _stats(conn: aiosqlite.Connection, **kwargs: object) -> dict[str, object]:
    found = await period_stats(conn, QueryEngine(), today=TODAY, zone=SHANGHAI, **kwargs)  # type: ignore[arg-type]
    return found.as_json()


async def _assignment(conn: aiosqlite.Connection, number: int) -> tuple[int, int]:
    """Return (assignment id, lead unit id) of a target's first row."""
    async with conn.execute(
        "SELECT a.id, au.unit_id FROM assignment a JOIN target t ON t.id = a.target_id "
        "JOIN assignment_unit au ON au.assignment_id = a.id AND au.position = 1 "
        "WHERE t.number = ? ORDER BY a.position LIMIT 1",
        (number,),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def test_the_demo_quarter_counts_every_target_once_by_light(
    demo: aiosqlite.Connection,
) -> None:
    found = await _stats(demo, period="2023Q3")
    assert found["plan"] == "菏泽市人民政府2023年经济社会发展责任目标"
    assert found["period"] == "2023Q3"
    assert found["previous"] == "2023Q2"
    assert found["deadline"] == "2023-10-05"  # five days after the quarter, by default
    # 57 targets; two read as at risk from their numbers (see bot/status/lights.py).
    assert found["lights"] == {"red": 0, "yellow": 2, "green": 55, "white": 0}
    # The quarter before has no reports: every target was ⚪ then.
    assert found["before"] == {"red": 0, "yellow": 0, "green": 0, "white": 57}
    leaders = {row["name"]: row["lights"] for row in found["leaders"]}  # type: ignore[attr-defined]
    assert list(leaders) == ["聂元科", "刘连栋", "肖友华", "王昌华", "曹临"]
    assert leaders["王昌华"] == {"red": 0, "yellow": 0, "green": 42, "white": 0}
    assert (
        sum(sum(c.values()) for c in leaders.values()) == 59
    )  # each leader counts their own targets
    units = {row["name"]: row["lights"] for row in found["units"]}  # type: ignore[attr-defined]
    assert units["市工业和信息化局"]["green"] == 20
    assert found["not_reported"] == []
    assert found["late"] == []


async def test_the_next_quarter_shows_who_has_not_reported_and_who_was_late(
    demo: aiosqlite.Connection,
) -> None:
    on_time, on_time_unit = await _assignment(demo, 40)
    late, late_unit = await _assignment(demo, 41)
    # Before the deadline (2024-01-05 in Shanghai), and after it (late: 2024-01-09 local).
    await targets.append_report(
        demo, on_time, "2023Q4", "全年完成", "completed", source="chat",
        at="2024-01-04T15:00:00+00:00", unit_id=on_time_unit,
    )  # fmt: skip
    await targets.append_report(
        demo, late, "2023Q4", "进度滞后", "behind", source="chat",
        at="2024-01-08T17:30:00+00:00", unit_id=late_unit,
    )  # fmt: skip
    await demo.commit()
    found = await _stats(demo, period="2023Q4")
    assert found["deadline"] == "2024-01-05"
    assert found["previous"] == "2023Q3"
    assert found["before"] == {"red": 0, "yellow": 2, "green": 55, "white": 0}
    now = found["lights"]
    assert now["red"] >= 1  # type: ignore[index]
    assert sum(now.values()) == 57  # type: ignore[attr-defined]
    late_rows = found["late"]
    assert [(row["target"], row["reported"]) for row in late_rows] == [("41", "2024-01-09")]  # type: ignore[attr-defined]
    missing = {row["unit"]: row["targets"] for row in found["not_reported"]}  # type: ignore[attr-defined]
    # Target 40 has two rows: the first one reported, 市退役军人事务局's row did not.
    assert "40" not in missing["市人力资源社会保障局"]
    assert "41" not in missing["市人力资源社会保障局"]
    assert missing["市退役军人事务局"] == ["40"]
    assert sum(len(numbers) for numbers in missing.values()) == 59 - 2  # one per row unreported


async def test_a_leader_or_unit_narrows_every_count(demo: aiosqlite.Connection) -> None:
    leader = next(p for p in await targets.list_leaders(demo) if p.name == "曹临")
    found = await _stats(demo, period="2023Q3", leader=leader.id)
    assert found["scope"] == "曹临"
    assert found["lights"] == {"red": 0, "yellow": 1, "green": 6, "white": 0}
    assert [row["name"] for row in found["leaders"]] == ["曹临"]  # type: ignore[attr-defined]
    unit = next(u for u in await targets.list_units(demo) if u.name == "市工业和信息化局")
    found = await _stats(demo, period="2023Q3", unit=unit.id)
    assert found["scope"] == "市工业和信息化局"
    assert found["lights"]["green"] == 20  # type: ignore[index]


async def test_no_plan_or_a_bad_period_is_said(db: aiosqlite.Connection) -> None:
    with pytest.raises(NoStats) as raised:
        await _stats(db)
    assert raised.value.key == "stats.no_plan"


async def test_a_bad_period_is_said(demo: aiosqlite.Connection) -> None:
    with pytest.raises(NoStats) as raised:
        await _stats(demo, period="2023Q5")
    assert raised.value.key == "stats.bad_period"
