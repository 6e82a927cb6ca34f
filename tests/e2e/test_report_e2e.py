"""End to end: a liaison submits the quarterly update to the running bot, step by step."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.i18n import Translator
from tests.e2e.botapi import FakeBotAPI, Sent, User
from tests.e2e.conftest import ADMIN, LEADER, LIAISON, OTHER, TODAY, BotProcess, run_cli
from tests.e2e.test_query_e2e import ask, bind, numbers

zh = Translator("zh")
PROGRESS_1 = "1-11月完成水利投资21.5亿元"
PROGRESS_2 = "受汛期影响两处工程停工两个月"
REASON = "汛期停工，砂石料供应不足"
REMEDY = "倒排工期，增加施工班组，12月底前追回进度"


def rows(tmp_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        return conn.execute(sql, params).fetchall()


async def press(api: FakeBotAPI, user: User, sent: Sent, label: str) -> Sent:
    """Press the button with this label (its start is enough) and return what the bot shows."""
    data = next(d for text, d in sent.buttons if text.startswith(label))
    await api.press(user, sent, data)
    return await api.reply(user.id)


async def pick_90(api: FakeBotAPI) -> Sent:
    listing = await ask(api, LIAISON, "/report")
    assert listing.text.startswith("📋 市水务局 · 2023Q4 进度填报")
    return await press(api, LIAISON, listing, "⬜ #90")


async def write_behind_update(api: FakeBotAPI) -> Sent:
    """Go through every step of #90's update, behind, and return the preview."""
    card = await pick_90(api)
    assert card.method == "editMessageText"
    assert (
        "上期填报：\n   2023Q3 · 按计划 · 第 1 版：推进现代水网建设,完成投资16.32亿元" in card.text
    )
    assert "请发送 2023Q4 的进展情况" in card.text
    await ask(api, LIAISON, PROGRESS_1)
    taken = await ask(api, LIAISON, PROGRESS_2)
    assert taken.text.startswith(
        f"已记入 #90 的进展，共 {len(PROGRESS_1) + 1 + len(PROGRESS_2)} 字"
    )
    status = await press(api, LIAISON, taken, "写完了")
    assert status.text == zh("report.ask_status")
    reason = await press(api, LIAISON, status, "滞后")
    assert reason.text.startswith("请说明滞后的原因")
    remedy = await ask(api, LIAISON, REASON)
    assert remedy.text.startswith("请写出整改措施")
    preview = await ask(api, LIAISON, REMEDY)
    assert preview.text.startswith("📝 即将提交：\n#90")
    assert f"进展情况：\n{PROGRESS_1}\n{PROGRESS_2}\n滞后原因：{REASON}\n整改措施：{REMEDY}" in (
        preview.text
    )
    return preview


