"""Telegram's limits: texts counted in UTF-16 units, split where they may be, never refused."""

from __future__ import annotations

import html
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import limits
from bot.people.accounts import set_role
from bot.plan.importer import import_file
from bot.playground.botapi import telegram_refusal
from bot.report import service as reporting
from handlers.jobs import Delivery, deliver
from handlers.reply import buttons as keyboard
from handlers.reply import plain, split
from storage import targets as plans
from tests.harness import Harness, Person, running_bot, shown
from tests.report.test_report_chat import ADMIN, INDUSTRY, LIAISON, Calls, bind, buttons, keyed

THUMBS = "👍" * 1999  # 1,999 characters, 3,998 UTF-16 units: within the 2,000-character limit
AMPERSANDS = "&" * 1999  # 1,999 characters, escaped to 9,995


async def submit(harness: Harness, person: Person, text: str) -> Calls:
    """Submit the first target of the person's unit, on track, with this text; return all."""
    calls: Calls = []
    listing = await harness.send(person, "/report")
    pick = next(data for data in buttons(listing).values() if data.startswith("rp:pick:"))
    calls += await harness.press(person, pick)
    calls += await harness.send(person, text)
    status = await harness.press(person, keyed(harness, person, "rp:ready"))
    preview = await harness.press(person, buttons(status)["按计划"])
    calls += status + preview
    calls += await harness.press(person, buttons(preview)["✅ 确认提交"])
    return calls


def test_the_test_double_refuses_what_telegram_refuses() -> None:
    # Telegram counts UTF-16 units after parsing entities: 2,049 thumbs are 4,098 units.
    assert telegram_refusal("sendMessage", {"text": "👍" * 2049}) == (
        "Bad Request: message is too long"
    )
    assert telegram_refusal("sendMessage", {"text": "👍" * 2048}) is None
    assert telegram_refusal("sendMessage", {"text": "&amp;" * 4096}) is None  # 4,096 after parsing
    assert telegram_refusal("editMessageText", {"text": "&amp;" * 4097}) is not None
    assert telegram_refusal("sendMessage", {"text": "\n\n"}) == "Bad Request: message text is empty"


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("x\n" + THUMBS + "\n" + "y" * 200, 2),  # 4,001 units, then 200
        (html.escape(AMPERSANDS), 1),  # 1,999 units once parsed
        ("👍" * 4096, 2),  # 8,192 units: cut between two emoji, never inside one
    ],
)
def test_split_counts_utf16_units_after_parsing(text: str, pieces: int) -> None:
    parts = split(text)
    assert len(parts) == pieces
    assert "".join(parts) == text
    assert all(limits.parsed_units(part) <= 4096 for part in parts)
    assert all(telegram_refusal("sendMessage", {"text": part}) is None for part in parts)


def test_split_never_cuts_an_entity_or_an_emoji_sequence() -> None:
    # A cut that falls in `&amp;` moves before it: no `&am` / `p;` fragments.
    parts = split("a" * 4094 + "&amp;&amp;&amp;")
    assert parts == ["a" * 4094 + "&amp;&amp;", "&amp;"]
    # 👍🏽 (thumb and skin tone) and a family joined by ZWJ stay whole.
    family = "👨\u200d👩\u200d👧"
    parts = split("a" * 4090 + family + "👍🏽")
    assert parts == ["a" * 4090, family + "👍🏽"]


def test_alerts_and_callback_data_keep_to_their_limits() -> None:
    alert = plain("👍" * 300)
    assert limits.units(alert) <= 200
    assert alert.endswith("…")
    with pytest.raises(ValueError, match="64 bytes"):
        keyboard([[("x", "alias:1:" + "水" * 20)]])


async def test_an_emoji_heavy_submission_does_not_block_the_review_queue(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), REVIEW_REQUIRED="true") as harness:
        await bind(harness)
        # The writer sees the preview and the receipt of a maximal text.
        written = await submit(harness, LIAISON, THUMBS)
        seen = "".join(shown(written))
        assert THUMBS in seen
        assert shown(written)[-1].startswith("✅ 已提交，等待督查室审核：#90")
        await submit(harness, INDUSTRY, "5G基站建设完成1800个")

        # The admin sees the first card whole (in two messages, the buttons on the last) ...
        review = await harness.send(ADMIN, "/review")
        first = shown(review)
        assert len(first) == 2
        assert first[0].startswith("🔍 待审核（共 2 份，这是第 1 份）")
        assert THUMBS in "".join(first)
        approved = await harness.press(ADMIN, buttons(review)["✅ 通过"])
        # ... and, once it is approved, the next unit's submission.
        following = [text for text in shown(approved) if text.startswith("🔍 待审核")]
        assert following
        assert "共 1 份" in following[0]
        assert "5G基站建设完成1800个" in following[0]
        done = await harness.press(ADMIN, buttons(approved)["✅ 通过"])
        assert "已通过" in shown(done)[0]
        assert harness.request.refused == []


