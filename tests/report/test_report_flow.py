"""The quarterly update as liaisons really use it: questions typed mid-draft, old buttons,
returning to the preview, the next target, pauses across restarts, and one clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram.ext import Job

from bot import clock
from bot.i18n import Translator
from bot.people.accounts import set_role
from handlers.report import pause_idle
from storage import targets as plans
from tests.harness import Harness, Person, running_bot, shown
from tests.report.test_report_chat import (
    ADMIN,
    LEADER,
    LIAISON,
    Calls,
    bind,
    buttons,
    choose_90,
    keyed,
    rows,
    walk_to_preview,
)

zh = Translator("zh")
WATER_EN = Person(2012, "Water", "en")


async def pick(harness: Harness, person: Person, number: int) -> Calls:
    listing = await harness.send(person, "/report")
    data = next(d for label, d in buttons(listing).items() if f"#{number} " in label)
    return await harness.press(person, data)


def progress(harness: Harness) -> list[tuple[object, ...]]:
    return rows(harness.db_path, "SELECT progress FROM draft")


async def test_an_old_discard_button_never_throws_away_another_draft(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        taken_90 = await harness.send(LIAISON, "1-11月完成投资21.5亿元")
        old_discard = buttons(taken_90)["放弃草稿"]
        await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
        preview = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:status:on_track"))
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        await pick(harness, LIAISON, 96)
        await harness.send(LIAISON, "黑臭水体治理完成12处")

        pressed = await harness.press(LIAISON, old_discard)
        assert shown(pressed) == [zh("report.stale_button")]
        assert progress(harness) == [("黑臭水体治理完成12处",)]
        # The draft's own button still works.
        current = buttons(await harness.send(LIAISON, "/report"))["放弃草稿"]
        assert shown(await harness.press(LIAISON, current)) == [zh("report.discarded")]
        assert progress(harness) == []


async def test_a_question_typed_mid_draft_is_answered_and_never_added(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")

        asked = await harness.send(LIAISON, "#96 进展")
        texts = shown(asked)
        assert texts[0].startswith("🔎 理解为：编号 #96")
        assert "\n#96 " in texts[0]
        assert texts[-1] == zh("report.held_answered", number=90)
        assert progress(harness) == [("1-11月完成投资21.5亿元",)]
        # The same update delivered again answers nothing more.
        assert await harness.replay() == []

        # It was progress after all: one tap puts it into the draft, in order.
        added = shown(await harness.press(LIAISON, buttons(asked)["➕ 加进草稿"]))
        assert added[0].startswith("已记入 #90 的进展，共")
        assert progress(harness) == [("1-11月完成投资21.5亿元\n#96 进展",)]


async def test_a_status_word_mid_draft_asks_what_it_is(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")
        asked = await harness.send(LIAISON, "已完成")
        assert shown(asked) == [zh("report.held_ask", number=90, text="已完成")]
        assert list(buttons(asked)) == ["➕ 加进草稿", "🔎 当作查询"]
        assert progress(harness) == [("1-11月完成投资21.5亿元",)]
        answered = shown(await harness.press(LIAISON, buttons(asked)["🔎 当作查询"]))
        assert answered[0].startswith("🔎 理解为：状态 已完成")
        assert progress(harness) == [("1-11月完成投资21.5亿元",)]
        # A long progress text with the same words is simply taken.
        taken = shown(await harness.send(LIAISON, "三处工程已完成，另两处正在施工"))[0]
        assert taken.startswith("已记入 #90 的进展")


async def test_a_held_message_is_placed_only_by_its_own_button(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")
        first = await harness.send(LIAISON, "96号已完成")  # a status with a name: asked
        assert shown(first) == [zh("report.held_ask", number=90, text="96号已完成")]
        second = await harness.send(LIAISON, "曹临")
        assert shown(second)[-1] == zh("report.held_answered", number=90)
        # The first note's button is about a message no longer held: it places nothing.
        pressed = shown(await harness.press(LIAISON, buttons(first)["➕ 加进草稿"]))
        assert pressed == [zh("report.stale_button")]
        assert progress(harness) == [("1-11月完成投资21.5亿元",)]
        await harness.press(LIAISON, buttons(second)["➕ 加进草稿"])
        assert progress(harness) == [("1-11月完成投资21.5亿元\n曹临",)]


async def test_a_question_typed_where_a_button_is_expected_is_answered(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")
        await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
        answered = await harness.send(LIAISON, "#96 进展")
        texts = shown(answered)
        assert texts[0].startswith("🔎 理解为：编号 #96")
        assert texts[-1] == zh("report.answered_step", number=90) + "\n\n" + zh("report.ask_status")
        assert list(buttons(answered))[:3] == ["按计划", "滞后", "已完成"]
        assert rows(harness.db_path, "SELECT step, progress FROM draft") == [
            ("status", "1-11月完成投资21.5亿元")
        ]


async def test_thanks_or_my_targets_mid_draft_are_answered_not_added(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")
        thanks = shown(await harness.send(LIAISON, "谢谢"))
        assert thanks == [zh("query.thanks"), zh("report.held_answered", number=90)]
        mine = shown(await harness.send(LIAISON, "我的"))
        assert "#90" in mine[0]
        assert "#96" in mine[0]
        assert mine[-1] == zh("report.held_answered", number=90)
        assert progress(harness) == [("1-11月完成投资21.5亿元",)]


async def test_editing_from_the_preview_returns_to_the_preview(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        assert list(buttons(preview)) == [
            "✅ 确认提交",
            "📎 佐证材料",
            "改进展",
            "改状态",
            "改原因",
            "改措施",
            "放弃草稿",
        ]
        editing = await harness.press(LIAISON, buttons(preview)["改进展"])
        assert "↩️ 回到预览" in buttons(editing)
        taken = await harness.send(LIAISON, "1-11月完成投资22亿元")
        back = await harness.press(LIAISON, buttons(taken)["写完了 ➡️"])
        assert shown(back)[0].startswith("📝 即将提交：")
        assert "进展情况：\n1-11月完成投资22亿元\n滞后原因：汛期停工两个月" in shown(back)[0]

        # A step opened from the preview and left unchanged: back to the preview as it was.
        status = await harness.press(LIAISON, buttons(back)["改状态"])
        assert list(buttons(status)) == ["按计划", "滞后", "已完成", "↩️ 回到预览", "放弃草稿"]
        again = shown(await harness.press(LIAISON, buttons(status)["↩️ 回到预览"]))[0]
        assert again.startswith("📝 即将提交：")
        assert "状态：滞后" in again
        reason = await harness.press(LIAISON, buttons(back)["改原因"])
        assert shown(await harness.send(LIAISON, "汛期停工三个月"))[0].startswith("📝 即将提交：")
        assert "滞后原因：汛期停工三个月" in shown(await harness.send(LIAISON, "/report"))[0]
        assert buttons(reason)


async def test_after_a_receipt_the_next_target_is_one_tap_away(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        receipt = await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        assert list(buttons(receipt)) == ["下一个：#93 ➡️"]
        card = await harness.press(LIAISON, buttons(receipt)["下一个：#93 ➡️"])
        # A new message: the receipt stays as it was.
        assert [name for name, _ in card if name != "answerCallbackQuery"] == ["sendMessage"]
        assert shown(card)[0].startswith("#93 全面实施深度节水控水行动")
        for number in (93, 96):
            if number == 96:
                await pick(harness, LIAISON, 96)
            await harness.send(LIAISON, "按计划推进，累计完成投资12亿元")
            await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
            last = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:status:on_track"))
            receipt = await harness.press(LIAISON, buttons(last)["✅ 确认提交"])
        assert shown(receipt)[0].endswith(zh("report.all_done", period="2023Q4"))
        assert buttons(receipt) == {}


async def test_a_returned_update_opens_in_a_new_message_with_the_comment(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), REVIEW_REQUIRED="true") as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        review = await harness.send(ADMIN, "/review")
        await harness.press(ADMIN, buttons(review)["↩️ 退回"])
        returned = await harness.send(ADMIN, "请补充投资完成比例")
        notice = next(p for _, p in returned if p.get("chat_id") == LIAISON.id)
        revise = buttons([("sendMessage", notice)])["✏️ 修改"]

        opened = await harness.press(LIAISON, revise.replace("rp:pick:", "rp:open:"))
        assert [name for name, _ in opened if name != "answerCallbackQuery"] == ["sendMessage"]
        assert "↩️ 督查室退回意见：请补充投资完成比例" in shown(opened)[0]
        taken = await harness.send(LIAISON, "1-11月完成投资21.5亿元，占年度目标72%")
        status = await harness.press(LIAISON, buttons(taken)["写完了 ➡️"])
        assert shown(status)[0].startswith("↩️ 督查室退回意见：请补充投资完成比例")


START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


async def draft_and_stop(tmp_path: Path, moment: datetime) -> None:
    """Write some progress for #90 at `moment`, then stop the bot (its timers go with it)."""
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        clock.set(lambda: moment)  # after start-up, which sets the clock from the settings
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")


