"""批示 and the clock: the instruction's push survives a failed send, an unanswered one is chased
once after its due day, the leader's digest lists it, /stats counts it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import clock
from handlers.jobs import Delivery, deliver
from tests.harness import Harness, running_bot, shown
from tests.instructions.test_instructions_chat import NOW, ORDER, seen, table, to, write_on_90
from tests.report.test_report_chat import ADMIN, LEADER, LIAISON, Calls, bind, buttons

TZ = ZoneInfo("Asia/Shanghai")


async def check(harness: Harness, now: datetime) -> tuple[Delivery, Calls]:
    """Run one check for due pushes as the job does, at `now`."""
    services = harness.app.bot_data
    before = len(harness.request.calls)
    done = await deliver(harness.app.bot, services.db, services.settings, services.engine, now)
    return done, harness.request.calls[before:]


async def test_a_failed_push_is_sent_later_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        harness.stop_push_job()
        await bind(harness)
        harness.request.failing[LIAISON.id] = 5  # Telegram answers 502 for a while
        sent = await write_on_90(harness)
        assert seen(sent, LEADER.id) == [
            "✅ 批示已发送：#90 → 市水务局，已推送给 1 位联络员。答复期限：2023-11-06。"
        ]
        assert table(harness, "SELECT state FROM push WHERE kind = 'instruction'") == [("retry",)]
        harness.request.failing.clear()
        _, calls = await check(harness, datetime(2023, 11, 1, 10, 5, tzinfo=TZ))
        assert to(calls, LIAISON.id)[0].startswith(f"✍️ 曹临 对第 90 号目标作出批示：\n{ORDER}")
        assert table(harness, "SELECT state FROM push WHERE kind = 'instruction'") == [("sent",)]
        _, calls = await check(harness, datetime(2023, 11, 1, 10, 30, tzinfo=TZ))
        assert to(calls, LIAISON.id) == []


async def test_an_unanswered_instruction_is_chased_and_listed_then_answered(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        harness.stop_push_job()
        await bind(harness)
        await write_on_90(harness)
        # Monday 11-06, the due day: the leader's digest lists it; no chase yet.
        _, calls = await check(harness, datetime(2023, 11, 6, 9, 30, tzinfo=TZ))
        digest = to(calls, LEADER.id)
        assert len(digest) == 1
        assert digest[0].endswith(
            f"✍️ 您的批示待答复（1）：\n#90 市水务局 · 2023-11-01：{ORDER} · 2023-11-06 前答复"
        )
        assert to(calls, LIAISON.id) == []
        # Tuesday: overdue, chased once, with the button to answer.
        _, calls = await check(harness, datetime(2023, 11, 7, 9, 30, tzinfo=TZ))
        (chase,) = [p for name, p in calls if name == "sendMessage" and p["chat_id"] == LIAISON.id]
        assert str(chase["text"]).startswith("⏰ 催办：曹临 2023-11-01 对 #90")
        assert buttons([("sendMessage", chase)]) == {"✍️ 答复": "in:ans:1"}
        _, calls = await check(harness, datetime(2023, 11, 8, 9, 30, tzinfo=TZ))
        assert to(calls, LIAISON.id) == []
        wednesday = datetime(2023, 11, 8, 10, 0, tzinfo=TZ)
        clock.set(lambda: wednesday)  # the bot's own clock, which /stats reads
        stats = shown(await harness.send(LEADER, "/stats"))[0]
        assert "✍️ 批示 1 条：未答复 1 条，其中逾期 1 条" in stats
        assert "· 市水务局：1 条，逾期 1 条" in stats
        # Answered from the chase: the leader is told; the next digest no longer lists it.
        await harness.press(LIAISON, "in:ans:1")
        preview = await harness.send(LIAISON, "已落实")
        done = await harness.press(LIAISON, buttons(preview)["📤 发送"])
        assert to(done, LEADER.id)[0].startswith("💬 市水务局 答复了您对 #90 的批示：\n已落实")
        _, calls = await check(harness, datetime(2023, 11, 13, 9, 30, tzinfo=TZ))
        assert all("批示" not in text for text in to(calls, LEADER.id))
        assert "未答复 0 条" in shown(await harness.send(LEADER, "/stats"))[0]
