"""End to end: the 水务局 liaison asks to extend #93, the admin approves; /report and the
due-date reminders follow the new date."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import ADMIN, LIAISON, BotProcess, run_cli
from tests.e2e.test_pushes_e2e import prepare
from tests.e2e.test_query_e2e import ask
from tests.e2e.test_report_e2e import press


async def test_a_liaison_extends_93_and_the_admin_approves(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    env = {**bot_env, "FAKE_TIME": "2023-12-20 23:00"}  # quiet hours: no pushes in between
    await prepare(env, (LIAISON.id, "水务局", "水务"))
    bot = BotProcess(api, tmp_path, env)
    await bot.start()
    try:
        started = await ask(api, LIAISON, "/extend 93")
        assert started.text.startswith("申请延期：第 93 号目标，完成时限 年底（2023-12-31）。")
        assert (await ask(api, LIAISON, "2024-03-31")).text == "请写明延期的理由。"
        assert (await ask(api, LIAISON, "动员大会推迟到一月")).text == "请写明目前的工作进展。"
        receipt = await ask(api, LIAISON, "已委托第三方技术服务单位")
        assert receipt.text.startswith("🕒 已提交延期申请 1：#93 完成时限 2023-12-31 → 2024-03-31")
        card = await api.reply(ADMIN.id)
        assert card.text.startswith("🕒 延期申请 1：#93（市水务局）")
        asked = await press(api, ADMIN, card, "✅ 批准")
        assert asked.text.startswith("批准延期申请 1")
        done = await ask(api, ADMIN, "同意")
        assert done.text.startswith("✅ 已批准延期申请 1：#93 完成时限改为 2024-03-31")
        told = await api.reply(LIAISON.id)
        assert told.text.startswith(
            "✅ 您对第 93 号目标的延期申请已批准：完成时限 2023-12-31 → 2024-03-31"
        )

        listing = await ask(api, LIAISON, "/report")
        pick = next(data for label, data in listing.buttons if "#93" in label)
        await api.press(LIAISON, listing, pick)
        card_93 = await api.reply(LIAISON.id)
        assert "完成时限：年底 → 2024-03-31（延期）" in card_93.text
    finally:
        await bot.stop()

    # The due-date reminders: #90 on 12-29 (due 12-31), #93 no longer; #93 before 2024-03-31.
    december = json.loads(
        await run_cli(env, "remind", "--dry-run", "--at", "2023-12-29 09:00", "--json")
    )
    texts = "\n".join(p["text"] for p in december["pushes"] if p["recipient"] == LIAISON.id)
    assert "#90 持续推进“七网”建设,水利工程施工完成投资30亿元以上 · 2023-12-31 到期" in texts
    assert "#93 全面实施深度节水控水行动,创建国家节水型城市 · 2023-12-31 到期" not in texts
    listed = json.loads(await run_cli(env, "extensions", "list", "--all", "--json"))
    assert [(r["target"], r["state"], r["decided_by"]) for r in listed] == [
        (93, "approved", f"user:{ADMIN.id}")
    ]
