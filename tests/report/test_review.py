"""/review in process: approvals in a row, each button answered once, the writer told."""

from __future__ import annotations

from pathlib import Path

from bot.i18n import Translator
from tests.harness import Harness, running_bot, shown
from tests.report.test_report_chat import (
    ADMIN,
    LIAISON,
    Calls,
    bind,
    buttons,
    keyed,
    walk_to_preview,
)

zh = Translator("zh")


async def submit_90_and_93(harness: Harness) -> None:
    """Submit #90 (behind) and #93 (on track) as the 市水务局 liaison."""
    preview = await walk_to_preview(harness)
    receipt = await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
    await harness.press(LIAISON, buttons(by(receipt, LIAISON.id))["下一个：#93 ➡️"])
    await harness.send(LIAISON, "节水型城市创建通过省级验收")
    await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
    preview = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:status:on_track"))
    await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])


def by(calls: Calls, chat: int) -> Calls:
    """Return the calls that show something to this chat (messages, edits, button answers)."""
    return [(name, p) for name, p in calls if p.get("chat_id") in (chat, None)]


def to(calls: Calls, chat: int) -> list[str]:
    return [str(p["text"]) for name, p in calls if name == "sendMessage" and p["chat_id"] == chat]


def answers(calls: Calls) -> int:
    return sum(1 for name, _ in calls if name == "answerCallbackQuery")


async def test_two_approvals_in_a_row_each_show_the_next_and_no_error(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), REVIEW_REQUIRED="true") as harness:
        await bind(harness)
        await submit_90_and_93(harness)

        review = await harness.send(ADMIN, "/review")
        assert shown(review)[0].startswith("🔍 待审核（共 2 份，这是第 1 份）：\n#90")
        first = await harness.press(ADMIN, buttons(review)["✅ 通过"])
        assert answers(first) == 1
        assert shown(by(first, ADMIN.id))[0] == "✅ 已通过：#90 2023Q4 第 1 版。已通知提交人。"
        assert shown(by(first, ADMIN.id))[1].startswith("🔍 待审核（共 1 份，这是第 1 份）：\n#93")
        assert len(shown(by(first, ADMIN.id))) == 2  # no error, no alert to admins
        assert to(first, LIAISON.id) == ["✅ 您提交的 #90（2023Q4 第 1 版）已通过审核。"]

        second = await harness.press(ADMIN, buttons(by(first, ADMIN.id))["✅ 通过"])
        assert answers(second) == 1
        assert shown(by(second, ADMIN.id)) == [
            "✅ 已通过：#93 2023Q4 第 1 版。已通知提交人。",
            zh("review.none"),
        ]
        assert to(second, LIAISON.id) == ["✅ 您提交的 #93（2023Q4 第 1 版）已通过审核。"]


async def test_a_failed_answer_to_the_button_does_not_stop_the_approval(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), REVIEW_REQUIRED="true") as harness:
        await bind(harness)
        await submit_90_and_93(harness)
        review = await harness.send(ADMIN, "/review")
        approve = buttons(review)["✅ 通过"]
        # Telegram refuses the answer (as it does for a query it thinks too old).
        harness.request.failing_answers = 1
        first = await harness.press(ADMIN, approve)
        assert shown(by(first, ADMIN.id))[0] == "✅ 已通过：#90 2023Q4 第 1 版。已通知提交人。"
        assert shown(by(first, ADMIN.id))[1].startswith("🔍 待审核（共 1 份，这是第 1 份）：\n#93")
        assert to(first, LIAISON.id) == ["✅ 您提交的 #90（2023Q4 第 1 版）已通过审核。"]
        # A second tap on the same button: the alert says it is done already, nothing changes.
        again = await harness.press(ADMIN, approve)
        assert shown(again) == ["这份填报已经审核过了（已通过）。"]


async def test_the_returned_notice_opens_the_draft_in_a_new_message(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), REVIEW_REQUIRED="true") as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        review = await harness.send(ADMIN, "/review")
        await harness.press(ADMIN, buttons(review)["↩️ 退回"])
        returned = await harness.send(ADMIN, "请补充投资完成比例")
        notice = next(p for name, p in returned if p.get("chat_id") == LIAISON.id)
        revise = buttons([("sendMessage", notice)])["✏️ 修改"]
        assert revise.startswith("rp:open:")

        opened = await harness.press(LIAISON, revise)
        # The notice with the comment stays as it was; the draft comes in a new message.
        assert [name for name, _ in opened] == ["answerCallbackQuery", "sendMessage"]
        assert "↩️ 督查室退回意见：请补充投资完成比例" in shown(opened)[0]


async def test_a_card_that_cannot_be_edited_is_answered_in_a_new_message(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), REVIEW_REQUIRED="true") as harness:
        await bind(harness)
        await submit_90_and_93(harness)
        review = await harness.send(ADMIN, "/review")
        harness.request.failing_edits = 1  # the card was deleted meanwhile
        first = await harness.press(ADMIN, buttons(review)["✅ 通过"])
        sent = [p["text"] for name, p in by(first, ADMIN.id) if name == "sendMessage"]
        assert sent[0] == "✅ 已通过：#90 2023Q4 第 1 版。已通知提交人。"
        assert sent[1].startswith("🔍 待审核（共 1 份，这是第 1 份）：\n#93")
