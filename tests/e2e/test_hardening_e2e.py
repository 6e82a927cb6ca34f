"""End to end: one stored text never breaks the running bot for others (issue 11, item 1).

A liaison's progress message of 已完成 and 310 numerals once broke every question, every
details button and every push check for good (an OverflowError inside the search index)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.botapi import FakeBotAPI, Sent, User
from tests.e2e.conftest import LEADER, LIAISON, BotProcess, run_cli
from tests.e2e.test_pushes_e2e import last_check, next_check, prepare
from tests.e2e.test_query_e2e import ask, numbers

ENDLESS = "已完成" + "一" * 310 + "个"


async def press(api: FakeBotAPI, user: User, sent: Sent, label: str) -> Sent:
    """Press the button whose label starts with `label` and return what the bot shows."""
    data = next(d for text, d in sent.buttons if text.startswith(label))
    await api.press(user, sent, data)
    return await api.reply(user.id)


async def test_endless_numerals_break_no_question_details_or_push_check(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    db = tmp_path / "targetbot.db"
    # 2023-12-29 (a Friday): 水务局 is reminded of its three targets of 2023Q4 at start.
    env = {**bot_env, "FAKE_TIME": "2023-12-29 10:00"}
    await prepare(env, (LIAISON.id, "水务局", "水务"))
    await run_cli(env, "users", "add", "--telegram-id", str(LEADER.id), "--role", "leader",
                  "--leader", "曹临", "--name", "曹")  # fmt: skip
    bot = BotProcess(api, tmp_path, env)
    await bot.start()
    try:
        reminder = await api.reply(LIAISON.id)
        assert [label for label, _ in reminder.buttons] == ["✍️ #90", "✍️ #93", "✍️ #96"]
        await next_check(db, None)

        # The liaison submits #90 on track with the numeral message: the receipt is normal.
        card = await press(api, LIAISON, reminder, "✍️ #90")
        assert card.text.startswith("#90 持续推进“七网”建设")
        taken = await ask(api, LIAISON, ENDLESS)
        status = await press(api, LIAISON, taken, "写完了")
        preview = await press(api, LIAISON, status, "按计划")
        assert f"进展情况：\n{ENDLESS}" in preview.text
        receipt = await press(api, LIAISON, preview, "✅ 确认提交")
        assert receipt.text.startswith("✅ 已保存：#90 持续推进“七网”建设")

        # The leader's question and the details button still work.
        answer = await ask(api, LEADER, "曹临")
        assert answer.text.startswith("🔎 理解为：领导 曹临\n")
        assert 90 in numbers(answer)
        assert "\n🟢 #90 持续推进“七网”建设,水利工程施工完成投资30亿元以上 · 市水务局 · " in (
            answer.text
        )
        details = await press(api, LEADER, answer, "#90")
        assert details.text.startswith(
            "#90 持续推进“七网”建设,水利工程施工完成投资30亿元以上\n🟢 按计划"
        )
        assert f"2023Q4 · 按计划 · 第 1 版：{ENDLESS}" in details.text
        checked = last_check(db)
    finally:
        assert await bot.stop() == 0

    # The push check of the restarted bot runs through (it checks at start) and sends no
    # reminder twice; the command line's question, listing and dry run read the same data.
    bot = BotProcess(api, tmp_path, env)
    await bot.start()
    try:
        await next_check(db, checked)
        assert api.unread(LIAISON.id) == []
        again = await ask(api, LEADER, "#90")
        assert again.text.startswith("🔎 理解为：编号 #90\n找到 1 个目标（2023Q4）：\n#90 ")
    finally:
        assert await bot.stop() == 0
    found = json.loads(await run_cli(env, "query", "#90", "--json"))["results"][0]
    assert (found["number"], found["status"], found["progress"]) == (90, "on_track", ENDLESS)
    listed = {t["number"]: t for t in json.loads(await run_cli(env, "targets", "--json"))}
    assert listed[90]["light"] == "🟢"
    due = json.loads(await run_cli(env, "remind", "--dry-run", "--json"))
    reminded = next(p for p in due["pushes"] if p["kind"] == "remind")
    # The report reminder, as it reads now: #90 was submitted, #93 and #96 were not.
    assert (reminded["recipient"], reminded["sent_before"]) == (LIAISON.id, True)
    assert "以下 2 个目标尚未提交：\n⬜ #93 " in reminded["text"]