async def test_a_preview_of_ampersands_arrives_without_fragments(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        written = await submit(harness, LIAISON, AMPERSANDS)
        assert harness.request.refused == []
        for text in shown(written):
            assert not text.endswith(("&", "&a", "&am", "&amp")), text[-8:]
        assert any(html.escape(AMPERSANDS) in text for text in shown(written))


# ---------------------------------------------------------------------------------- pushes

TZ = ZoneInfo("Asia/Shanghai")
PUSH_ADMIN = Person(1001, "督查")


def many_units_table(path: Path, count: int) -> Path:
    """Write a 2023 table of `count` targets, each with a unit of its own (a long 催办)."""
    header = (
        "序号\t市政府领导\t责任目标内容\t完成时限\t三季度完成情况\t是否按计划完成进度\t责任单位"
    )
    rows = [
        f"{n}\t王昌华\t完成第{n}项重点工作任务\t年底\t推进中\t是\t菏泽市第{n}号重点工程建设指挥部办公室"
        for n in range(1, count + 1)
    ]
    title = "菏泽市人民政府2023年经济社会发展责任目标三季度工作推进情况一览表"
    path.write_text("\n".join([title, header, *rows]) + "\n", encoding="utf-8")
    return path


async def quiet_jobs(harness: Harness) -> None:
    harness.stop_push_job()


async def check(harness: Harness, now: datetime) -> tuple[Delivery, Calls]:
    services = harness.app.bot_data
    before = len(harness.request.calls)
    done = await deliver(harness.app.bot, services.db, services.settings, services.engine, now)
    return done, harness.request.calls[before:]


def sent_to(calls: Calls, chat: int) -> list[dict[str, Any]]:
    return [p for name, p in calls if name == "sendMessage" and p["chat_id"] == chat]


def push_rows(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT kind, recipient, state, attempts FROM push ORDER BY key"
        ).fetchall()


async def test_a_cuiban_summary_of_400_units_is_split_not_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({PUSH_ADMIN.id}), load_demo=False) as harness:
        await quiet_jobs(harness)
        db = harness.app.bot_data.db
        await import_file(db, many_units_table(tmp_path / "big.tsv", 400), actor="test")
        await reporting.set_period(db, "2023Q4", "open", date(2023, 12, 1), actor="test")
        done, calls = await check(harness, datetime(2023, 12, 4, 9, 30, tzinfo=TZ))
        assert harness.request.refused == []
        summary = sent_to(calls, PUSH_ADMIN.id)
        assert len(summary) >= 3  # 400 units, about 10,000 UTF-16 units: three messages or more
        assert summary[0]["text"].startswith("📣 催办汇总：2023Q4 进度填报已于 2023-12-01 截止")
        joined = "".join(p["text"] for p in summary)
        assert all(f"菏泽市第{n}号重点工程建设指挥部办公室：#{n}" in joined for n in (1, 200, 400))
        assert [kind for kind, *_ in push_rows(harness.db_path)] == ["cuiban"]
        assert push_rows(harness.db_path)[0][2] == "sent"
        assert [p.kind for p in done.sent] == ["cuiban"]


async def test_a_bad_request_is_not_retried_and_admins_are_told_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({PUSH_ADMIN.id})) as harness:
        await quiet_jobs(harness)
        db = harness.app.bot_data.db
        unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
        await set_role(
            db, telegram_id=LIAISON.id, role="liaison", binding_id=unit.id, actor="t", name="水务"
        )
        await reporting.set_period(db, "2023Q4", "open", date(2026, 12, 2), actor="test")
        harness.request.not_started.add(LIAISON.id)  # a roster user who never opened the bot
        now = datetime(2026, 11, 25, 9, 30, tzinfo=TZ)
        done, calls = await check(harness, now)
        assert done.retrying == []
        (notice,) = sent_to(calls, PUSH_ADMIN.id)
        assert notice["text"] == (
            "⚠️ 无法送达：水务（2002）（市水务局）还没有打开过机器人"
            "（Telegram 答复 chat not found），已标记为停用。请让其先向机器人发送 /start。"
        )
        assert ("remind", LIAISON.id, "blocked", 1) in push_rows(harness.db_path)
        for minutes in (2, 10, 40, 200):
            _, later = await check(harness, now + timedelta(minutes=minutes))
            assert [p["chat_id"] for name, p in later if name == "sendMessage"] == []


