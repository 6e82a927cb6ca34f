"""End to end: an admin's /stats gets the quarter in words and the chart as a photo."""

from __future__ import annotations

from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import ADMIN, BotProcess


async def test_stats_sends_the_words_and_the_chart(api: FakeBotAPI, bot: BotProcess) -> None:
    await api.user_sends(ADMIN, "/stats 2023Q3")
    words = await api.reply(ADMIN.id)
    assert words.text.startswith(
        "📊 《菏泽市人民政府2023年经济社会发展责任目标》2023Q3 统计：共 57 个目标 🔴0 🟡2 🟢55 ⚪0"
    )
    chart = await api.reply(ADMIN.id, within=60)
    assert chart.method == "sendPhoto"
    assert chart.text == "《菏泽市人民政府2023年经济社会发展责任目标》2023Q3 目标灯色"
    assert chart.file_bytes.startswith(b"\x89PNG")
    assert chart.message["photo"][0]["width"] == 9 * 120
