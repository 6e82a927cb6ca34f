"""End to end: a deadline the running bot announced holds after it passes (FAKE_TIME)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.i18n import Translator
from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import ADMIN, LIAISON, BotProcess
from tests.e2e.test_pushes_e2e import prepare

zh = Translator("zh")


async def test_an_announced_deadline_holds_after_it_passed(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    # 2024-01-02 (a Tuesday): the calendar has 2023Q4 open until 2024-01-05, and liaisons are
    # told so by the reminder three days before.
    told = {**bot_env, "FAKE_TIME": "2024-01-02 10:00"}
    await prepare(told, (LIAISON.id, "水务局", "水务"))
    bot = BotProcess(api, tmp_path, told)
    await bot.start()
    try:
        reminder = await api.reply(LIAISON.id)
        assert reminder.text.startswith(
            "⏰ 填报提醒：市水务局 的 2023Q4 进度填报将于 2024-01-05 截止（还有 3 天）"
        )
        await api.user_sends(ADMIN, "/period")
        assert (await api.reply(ADMIN.id)).text == (
            "开放填报：2023Q4 · 截止：2024-01-05（按季度默认截止日公布，管理员修改前一直有效）"
        )
    finally:
        assert await bot.stop() == 0

    # 2024-01-08 (a Monday, the first working day after the deadline).
    later = {**bot_env, "FAKE_TIME": "2024-01-08 10:00"}
    bot = BotProcess(api, tmp_path, later)
    await bot.start()
    try:
        overdue = await api.reply(LIAISON.id)
        assert overdue.text.startswith(
            "⚠️ 市水务局 的 2023Q4 进度填报已于 2024-01-05 截止，以下 3 个目标仍未提交。"
        )
        summary = await api.reply(ADMIN.id)
        assert summary.text.startswith(
            "📣 催办汇总：2023Q4 进度填报已于 2024-01-05 截止，以下 15 个单位尚未报送："
        )
        await api.user_sends(ADMIN, "/period")
        assert (await api.reply(ADMIN.id)).text == (
            "开放填报：2023Q4 · 截止：2024-01-05，已过，不再接受填报"
            "（按季度默认截止日公布，管理员修改前一直有效）\n"
            "延期：/period deadline 年-月-日；结束本期：/period close 2023Q4。"
        )
        await api.user_sends(LIAISON, "/report")
        assert (await api.reply(LIAISON.id)).text == zh(
            "report.deadline_passed", period="2023Q4", deadline="2024-01-05"
        )
    finally:
        assert await bot.stop() == 0
    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        assert conn.execute("SELECT period, state, deadline FROM period").fetchall() == [
            ("2023Q4", "announced", "2024-01-05")
        ]
