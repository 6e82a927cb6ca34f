"""The search index follows each change in place, and answers as one built anew would.

Each step changes the demo plan through the domain's own functions (a submission, a review, a
closing, an extension, an alias, an import); after it, the engine that followed the change and
an engine built from scratch on the same database must give the same answers, lights and order.
Only an import builds the index anew; changes nobody searches by (roles, 批示) touch nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from bot.extensions import service as extensions
from bot.plan.importer import DEMO_TABLE, import_file
from bot.query.aliases import add_alias
from bot.query.engine import QueryEngine, Warming
from bot.report import closing
from bot.report import service as reporting
from storage import audit, targets, users
from storage.db import connect, transaction

TODAY = date(2023, 11, 1)
LIAISON = 501  # 市水务局: leads #90 and #93
AT = "2023-11-01T09:00:00+08:00"
QUESTIONS = [
    "",
    "滞后",
    "behind schedule",
    "已完成",
    "未填报",
    "水务局",
    "水务局 滞后",
    "曹临",
    "王昌华 滞后",
    "污水",
    "4亿元",
    "年底",
    "水利",
    "完成投资21.5亿元",
    "#90",
    "#93",
]


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    conn = await connect(tmp_path / "follow.db")
    await import_file(conn, DEMO_TABLE, actor="test")
    yield conn
    await conn.close()


async def answers(engine: QueryEngine, conn: aiosqlite.Connection) -> list[object]:
    """Return every question's targets with their lights and periods, in the order shown."""
    found: list[object] = []
    for question in QUESTIONS:
        answer = await engine.ask(conn, question, today=TODAY)
        found.append(
            (question, [(h.target.number, h.light, h.period, h.status) for h in answer.hits])
        )
    return found


async def same_as_built_anew(engine: QueryEngine, conn: aiosqlite.Connection) -> None:
    fresh = QueryEngine()
    assert await answers(engine, conn) == await answers(fresh, conn)
    assert engine.index is not None
    assert fresh.index is not None
    mine, theirs = engine.index.latest_view(TODAY), fresh.index.latest_view(TODAY)
    assert (mine.period, mine.of, mine.members, mine.lights, mine.order) == (
        theirs.period,
        theirs.of,
        theirs.members,
        theirs.lights,
        theirs.order,
    )
    assert mine.carried == theirs.carried
    assert mine.risks == theirs.risks
    assert engine.index.words.progresses == fresh.index.words.progresses
    for postings in ("content_postings", "known_postings"):
        assert {g: sorted(p) for g, p in getattr(engine.index.words, postings).items()} == {
            g: sorted(p) for g, p in getattr(fresh.index.words, postings).items()
        }


