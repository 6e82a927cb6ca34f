"""End to end: 曹临 writes a 批示 on #90 from its details, the 水务局 liaison gets it at once and
answers, the leader gets the answer and sees the thread on #90's details; the command line lists
it answered. (The answer's photo comes with the evidence feature.)"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import LEADER, LIAISON, BotProcess, run_cli
from tests.e2e.test_pushes_e2e import prepare
from tests.e2e.test_query_e2e import ask
from tests.e2e.test_report_e2e import press

ORDER = "请加快工程进度，确保年底完成30亿元投资目标。"
REPLY = "已召开专题会议，倒排工期，12月底前完成剩余投资。"


async def test_a_leader_instructs_on_90_and_the_water_bureau_answers(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    env = bot_env  # 23:00, quiet hours: an instruction and its answer still go out at once
    await prepare(env, (LIAISON.id, "水务局", "水务"))
    await run_cli(
        env, "users", "add", "--telegram-id", str(LEADER.id), "--role", "leader",
        "--leader", "曹临", "--name", "王",
    )  # fmt: skip
    bot = BotProcess(api, tmp_path, env)
    await bot.start()
    try:
        listing = await ask(api, LEADER, "水务局")
        details = await press(api, LEADER, listing, "#90")
        assert details.text.startswith("#90 持续推进“七网”建设")
        asked = await press(api, LEADER, details, "✍️ 批示")
        assert asked.text.startswith("✍️ 对第 90 号目标作出批示")
        preview = await ask(api, LEADER, ORDER)
        assert preview.text == f"批示预览 · #90 → 市水务局\n{ORDER}\n\n确认发送吗？"
        receipt = await press(api, LEADER, preview, "📤 发送")
        assert receipt.text.startswith("✅ 批示已发送：#90 → 市水务局，已推送给 1 位联络员。")

        pushed = await api.reply(LIAISON.id)
        assert pushed.text.startswith(f"✍️ 曹临 对第 90 号目标作出批示：\n{ORDER}")
        assert [label for label, _ in pushed.buttons] == ["✍️ 答复"]
        answering = await press(api, LIAISON, pushed, "✍️ 答复")
        assert answering.text.startswith("✍️ 答复 曹临")
        checking = await ask(api, LIAISON, REPLY)
        assert checking.text.startswith("答复预览 · 市水务局 对 曹临 的批示（#90）")
        done = await press(api, LIAISON, checking, "📤 发送")
        assert done.text == "✅ 答复已发送给 曹临（#90）。"

        told = await api.reply(LEADER.id)
        assert told.text.startswith(f"💬 市水务局 答复了您对 #90 的批示：\n{REPLY}")
        thread = await press(api, LEADER, told, "查看 #90 详情")
        lines = thread.text.splitlines()
        assert lines[1:3] == ["✍️ 领导批示（1 条）：", f"• 2026-11-25 曹临：{ORDER}（✅ 已答复）"]
        assert lines[3].endswith(f"市水务局（水务）：{REPLY}")
    finally:
        await bot.stop()

    listed = json.loads(await run_cli(env, "instructions", "list", "--json"))
    assert [(i["target"], i["author"], i["answered"]) for i in listed] == [(90, "曹临", True)]
    assert [a["text"] for a in listed[0]["answers"]] == [REPLY]
