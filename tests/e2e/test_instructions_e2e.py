"""End to end: 曹临 writes a 批示 on #90 from its details, the 水务局 liaison gets it at once and
answers with a photo, the leader gets the answer and the photo and sees the thread on #90's
details; the command line lists it answered, with the photo."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import LEADER, LIAISON, BotProcess, run_cli
from tests.e2e.test_pushes_e2e import prepare
from tests.e2e.test_query_e2e import ask
from tests.e2e.test_report_e2e import press

ORDER = "请加快工程进度，确保年底完成30亿元投资目标。"
REPLY = "已召开专题会议，倒排工期，12月底前完成剩余投资。"
SITE_PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 800  # a site photo, 0.2 MB


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
        assert "照片或文件作为佐证材料" in answering.text
        checking = await ask(api, LIAISON, REPLY)
        assert checking.text.startswith("答复预览 · 市水务局 对 曹临 的批示（#90）")
        # The site photo, sent at the preview: kept on disk before the bot says it has it.
        await api.user_sends_photo(LIAISON, SITE_PHOTO, caption="现场施工")
        taken = await api.reply(LIAISON.id)
        assert taken.text == "📎 已收到 1/9：现场施工.jpg（0.2 MB）"
        sha = hashlib.sha256(SITE_PHOTO).hexdigest()
        assert (tmp_path / "files" / sha[:2] / sha).read_bytes() == SITE_PHOTO
        done = await press(api, LIAISON, checking, "📤 发送")
        assert done.text == "✅ 答复已发送给 曹临（#90）。"

        told = await api.reply(LEADER.id)
        assert told.text.startswith(f"💬 市水务局 答复了您对 #90 的批示：\n{REPLY}")
        assert told.text.endswith("📎 佐证材料 1 份（点下面的按钮查看）")
        # One tap and the leader has the photo, re-sent by its Telegram file id.
        data = next(d for label, d in told.buttons if label.startswith("📎 佐证材料 1 份"))
        await api.press(LEADER, told, data)
        photo = await api.reply(LEADER.id)
        assert (photo.method, photo.file_bytes, photo.text) == (
            "sendPhoto",
            SITE_PHOTO,
            "现场施工.jpg",
        )

        thread = await press(api, LEADER, told, "查看 #90 详情")
        lines = thread.text.splitlines()
        assert lines[1:3] == ["✍️ 领导批示（1 条）：", f"• 2026-11-25 曹临：{ORDER}（✅ 已答复）"]
        assert lines[3].endswith(f"市水务局（水务）：{REPLY} 📎1")
        assert any(label.startswith("📎 市水务局") for label, _ in thread.buttons)
    finally:
        await bot.stop()

    listed = json.loads(await run_cli(env, "instructions", "list", "--json"))
    assert [(i["target"], i["author"], i["answered"]) for i in listed] == [(90, "曹临", True)]
    assert [a["text"] for a in listed[0]["answers"]] == [REPLY]
    assert [(f["name"], f["kind"]) for f in listed[0]["answers"][0]["evidence"]] == [
        ("现场施工.jpg", "photo")
    ]
