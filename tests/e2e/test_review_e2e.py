"""End to end: an admin approves submissions one after another in /review, with no error."""

from __future__ import annotations

from pathlib import Path

from bot.i18n import Translator
from tests.e2e.botapi import FakeBotAPI, Sent, User
from tests.e2e.conftest import ADMIN, LIAISON, BotProcess
from tests.e2e.test_query_e2e import ask, bind
from tests.e2e.test_report_e2e import press, rows, write_behind_update

zh = Translator("zh")


async def until(api: FakeBotAPI, user: User, start: str) -> tuple[Sent, list[str]]:
    """Return the next thing shown to `user` that starts with `start`, and what came before."""
    before: list[str] = []
    while True:
        sent = await api.reply(user.id)
        if sent.text.startswith(start):
            return sent, before
        before.append(sent.text)


async def test_an_admin_approves_two_submissions_in_a_row(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    bot = BotProcess(api, tmp_path, {**bot_env, "REVIEW_REQUIRED": "true"})
    await bot.start()
    try:
        await bind(api, LIAISON, "/invite liaison 水务局")
        preview = await write_behind_update(api)
        receipt = await press(api, LIAISON, preview, "✅ 确认提交")
        assert receipt.text.startswith("✅ 已提交，等待督查室审核：#90")
        card = await press(api, LIAISON, receipt, "下一个：#93")
        assert card.text.startswith("#93 全面实施深度节水控水行动")
        taken = await ask(api, LIAISON, "节水型城市创建通过省级验收")
        status = await press(api, LIAISON, taken, "写完了")
        preview = await press(api, LIAISON, status, "按计划")
        receipt = await press(api, LIAISON, preview, "✅ 确认提交")
        assert receipt.text.startswith("✅ 已提交，等待督查室审核：#93")

        await api.user_sends(ADMIN, "/review")
        review, _ = await until(api, ADMIN, "🔍")
        assert review.text.startswith("🔍 待审核（共 2 份，这是第 1 份）：\n#90")

        query = await api.press(ADMIN, review, dict(review.buttons)["✅ 通过"])
        assert (await api.callback_answer(query)).get("text") is None  # a quiet answer
        done = await api.reply(ADMIN.id)
        assert done.method == "editMessageText"  # the reviewed card says what became of it
        assert done.text == "✅ 已通过：#90 2023Q4 第 1 版。已通知提交人。"
        following = await api.reply(ADMIN.id)
        assert following.method == "sendMessage"
        assert following.text.startswith("🔍 待审核（共 1 份，这是第 1 份）：\n#93")
        assert (await api.reply(LIAISON.id)).text == (
            "✅ 您提交的 #90（2023Q4 第 1 版）已通过审核。"
        )

        last = await press(api, ADMIN, following, "✅ 通过")
        assert last.text == "✅ 已通过：#93 2023Q4 第 1 版。已通知提交人。"
        assert (await api.reply(ADMIN.id)).text == zh("review.none")
        assert (await api.reply(LIAISON.id)).text == (
            "✅ 您提交的 #93（2023Q4 第 1 版）已通过审核。"
        )
        # Nothing else reached the admin: no error, no alert; each button answered once.
        await api.user_sends(ADMIN, "/review")
        assert (await api.reply(ADMIN.id)).text == zh("review.none")
        assert api.answered_twice == []
        assert rows(
            tmp_path,
            "SELECT t.number, v.decision FROM review v JOIN report r ON r.id = v.report_id "
            "JOIN assignment a ON a.id = r.assignment_id JOIN target t ON t.id = a.target_id "
            "ORDER BY t.number",
        ) == [(90, "approved"), (93, "approved")]
    finally:
        assert await bot.stop() == 0