async def test_a_pause_holds_across_a_restart(tmp_path: Path) -> None:
    await draft_and_stop(tmp_path, START)
    # The process is gone with its in-memory timer; three hours pass.
    async with running_bot(tmp_path, frozenset({ADMIN.id}), load_demo=False) as harness:
        clock.set(lambda: START + timedelta(hours=3))
        later = shown(await harness.send(LIAISON, "曹临"))
        assert later[0] == zh("report.paused", number=90)
        assert later[1].startswith("🔎 理解为：领导 曹临")
        assert rows(harness.db_path, "SELECT paused, progress FROM draft") == [
            (1, "1-11月完成投资21.5亿元")
        ]
        resumed = shown(await harness.send(LIAISON, "/report"))[0]
        assert resumed.startswith("继续您 #90 的 2023Q4 草稿：")


async def test_the_idle_check_pauses_flows_a_restart_forgot(tmp_path: Path) -> None:
    await draft_and_stop(tmp_path, START)
    async with running_bot(tmp_path, frozenset({ADMIN.id}), load_demo=False) as harness:
        job = Job(pause_idle, name="pause-idle-drafts")  # what the job queue runs
        clock.set(lambda: START + timedelta(minutes=90))
        before = len(harness.request.calls)
        await job.run(harness.app)
        assert shown(harness.request.calls[before:]) == []
        clock.set(lambda: START + timedelta(hours=2, minutes=5))
        await job.run(harness.app)
        await job.run(harness.app)  # once only
        assert shown(harness.request.calls[before:]) == [zh("report.paused", number=90)]
        assert rows(harness.db_path, "SELECT paused FROM draft") == [(1,)]
        # Told it is paused, the liaison's next words are a question, not progress.
        clock.set(lambda: START + timedelta(hours=2, minutes=30))
        asked = shown(await harness.send(LIAISON, "受汛期影响两处工程停工"))
        assert asked[0].startswith("🔎 ")
        assert progress(harness) == [("1-11月完成投资21.5亿元",)]


