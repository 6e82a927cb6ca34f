"""No stored text breaks the bot for others: after a progress message of endless numerals the
leaders' questions, the details button, the push check and the command line all still work."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import clock
from bot.query.index import TargetIndex
from bot.query.parse import MAX_SEGMENT, ParsedQuery, Vocabulary, parse_query
from bot.report import service as reporting
from bot.status import quantities
from bot.status.quantities import Estimate
from handlers.jobs import deliver
from storage import targets as plans
from storage.db import transaction
from storage.search import AssignmentRow, PlanRows, ReportRow, TargetRow
from storage.targets import Named
from tests.app.test_cli import targetbot
from tests.harness import Harness, running_bot, shown
from tests.report.test_report_chat import ADMIN, LEADER, LIAISON, bind, buttons, keyed

# What a liaison sent: 已完成 and 310 numerals (a float overflows), and what an import may
# bring: 4,400 of them (more digits than Python's int converts from text).
ENDLESS = "已完成" + "一" * 310 + "个"
IMPORTED = "已完成" + "一" * 4400 + "个"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=TZ)  # 7 days before the deadline: a reminder is due
DEADLINE = date(2026, 12, 2)


async def submit(harness: Harness, text: str) -> str:
    """Submit #90's update on track with this progress text; return the receipt."""
    listing = await harness.send(LIAISON, "/report")
    pick = next(data for label, data in buttons(listing).items() if "#90" in label)
    await harness.press(LIAISON, pick)
    await harness.send(LIAISON, text)
    status = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
    preview = await harness.press(LIAISON, buttons(status)["按计划"])
    return shown(await harness.press(LIAISON, buttons(preview)["✅ 确认提交"]))[0]