async def submit(
    conn: aiosqlite.Connection,
    number: int,
    progress: str,
    status: str,
    *,
    period: str = "2023Q4",
    review: bool = False,
) -> int:
    """Submit the water bureau's update of target `number`; return the report's id."""
    async with transaction(conn):
        unit = await targets.unit_id(conn, "市水务局")
    task = next(t for t in await reporting.tasks(conn, unit, period) if t.number == number)
    draft = await reporting.begin(
        conn, telegram_id=LIAISON, chat_id=LIAISON, unit_id=unit, task=task, period=period
    )
    draft = draft.but(progress=progress, status=status, step="preview")
    if status == "behind":
        draft = draft.but(reason="资金未到位", remedy="协调省级资金")
    await reporting.store(conn, draft)
    await reporting.submit(
        conn,
        draft.key,
        telegram_id=LIAISON,
        unit_id=unit,
        today=TODAY,
        days=5,
        review_required=review,
    )
    async with conn.execute("SELECT MAX(id) FROM report") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_submissions_reviews_closings_extensions_and_aliases_change_the_index_in_place(
    conn: aiosqlite.Connection,
) -> None:
    engine = QueryEngine()
    before = await engine.ask(conn, "水务局 滞后", today=TODAY)
    assert [h.target.number for h in before.hits] == []
    # The first update of a quarter starts a period the index had not seen: built anew.
    first = engine.index
    await submit(conn, 93, "已委托第三方技术服务单位", "on_track")
    await engine.refresh(conn, TODAY)
    assert engine.index is not first
    built = engine.index
    await same_as_built_anew(engine, conn)

    # A submission: #90 behind, with a new progress text found by its words.
    await submit(conn, 90, "完成投资21.5亿元，资金缺口较大", "behind")
    after = await engine.ask(conn, "水务局 滞后", today=TODAY)
    assert [(h.target.number, h.light) for h in after.hits] == [(90, "🔴")]
    assert [h.target.number for h in (await engine.ask(conn, "资金缺口", today=TODAY)).hits] == [90]
    assert engine.index is built  # followed, not built anew
    await same_as_built_anew(engine, conn)

    # A submission waiting for review changes nothing the search shows; its approval does.
    waiting = await submit(conn, 93, "已完成招标", "completed", review=True)
    await same_as_built_anew(engine, conn)
    assert 93 not in [h.target.number for h in (await engine.ask(conn, "已完成", today=TODAY)).hits]
    await reporting.decide_review(conn, waiting, "approved", None, reviewer=1)
    assert 93 in [h.target.number for h in (await engine.ask(conn, "已完成", today=TODAY)).hits]
    assert engine.index is built
    await same_as_built_anew(engine, conn)

    # Closing (办结) turns a target green; reopening takes it back.
    ninety_three = await extensions.target_by_number(conn, 93)
    await closing.close(conn, ninety_three.id, actor="t", today=TODAY, at=AT)
    await same_as_built_anew(engine, conn)
    await closing.reopen(conn, ninety_three.id, actor="t", reason="验收未通过", at=AT)
    await same_as_built_anew(engine, conn)

    # An approved extension moves #90's due date: "年底" no longer finds it.
    async with transaction(conn):
        water = await targets.unit_id(conn, "市水务局")
        await users.bind(conn, LIAISON, "liaison", unit_id=water, leader_id=None, at=AT)
    asker = await users.get_user(conn, LIAISON)
    assert asker is not None
    target = await extensions.target_by_number(conn, 90)
    request = await extensions.ask(
        conn,
        asker,
        target,
        new_due=date(2024, 3, 31),
        reason="征地未完成",
        progress="完成投资21.5亿元",
        today=TODAY,
        at=AT,
    )
    await extensions.decide(conn, request.id, approve=True, actor="t", comment=None, at=AT)
    assert 90 not in [h.target.number for h in (await engine.ask(conn, "年底", today=TODAY)).hits]
    await same_as_built_anew(engine, conn)

    # An alias: 水利 names the water bureau.
    await add_alias(conn, "水利", "市水务局", actor="t")
    assert {90, 93} <= {h.target.number for h in (await engine.ask(conn, "水利", today=TODAY)).hits}
    await same_as_built_anew(engine, conn)
    assert engine.index is built


async def test_changes_nobody_searches_by_leave_the_index_alone(
    conn: aiosqlite.Connection,
) -> None:
    engine = QueryEngine()
    await engine.refresh(conn, TODAY)
    built = engine.index
    async with transaction(conn):
        cao = await targets.leader_id(conn, "曹临")
        await users.bind(conn, 777, "leader", unit_id=None, leader_id=cao, at=AT)
        await audit.record(conn, actor="t", action="role_change", subject="user:777", at=AT)
        await audit.record(conn, actor="t", action="instruction_write", subject="target:1", at=AT)
        await audit.record(conn, actor="t", action="period_open", subject="plan:1:2023Q4", at=AT)
    await engine.refresh(conn, TODAY)
    assert engine.index is built
    await same_as_built_anew(engine, conn)


async def test_an_import_builds_the_index_anew(conn: aiosqlite.Connection, tmp_path: Path) -> None:
    engine = QueryEngine()
    await engine.refresh(conn, TODAY)
    built = engine.index
    changed = tmp_path / "changed.tsv"
    changed.write_text(
        DEMO_TABLE.read_text(encoding="utf-8").replace("完成投资16.32亿元", "完成投资23.8亿元"),
        encoding="utf-8",
    )
    await import_file(conn, changed, actor="test")
    found = await engine.ask(conn, "23.8亿元", today=TODAY)
    assert engine.index is not built
    assert [h.target.number for h in found.hits] == [90]
    await same_as_built_anew(engine, conn)


async def test_an_audited_action_the_index_does_not_know_builds_it_anew(
    conn: aiosqlite.Connection,
) -> None:
    engine = QueryEngine()
    await engine.refresh(conn, TODAY)
    built = engine.index
    async with transaction(conn):
        await audit.record(conn, actor="t", action="target_merge", subject="target:1", at=AT)
    await engine.refresh(conn, TODAY)
    assert engine.index is not built


async def test_a_question_during_the_first_build_hears_that_the_index_is_warming(
    conn: aiosqlite.Connection,
) -> None:
    engine = QueryEngine(patience=0)
    engine.start(conn, TODAY)
    with pytest.raises(Warming):
        await engine.ask(conn, "水务局", today=TODAY)
    await engine.refresh(conn, TODAY)  # no patience given: waits for the build
    assert [h.target.number for h in (await engine.ask(conn, "水务局", today=TODAY)).hits]