async def cli_query(env: dict[str, str], text: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(await run_cli(env, "query", text, "--json"))
    return result


async def test_a_liaison_submits_target_90_behind_and_everyone_sees_it(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    await bind(api, LIAISON, "/invite liaison 水务局")
    await bind(api, LEADER, "/invite leader 曹临")
    preview = await write_behind_update(api)
    receipt = await press(api, LIAISON, preview, "✅ 确认提交")
    assert receipt.text.startswith("✅ 已保存：#90 持续推进“七网”建设")
    assert "2023Q4 · 第 1 版 · 滞后 · " in receipt.text

    assert rows(
        tmp_path,
        "SELECT r.period, r.revision, r.progress, r.status, r.reason, r.remedy, r.submitted_by, "
        "u.name FROM report r JOIN unit u ON u.id = r.unit_id WHERE r.source = 'chat'",
    ) == [
        (
            "2023Q4",
            1,
            f"{PROGRESS_1}\n{PROGRESS_2}",
            "behind",
            REASON,
            REMEDY,
            LIAISON.id,
            "市水务局",
        )
    ]
    assert rows(tmp_path, "SELECT COUNT(*) FROM draft") == [(0,)]

    behind = await ask(api, LEADER, "曹临滞后")
    assert numbers(behind) == [90]
    # One target found: its details at once, no button to press.
    assert "#90 持续推进“七网”建设,水利工程施工完成投资30亿元以上\n🔴 滞后：2023Q4 报告滞后" in (
        behind.text
    )
    detail = behind
    assert f"2023Q4 · 滞后 · 第 1 版：{PROGRESS_1}\n{PROGRESS_2}" in detail.text
    assert f"滞后原因：{REASON}；整改措施：{REMEDY}" in detail.text
    assert "• 2023Q4 第 1 版 · 滞后 · " in detail.text
    assert "填报 · 水务（市水务局）" in detail.text

    found = (await cli_query(bot_env, "#90"))["results"][0]
    assert (found["number"], found["status"], found["period"]) == (90, "behind", "2023Q4")
    assert found["progress"] == f"{PROGRESS_1}\n{PROGRESS_2}"


async def test_kill_9_in_the_middle_and_the_draft_continues_after_restart(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    await bind(api, LIAISON, "/invite liaison 水务局")
    await pick_90(api)
    await ask(api, LIAISON, PROGRESS_1)  # answered: stored before the answer

    await bot.kill()
    await api.user_sends(LIAISON, PROGRESS_2)  # typed while the bot is down
    await bot.start()
    taken = await api.reply(LIAISON.id)
    assert taken.text.startswith(
        f"已记入 #90 的进展，共 {len(PROGRESS_1) + 1 + len(PROGRESS_2)} 字"
    )

    await bot.kill()
    await bot.start()
    resumed = await ask(api, LIAISON, "/report")
    assert resumed.text.startswith("继续您 #90 的 2023Q4 草稿：")
    assert f"已写（{len(PROGRESS_1) + 1 + len(PROGRESS_2)} 字）：\n{PROGRESS_1}\n{PROGRESS_2}" in (
        resumed.text
    )
    status = await press(api, LIAISON, resumed, "写完了")
    preview = await press(api, LIAISON, status, "按计划")
    receipt = await press(api, LIAISON, preview, "✅ 确认提交")
    assert "2023Q4 · 第 1 版 · 按计划" in receipt.text
    assert rows(tmp_path, "SELECT progress FROM report WHERE source = 'chat'") == [
        (f"{PROGRESS_1}\n{PROGRESS_2}",)
    ]


async def test_a_liaison_cannot_see_or_submit_another_units_target(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    await bind(api, LIAISON, "/invite liaison 水务局")
    await bind(api, OTHER, "/invite liaison 工信局")
    listing = await ask(api, LIAISON, "/report")
    assert [label.split()[1] for label, _ in listing.buttons] == ["#90", "#93", "#96"]

    (assignment_48,) = rows(
        tmp_path,
        "SELECT a.id FROM assignment a JOIN target t ON t.id = a.target_id WHERE t.number = 48",
    )
    forged = await api.press(LIAISON, listing, f"rp:pick:{assignment_48[0]}")
    assert (await api.callback_answer(forged))["text"] == zh("report.not_your_target")
    assert api.unread(LIAISON.id) == []

    # Nor can another unit's liaison confirm this liaison's draft with its button.
    await press(api, LIAISON, listing, "⬜ #90")
    await ask(api, LIAISON, PROGRESS_1)
    resumed = await ask(api, LIAISON, "/report")
    status = await press(api, LIAISON, resumed, "写完了")
    preview = await press(api, LIAISON, status, "按计划")
    confirm = next(d for label, d in preview.buttons if label.startswith("✅"))
    stolen = await api.press(OTHER, preview, confirm)
    assert (await api.callback_answer(stolen))["text"] == zh("report.stale_button")
    assert rows(tmp_path, "SELECT COUNT(*) FROM report WHERE source = 'chat'") == [(0,)]


async def test_revision_before_the_deadline_and_refusal_after_it(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    await bind(api, LIAISON, "/invite liaison 水务局")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    opened = await ask(api, ADMIN, f"/period open 2023Q4 {tomorrow}")
    assert opened.text.startswith(f"开放填报：2023Q4 · 截止：{tomorrow}")

    preview = await write_behind_update(api)
    await press(api, LIAISON, preview, "✅ 确认提交")
    listing = await ask(api, LIAISON, "/report")
    card = await press(api, LIAISON, listing, "✅ #90")
    assert "本期已提交第 1 版" in card.text
    taken = await ask(api, LIAISON, "1-11月完成投资23亿元，停工工程已复工")
    status = await press(api, LIAISON, taken, "写完了")
    preview = await press(api, LIAISON, status, "按计划")
    receipt = await press(api, LIAISON, preview, "✅ 确认提交")
    assert "2023Q4 · 第 2 版 · 按计划" in receipt.text
    assert rows(
        tmp_path,
        "SELECT revision, status, progress FROM report WHERE source = 'chat' ORDER BY revision",
    ) == [
        (1, "behind", f"{PROGRESS_1}\n{PROGRESS_2}"),
        (2, "on_track", "1-11月完成投资23亿元，停工工程已复工"),
    ]

    yesterday = (TODAY - timedelta(days=1)).isoformat()
    await ask(api, ADMIN, f"/period deadline {yesterday}")
    refused = await ask(api, LIAISON, "/report")
    assert refused.text == zh("report.deadline_passed", period="2023Q4", deadline=yesterday)
    assert rows(tmp_path, "SELECT COUNT(*) FROM report WHERE source = 'chat'") == [(2,)]


async def test_review_required_approve_and_return(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    bot = BotProcess(api, tmp_path, {**bot_env, "REVIEW_REQUIRED": "true"})
    await bot.start()
    try:
        await bind(api, LIAISON, "/invite liaison 水务局")
        await bind(api, LEADER, "/invite leader 曹临")
        preview = await write_behind_update(api)
        receipt = await press(api, LIAISON, preview, "✅ 确认提交")
        assert receipt.text.startswith("✅ 已提交，等待督查室审核：#90")

        # Until approved, leaders see the imported Q3 report, marked as having a newer one.
        wait = await ask(api, LEADER, "#90")
        assert "找到 1 个目标（2023Q3）" in wait.text
        assert zh("detail.pending_mark").strip() in wait.text  # one target: its details at once

        review = await ask(api, ADMIN, "/review")  # the gathered notice waits out quiet hours
        assert review.text.startswith("🔍 待审核（共 1 份，这是第 1 份）：\n#90")
        assert f"本期进展：\n{PROGRESS_1}" in review.text
        asking = await press(api, ADMIN, review, "↩️ 退回")
        assert asking.text.startswith("请写退回意见")
        done = await ask(api, ADMIN, "请写明投资完成比例")
        assert done.text == "↩️ 已退回：#90 2023Q4 第 1 版。已把意见转给提交人。"
        told = await api.reply(LIAISON.id)
        assert told.text == (
            "↩️ 您提交的 #90（2023Q4 第 1 版）被督查室退回：\n"
            "请写明投资完成比例\n\n请修改后重新提交。"
        )
        card = await press(api, LIAISON, told, "✏️ 修改")
        assert "本期第 1 版" in card.text
        taken = await ask(api, LIAISON, "1-11月完成投资21.5亿元，占年度目标的72%")
        status = await press(api, LIAISON, taken, "写完了")
        preview = await press(api, LIAISON, status, "按计划")
        await press(api, LIAISON, preview, "✅ 确认提交")

        await api.reply(ADMIN.id)  # what /review showed after the return: none waiting
        review = await ask(api, ADMIN, "/review")
        assert review.text.startswith("🔍 待审核（共 1 份，这是第 1 份）：\n#90")
        approved = await press(api, ADMIN, review, "✅ 通过")
        assert approved.text == "✅ 已通过：#90 2023Q4 第 2 版。已通知提交人。"
        assert (await api.reply(LIAISON.id)).text == (
            "✅ 您提交的 #90（2023Q4 第 2 版）已通过审核。"
        )
        seen = await ask(api, LEADER, "#90")
        assert "找到 1 个目标（2023Q4）" in seen.text
        assert "🟡 预警：完成率 72%，但全年时间已过 100%" in seen.text  # the stated share wins
        assert rows(
            tmp_path,
            "SELECT r.revision, v.decision, v.comment FROM review v "
            "JOIN report r ON r.id = v.report_id ORDER BY r.revision",
        ) == [(1, "returned", "请写明投资完成比例"), (2, "approved", None)]
    finally:
        assert await bot.stop() == 0


async def test_an_old_discard_button_leaves_the_open_draft_alone(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    """Bug: [放弃草稿] on a message from the finished #90 flow deleted the #96 draft."""
    await bind(api, LIAISON, "/invite liaison 水务局")
    await pick_90(api)
    taken_90 = await ask(api, LIAISON, PROGRESS_1)
    status = await press(api, LIAISON, taken_90, "写完了")
    preview = await press(api, LIAISON, status, "按计划")
    receipt = await press(api, LIAISON, preview, "✅ 确认提交")
    assert receipt.text.startswith("✅ 已保存：#90")
    listing = await ask(api, LIAISON, "/report")
    card = await press(api, LIAISON, listing, "⬜ #96")
    assert "请发送 2023Q4 的进展情况" in card.text
    taken_96 = await ask(api, LIAISON, "黑臭水体治理完成12处")
    assert taken_96.text.startswith("已记入 #96 的进展")

    old = next(data for label, data in taken_90.buttons if label.endswith("放弃草稿"))
    answer = await api.callback_answer(await api.press(LIAISON, taken_90, old))
    assert answer["text"] == zh("report.stale_button")
    assert rows(tmp_path, "SELECT progress FROM draft") == [("黑臭水体治理完成12处",)]
    resumed = await ask(api, LIAISON, "/report")
    assert resumed.text.startswith("继续您 #96 的 2023Q4 草稿：")


async def test_a_question_typed_mid_draft_is_answered_not_written_down(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    """Bug: `#96 进展` typed while drafting #90 was appended to #90's progress text."""
    await bind(api, LIAISON, "/invite liaison 水务局")
    await pick_90(api)
    await ask(api, LIAISON, PROGRESS_1)

    answer = await ask(api, LIAISON, "#96 进展")
    assert answer.text.startswith("🔎 理解为：编号 #96")
    held = await api.reply(LIAISON.id)
    assert held.text == zh("report.held_answered", number=90)
    assert rows(tmp_path, "SELECT progress FROM draft") == [(PROGRESS_1,)]

    # The liaison meant it as progress after all: one tap, and it is in #90's draft.
    added = await press(api, LIAISON, held, "➕")
    assert added.text.startswith(
        f"已记入 #90 的进展，共 {len(PROGRESS_1) + 1 + len('#96 进展')} 字"
    )
    assert rows(tmp_path, "SELECT progress FROM draft") == [(f"{PROGRESS_1}\n#96 进展",)]