async def test_wording_a_liaison_meets(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), FAKE_TIME="2024-01-05 10:00"
    ) as harness:
        await bind(harness)
        listing = shown(await harness.send(LIAISON, "/report"))[0]
        assert listing.startswith("📋 市水务局 · 2023Q4 进度填报（今天（2024-01-05）截止）")
        await choose_90(harness)
        refused = shown(await harness.send(LIAISON, "字" * 2240))[0]
        assert refused == zh("report.too_long_alone", length=2240, limit=2000)
        leader = shown(await harness.send(LEADER, "/mine"))[0]
        assert "/report" not in leader
        assert leader == zh("report.mine_not_liaison")


async def test_one_clock_under_fake_time(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), FAKE_TIME="2023-12-20 10:00"
    ) as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        receipt = shown(await harness.press(LIAISON, buttons(preview)["✅ 确认提交"]))[0]
        assert "· 2023-12-20 10:0" in receipt
        assert "2024-01-05 截止，还剩 16 天" in receipt
        (stamp,) = rows(harness.db_path, "SELECT submitted_at FROM report WHERE source = 'chat'")
        assert str(stamp[0]).startswith("2023-12-20T02:0")
        invite = shown(await harness.send(ADMIN, "/invite liaison 水务局"))[0]
        assert "2023-12-27 10:0" in invite


async def test_the_flow_in_english(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        db = harness.app.bot_data.db
        water = next(u.id for u in await plans.list_units(db) if u.name == "市水务局")
        await set_role(db, telegram_id=WATER_EN.id, role="liaison", binding_id=water, actor="t")
        await pick(harness, WATER_EN, 93)
        taken = shown(await harness.send(WATER_EN, "Saving water in 12 districts"))[0]
        assert taken.startswith("Added to #93: 28 characters so far")
        asked = shown(await harness.send(WATER_EN, "#96"))
        assert asked[-1] == Translator("zh")("report.held_answered", "en", number=93)


async def test_a_unit_with_one_target_reads_right_in_english(tmp_path: Path) -> None:
    youth = Person(6006, "Youth", "en")
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        db = harness.app.bot_data.db
        unit = next(u.id for u in await plans.list_units(db) if u.name == "团市委")
        await set_role(db, telegram_id=youth.id, role="liaison", binding_id=unit, actor="t")
        listing = shown(await harness.send(youth, "/report"))[0]
        assert "Your unit has 1 target, 0 submitted. Choose it to report on:" in listing