async def test_any_other_400_fails_at_once_and_is_told_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({PUSH_ADMIN.id})) as harness:
        await quiet_jobs(harness)
        db = harness.app.bot_data.db
        unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
        await set_role(
            db, telegram_id=LIAISON.id, role="liaison", binding_id=unit.id, actor="t", name="水务"
        )
        await reporting.set_period(db, "2023Q4", "open", date(2026, 12, 2), actor="test")
        harness.request.bad_requests[LIAISON.id] = "Bad Request: can't parse entities"
        now = datetime(2026, 11, 25, 9, 30, tzinfo=TZ)
        done, calls = await check(harness, now)
        assert [p.kind for p in done.refused] == ["remind"]
        (notice,) = sent_to(calls, PUSH_ADMIN.id)
        assert notice["text"].startswith(
            "⚠️ 推送被 Telegram 拒绝（不再重试）：发给 水务（2002）（市水务局）的消息没有送达："
        )
        assert notice["text"].endswith("BadRequest: Can&#x27;t parse entities")
        assert push_rows(harness.db_path)[-1] == ("remind", LIAISON.id, "failed", 1)
        _, later = await check(harness, now + timedelta(minutes=2))
        assert [p for name, p in later if name == "sendMessage"] == []


async def test_a_retry_waits_for_the_end_of_quiet_hours(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({PUSH_ADMIN.id})) as harness:
        await quiet_jobs(harness)
        db = harness.app.bot_data.db
        unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
        await set_role(
            db, telegram_id=LIAISON.id, role="liaison", binding_id=unit.id, actor="t", name="水务"
        )
        await reporting.set_period(db, "2023Q4", "open", date(2026, 12, 2), actor="test")
        harness.request.failing[LIAISON.id] = 1  # one 502 at 21:59 (a Wednesday)
        evening = datetime(2026, 11, 25, 21, 59, tzinfo=TZ)
        done, _ = await check(harness, evening)
        assert [p.kind for p in done.retrying] == ["remind"]
        for at in (
            evening + timedelta(minutes=2),
            datetime(2026, 11, 25, 23, 30, tzinfo=TZ),
            datetime(2026, 11, 26, 7, 59, tzinfo=TZ),
            datetime(2026, 11, 26, 8, 30, tzinfo=TZ),
        ):
            _, calls = await check(
                harness, at
            )  # quiet until 08:00, then before the 09:00 push time
            assert sent_to(calls, LIAISON.id) == [], at
        _, calls = await check(harness, datetime(2026, 11, 26, 9, 0, tzinfo=TZ))
        assert len(sent_to(calls, LIAISON.id)) == 1
        assert push_rows(harness.db_path) == [("remind", LIAISON.id, "sent", 2)]


async def test_a_split_push_interrupted_midway_sends_only_the_rest(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({PUSH_ADMIN.id}), load_demo=False) as harness:
        await quiet_jobs(harness)
        db = harness.app.bot_data.db
        await import_file(db, many_units_table(tmp_path / "big.tsv", 400), actor="test")
        await reporting.set_period(db, "2023Q4", "open", date(2023, 12, 1), actor="test")
        harness.request.fail_after[PUSH_ADMIN.id] = 1  # the first message goes, then 502s
        now = datetime(2023, 12, 4, 9, 30, tzinfo=TZ)
        _, calls = await check(harness, now)
        first = [p["text"] for p in sent_to(calls, PUSH_ADMIN.id)]
        harness.request.fail_after.clear()
        _, calls = await check(harness, now + timedelta(seconds=61))
        rest = [p["text"] for p in sent_to(calls, PUSH_ADMIN.id)]
        assert first[0].startswith("📣 催办汇总")
        assert not any(text.startswith("📣 催办汇总") for text in rest)  # not sent twice
        joined = "".join([first[0], *rest])
        assert all(f"菏泽市第{n}号重点工程建设指挥部办公室：#{n}" in joined for n in range(1, 401))