async def import_row(harness: Harness, number: int, text: str) -> None:
    """Store target `number`'s lead row for 2023Q4 with this progress, as an import does."""
    db = harness.app.bot_data.db
    async with db.execute(
        "SELECT a.id FROM assignment a JOIN target t ON t.id = a.target_id "
        "WHERE t.number = ? ORDER BY a.position LIMIT 1",
        (number,),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    async with transaction(db):
        await plans.append_report(db, row[0], "2023Q4", text, "on_track", source="import",
                                  at=clock.stamp())  # fmt: skip


async def test_endless_numerals_break_no_question_details_or_push(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        harness.stop_push_job()
        await bind(harness)
        receipt = await submit(harness, ENDLESS)
        assert receipt.startswith("✅ 已保存：#90 持续推进")
        await import_row(harness, 86, IMPORTED)

        answer = shown(await harness.send(LEADER, "曹临"))[0]
        assert answer.startswith("🔎 理解为：领导 曹临\n")
        line_90 = "🟢 #90 持续推进“七网”建设,水利工程施工完成投资30亿元以上 · 市水务局 · 年底 · "
        line_90 += "按计划"
        assert f"\n{line_90}\n" in answer
        target = next(
            t for t in await plans.list_targets(harness.app.bot_data.db, 1) if t.number == 90
        )
        details = shown(await harness.press(LEADER, f"qd:{target.id}"))[-1]
        assert details.startswith(
            "#90 持续推进“七网”建设,水利工程施工完成投资30亿元以上\n🟢 按计划"
        )
        assert f"2023Q4 · 按计划 · 第 1 版：{ENDLESS}" in details
        found = shown(await harness.send(LEADER, "#86"))[0]
        assert found.startswith(
            "🔎 理解为：编号 #86\n找到 1 个目标（2023Q4）：\n"
            "#86 新建并开通5G基站1700个以上\n🟢 按计划"
        )

        # The push check: 水务局 is reminded of the targets it has not submitted, not of #90.
        services = harness.app.bot_data
        await reporting.set_period(services.db, "2023Q4", "open", DEADLINE, actor="test")
        before = len(harness.request.calls)
        done = await deliver(harness.app.bot, services.db, services.settings, services.engine, NOW)
        sent = [p for name, p in harness.request.calls[before:] if name == "sendMessage"]
        (reminder,) = [p["text"] for p in sent if p["chat_id"] == LIAISON.id]
        assert reminder.startswith("⏰ 填报提醒：市水务局 的 2023Q4 进度填报将于 2026-12-02 截止")
        assert ("#90" in reminder, "#93" in reminder, "#96" in reminder) == (False, True, True)
        assert len(done.sent) >= 1


async def test_the_command_line_reads_a_database_with_endless_numerals(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await submit(harness, ENDLESS)
        await import_row(harness, 86, IMPORTED)
        await reporting.set_period(harness.app.bot_data.db, "2023Q4", "open", DEADLINE, actor="t")
    db = str(tmp_path / "targetbot.db")

    query = targetbot(tmp_path, "query", "水务局", "--json", "--db", db)
    assert query.returncode == 0, query.stderr
    results = {r["number"]: r for r in json.loads(query.stdout)["results"]}
    assert (results[90]["status"], results[90]["progress"]) == ("on_track", ENDLESS)
    assert results[90]["progress_estimate"] is None

    listing = targetbot(tmp_path, "targets", "--json", "--db", db)
    assert listing.returncode == 0, listing.stderr
    targets = {t["number"]: t for t in json.loads(listing.stdout)}
    assert targets[90]["light"] == "🟢"
    assert targets[86]["light"] == "🟢"

    remind = targetbot(tmp_path, "remind", "--dry-run", "--at", "2026-11-25 09:30", "--db", db)
    assert remind.returncode == 0, remind.stderr
    assert "市水务局" in remind.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM push").fetchone() == (0,)  # a dry run


def test_a_row_whose_reading_fails_is_shown_without_it_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = quantities.estimate

    def estimate(target: str, progress: str) -> Estimate | None:
        if "坏" in progress:
            raise OverflowError("int too large to convert to float")
        return real(target, progress)

    monkeypatch.setattr("bot.status.lights.estimate", estimate)
    rows = PlanRows(
        [
            TargetRow(1, 46, "新建服务站50个", "年底", "2023-12-31"),
            TargetRow(2, 47, "新建基站100个", "年底", "2023-13-45"),  # a malformed due date
        ],
        [
            AssignmentRow(11, 1, 1, Named(1, "曹临"), (Named(5, "市水务局"),)),
            AssignmentRow(12, 2, 1, Named(1, "曹临"), (Named(5, "市水务局"),)),
        ],
        [
            ReportRow(11, "2023Q3", 1, "on_track", "已建成服务站18个"),
            ReportRow(12, "2023Q3", 1, "on_track", "坏的文字20个"),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="bot.query.index"):
        index = TargetIndex.build(rows, 2023)
        first, second = (index.light_of(n, today=date(2023, 10, 8)) for n in (46, 47))
    assert first is not None
    assert second is not None
    assert (first.status, first.light) == ("at_risk", "🟡")  # 18 of 50 at 75 % of the year
    assert (second.status, second.light, second.risk) == ("on_track", "🟢", None)
    assert second.target.due_date is None
    logged = [r.getMessage() for r in caplog.records]
    assert "target #47: unreadable due date '2023-13-45', taken as none" in logged
    assert "target #47, assignment 12: progress not read" in logged


def utf16(text: str) -> int:
    """Return a text's length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# A question of ~4,000 characters: its answer stays one message within Telegram's limit, and the
# understanding line echoes the first words of each kind, then "…".
LONG_QUESTIONS = [
    (
        " ".join(f"词{i:04d}x" for i in range(570)),
        "🔎 没能理解这个问题。\n未能识别：" + "、".join(f"词{i:04d}x" for i in range(10)) + "…",
    ),
    ("就业 " * 1300, "🔎 理解为：关键词 就业\n"),
    ("#" + "9" * 4000, "🔎 没能理解这个问题。\n未能识别：#" + "9" * 18 + "…\n"),
    ("曹临 " + "就业 医保 " * 390 + "x" * 900, "🔎 理解为：领导 曹临 · 关键词 就业、医保\n"),
    (
        " ".join(f"苹果{i:03d}" + "桃" * 30 for i in range(120)),
        "🔎 没能理解这个问题。\n未能识别：苹果000" + "桃" * 14 + "…、苹果001",
    ),
]


@pytest.mark.parametrize(("question", "start"), LONG_QUESTIONS)
async def test_a_long_question_gets_an_answer_within_telegrams_limit(
    tmp_path: Path, question: str, start: str
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        answers = shown(await harness.send(LEADER, question))
    assert len(answers) == 1
    assert answers[0].startswith(start)
    assert utf16(answers[0]) <= 4096
    assert utf16(answers[0].split("\n")[1]) <= 300


def test_a_very_long_name_is_found_whole_and_not_looked_for_at_every_position() -> None:
    long_unit = Named(3, "市" + "水" * 10_000 + "局")
    vocabulary = Vocabulary((Named(1, "王昌华"),), (Named(2, "市水务局"), long_unit))
    # Segmenting a question looks for names of at most MAX_SEGMENT characters at each position
    # (a 10,000-character name made a 4,000-character question take a minute).
    assert vocabulary.segmenter.longest == MAX_SEGMENT

    def parse(text: str) -> ParsedQuery:
        return parse_query(text, vocabulary, plan_year=2023, is_known_word=lambda w, e: False)

    assert parse(long_unit.name).units == [long_unit]
    assert parse("王昌华 水务局滞后").units == [Named(2, "市水务局")]
    long_question = parse("水务" * 2000)
    assert (long_question.units, long_question.unplaced) == ([], ["水务" * 2000])
