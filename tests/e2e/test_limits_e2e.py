"""End to end: a submission as long as Telegram allows does not block the review queue."""

from __future__ import annotations

from pathlib import Path

from bot.i18n import Translator
from tests.e2e.botapi import FakeBotAPI, Sent, User
from tests.e2e.conftest import ADMIN, LIAISON, BotProcess
from tests.e2e.test_query_e2e import bind
from tests.e2e.test_report_e2e import rows

INDUSTRY = User(2003, "工信", "zh")
THUMBS = "👍" * 1999  # 1,999 characters (the limit is 2,000), 3,998 UTF-16 units


async def until_button(api: FakeBotAPI, user: User, label: str) -> tuple[Sent, list[str]]:
    """Return the next message with a button starting with `label`, and all texts shown."""
    texts: list[str] = []
    while True:
        sent = await api.reply(user.id)
        texts.append(sent.text)
        if any(text.startswith(label) for text, _ in sent.buttons):
            return sent, texts


async def press(api: FakeBotAPI, user: User, sent: Sent, label: str) -> None:
    await api.press(user, sent, next(d for text, d in sent.buttons if text.startswith(label)))


async def submit(api: FakeBotAPI, user: User, text: str) -> list[str]:
    """Submit the first target of the user's unit, on track; return every text shown."""
    await api.user_sends(user, "/report")
    listing, shown = await until_button(api, user, "⬜")
    await press(api, user, listing, "⬜")
    await api.reply(user.id)  # the target's card
    await api.user_sends(user, text)
    taken, seen = await until_button(api, user, "写完了")
    shown += seen
    await press(api, user, taken, "写完了")
    status, seen = await until_button(api, user, "按计划")
    shown += seen
    await press(api, user, status, "按计划")
    preview, seen = await until_button(api, user, "✅ 确认提交")
    shown += seen
    await press(api, user, preview, "✅ 确认提交")
    receipt = await api.reply(user.id)
    return [*shown, receipt.text]


async def test_an_emoji_heavy_submission_and_the_next_are_both_reviewed(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    bot = BotProcess(api, tmp_path, {**bot_env, "REVIEW_REQUIRED": "true"})
    await bot.start()
    try:
        await bind(api, LIAISON, "/invite liaison 水务局")
        await bind(api, INDUSTRY, "/invite liaison 工信局")
        written = await submit(api, LIAISON, THUMBS)
        assert THUMBS in "".join(written)  # the preview shows it whole, in two messages
        assert written[-1].startswith("✅ 已提交，等待督查室审核：#90")
        after = await submit(api, INDUSTRY, "5G基站建设完成1800个")
        assert after[-1].startswith("✅ 已提交，等待督查室审核：")

        await api.user_sends(ADMIN, "/review")
        card, texts = await until_button(api, ADMIN, "✅ 通过")
        assert texts[0].startswith("🔍 待审核（共 2 份，这是第 1 份）：\n#90")
        assert THUMBS in "".join(texts)
        await press(api, ADMIN, card, "✅ 通过")
        following, texts = await until_button(api, ADMIN, "✅ 通过")
        assert texts[0] == "✅ 已通过：#90 2023Q4 第 1 版。已通知提交人。"
        assert texts[-1].startswith("🔍 待审核（共 1 份，这是第 1 份）：")
        assert "5G基站建设完成1800个" in texts[-1]
        await press(api, ADMIN, following, "✅ 通过")
        assert (await api.reply(ADMIN.id)).text.startswith("✅ 已通过：")
        assert (await api.reply(ADMIN.id)).text == Translator("zh")("review.none")

        # Telegram refused nothing, and both decisions are stored.
        assert [refusal for refusal in api.refused if refusal[0] == 400] == []
        decided = rows(
            tmp_path,
            "SELECT u.name, v.decision FROM review v JOIN report r ON r.id = v.report_id "
            "JOIN unit u ON u.id = r.unit_id ORDER BY v.rowid",
        )
        assert decided == [("市水务局", "approved"), ("市工业和信息化局", "approved")]
    finally:
        assert await bot.stop() == 0
