"""The quarterly update in chat, in process: every step, restarts, forged buttons, reviews."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.i18n import Translator
from bot.people.accounts import set_role
from storage import targets as plans
from tests.harness import Harness, Person, running_bot, shown

zh = Translator("zh")
ADMIN = Person(1001, "督查")
LIAISON = Person(2002, "水务")
INDUSTRY = Person(2003, "工信")
LEADER = Person(4004, "王")

Calls = list[tuple[str, dict[str, Any]]]


def buttons(calls: Calls) -> dict[str, str]:
    """Return the buttons of the last message shown: label → callback data."""
    for _, params in reversed(calls):
        markup = params.get("reply_markup")
        if markup:
            return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
    return {}


async def bind(harness: Harness) -> None:
    db = harness.app.bot_data.db
    units = {u.name: u.id for u in await plans.list_units(db)}
    leader = next(x for x in await plans.list_leaders(db) if x.name == "曹临")
    await set_role(
        db, telegram_id=LIAISON.id, role="liaison", binding_id=units["市水务局"], actor="t"
    )
    await set_role(
        db, telegram_id=INDUSTRY.id, role="liaison", binding_id=units["市工业和信息化局"], actor="t"
    )
    await set_role(db, telegram_id=LEADER.id, role="leader", binding_id=leader.id, actor="t")


async def choose_90(harness: Harness) -> Calls:
    listing = await harness.send(LIAISON, "/report")
    pick = next(data for label, data in buttons(listing).items() if "#90" in label)
    return await harness.press(LIAISON, pick)


def keyed(harness: Harness, person: Person, data: str) -> str:
    """Return a draft button's data as the bot builds it: naming the person's current draft."""
    found = rows(harness.db_path, f"SELECT key FROM draft WHERE telegram_id = {person.id}")
    return f"{data}:{found[0][0]}" if found else f"{data}:none"


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def walk_to_preview(harness: Harness) -> Calls:
    """Write #90's update through every step, behind, up to the preview."""
    card = await choose_90(harness)
    assert (
        "上期填报：\n   2023Q3 · 按计划 · 第 1 版：推进现代水网建设,完成投资16.32亿元"
        in shown(card)[0]
    )
    assert "本单位：市水务局（牵头）" in shown(card)[0]
    await harness.send(LIAISON, "1-11月完成投资21.5亿元")
    await harness.send(LIAISON, "受汛期影响两处工程停工")
    status = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
    assert shown(status) == [zh("report.ask_status")]
    reason = shown(await harness.press(LIAISON, buttons(status)["滞后"]))
    assert reason == [zh("report.ask_reason", limit=500)]
    await harness.send(LIAISON, "汛期停工两个月")
    return await harness.send(LIAISON, "倒排工期，增加施工班组")


async def test_a_liaison_submits_through_every_step_and_the_query_shows_it(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        listing = await harness.send(LIAISON, "/report")
        assert shown(listing)[0].startswith("📋 市水务局 · 2023Q4 进度填报（截止日期未定）")
        assert list(buttons(listing)) == [
            "⬜ #90 持续推进“七网”建设,水利工程施工完成投资30亿元以上",
            "⬜ #93 全面实施深度节水控水行动,创建国家节水型城市",
            "⬜ #96 加快生活污水和黑臭水体治理,全面完成“两个清零、一个提…",
        ]
        preview = await walk_to_preview(harness)
        assert shown(preview)[0] == (
            "📝 即将提交：\n#90 持续推进“七网”建设,水利工程施工完成投资30亿元以上\n"
            "期次：2023Q4 · 市水务局（牵头）\n状态：滞后\n"
            "进展情况：\n1-11月完成投资21.5亿元\n受汛期影响两处工程停工\n"
            "滞后原因：汛期停工两个月\n整改措施：倒排工期，增加施工班组\n\n"
            + zh("report.ask_confirm")
        )
        confirm = buttons(preview)["✅ 确认提交"]
        receipt = shown(await harness.press(LIAISON, confirm))[0]
        assert receipt.startswith("✅ 已保存：#90 持续推进")
        assert "2023Q4 · 第 1 版 · 滞后" in receipt
        # A double tap stores nothing more.
        assert shown(await harness.press(LIAISON, confirm))[0].startswith(
            zh("report.already_saved")
        )
        assert rows(
            harness.db_path,
            "SELECT period, revision, progress, status, reason, remedy, submitted_by, source "
            "FROM report WHERE source = 'chat'",
        ) == [
            (
                "2023Q4",
                1,
                "1-11月完成投资21.5亿元\n受汛期影响两处工程停工",
                "behind",
                "汛期停工两个月",
                "倒排工期，增加施工班组",
                LIAISON.id,
                "chat",
            )
        ]
        answer = shown(await harness.send(LEADER, "曹临滞后"))[0]
        # One target found: its details at once.
        assert (
            "#90 持续推进“七网”建设,水利工程施工完成投资30亿元以上\n🔴 滞后：2023Q4 报告滞后"
            in (answer)
        )
        mine = shown(await harness.send(LIAISON, "/mine"))[0]
        assert (
            "✅ #90 持续推进“七网”建设,水利工程施工完成投资30亿元以上（牵头）— 已提交第 1 版"
            in mine
        )
        assert "已提交 1/3" in mine


async def test_the_same_message_delivered_twice_is_taken_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "完成投资21.5亿元")
        assert await harness.replay() == []
        assert rows(harness.db_path, "SELECT progress FROM draft") == [("完成投资21.5亿元",)]


async def test_wrong_input_gets_a_hint_and_keeps_the_step(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        sticker = shown(await harness.send_sticker(LIAISON))[0]
        assert sticker.startswith(zh("report.hint_text"))
        assert shown(await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready")))[0] == zh(
            "report.no_progress"
        )
        await harness.send(LIAISON, "完成投资21.5亿元")
        await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
        typed = shown(await harness.send(LIAISON, "滞后"))[0]
        assert typed == zh("report.hint_buttons") + "\n\n" + zh("report.ask_status")
        old = shown(await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready")))[0]
        assert old == zh("report.stale_button")
        assert rows(harness.db_path, "SELECT step, progress FROM draft") == [
            ("status", "完成投资21.5亿元")
        ]
        early_edit = shown(
            await harness.press(LIAISON, keyed(harness, LIAISON, "rp:edit:progress"))
        )[0]
        assert early_edit == zh("report.stale_button")  # no edit buttons before the preview


async def test_text_over_the_limit_is_refused_whole(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "完成投资21.5亿元")
        refused = shown(await harness.send(LIAISON, "字" * 1995))[0]
        assert refused == zh("report.too_long", piece=1995, length=2006, limit=2000)
        assert rows(harness.db_path, "SELECT progress FROM draft") == [("完成投资21.5亿元",)]


async def test_a_liaison_cannot_open_another_units_target_even_by_forged_button(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        db = harness.app.bot_data.db
        target_48 = next(t for t in await plans.list_targets(db, 1) if t.number == 48)
        calls = await harness.press(LIAISON, f"rp:pick:{target_48.assignments[0].id}")
        assert shown(calls) == [zh("report.not_your_target")]
        assert [name for name, _ in calls] == ["answerCallbackQuery"]
        assert rows(harness.db_path, "SELECT COUNT(*) FROM draft") == [(0,)]
        # Nor confirm someone else's draft by its key.
        await choose_90(harness)
        await harness.send(LIAISON, "完成投资21.5亿元")
        await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
        preview = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:status:on_track"))
        key = buttons(preview)["✅ 确认提交"]
        stolen = await harness.press(INDUSTRY, key)
        assert shown(stolen) == [zh("report.stale_button")]
        assert rows(harness.db_path, "SELECT COUNT(*) FROM report WHERE source = 'chat'") == [(0,)]


async def test_a_restart_continues_the_draft_at_the_same_step(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")
    # A new process on the same database: the next message still belongs to the draft.
    async with running_bot(tmp_path, frozenset({ADMIN.id}), load_demo=False) as harness:
        taken = shown(await harness.send(LIAISON, "受汛期影响两处工程停工"))[0]
        assert taken.startswith("已记入 #90 的进展，共 27 字")
        resumed = shown(await harness.send(LIAISON, "/report"))[0]
        assert resumed.startswith("继续您 #90 的 2023Q4 草稿：")
        assert "1-11月完成投资21.5亿元\n受汛期影响两处工程停工" in resumed


async def test_revisions_until_the_deadline_then_refused_with_the_reason(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        services = harness.app.bot_data
        services.clock = lambda: datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
        opened = shown(await harness.send(ADMIN, "/period deadline 2026-11-30"))[0]
        assert opened.startswith("开放填报：2023Q4 · 截止：2026-11-30")
        preview = await walk_to_preview(harness)
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])

        card = shown(await choose_90(harness))[0]
        assert "本期已提交第 1 版" in card
        assert "发送新的文字将整体替换上面的内容" in card
        await harness.send(LIAISON, "1-11月完成投资23亿元，停工工程已复工")
        await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
        preview = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:status:on_track"))
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        assert rows(
            harness.db_path,
            "SELECT revision, status, progress FROM report WHERE source = 'chat' ORDER BY revision",
        ) == [
            (1, "behind", "1-11月完成投资21.5亿元\n受汛期影响两处工程停工"),
            (2, "on_track", "1-11月完成投资23亿元，停工工程已复工"),
        ]

        services.clock = lambda: datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
        late = shown(await harness.send(LIAISON, "/report"))[0]
        assert late == zh("report.deadline_passed", period="2023Q4", deadline="2026-11-30")
        # Only an admin can reopen.
        assert shown(await harness.send(LIAISON, "/period open 2023Q4 2026-12-10")) == [
            zh("access.denied")
        ]
        await harness.send(ADMIN, "/period open 2023Q4 2026-12-10")
        reopened = list(buttons(await harness.send(LIAISON, "/report")))
        assert reopened[-1].startswith("✅ #90")  # submitted ones come last


async def test_review_approve_and_return(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), REVIEW_REQUIRED="true") as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        submitted = await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        assert shown(submitted)[0].startswith("✅ 已提交，等待督查室审核：#90")
        # Admins hear of it in one gathered notice a few minutes later (tests/test_pushes.py).
        assert [p for _, p in submitted if p.get("chat_id") == ADMIN.id] == []
        # Leaders still see the approved (imported) Q3 text, with a mark.
        assert "🟡 预警" in shown(await harness.send(LEADER, "#90"))[0]

        review = await harness.send(ADMIN, "/review")
        text = shown(review)[0]
        assert text.startswith("🔍 待审核（共 1 份，这是第 1 份）：\n#90")
        assert "本期进展：\n1-11月完成投资21.5亿元" in text
        assert "上期（2023Q3 · 按计划）：推进现代水网建设,完成投资16.32亿元" in text
        await harness.press(ADMIN, buttons(review)["↩️ 退回"])
        returned = await harness.send(ADMIN, "请补充投资完成比例")
        to_liaison = [p for _, p in returned if p.get("chat_id") == LIAISON.id]
        assert to_liaison[0]["text"] == (
            "↩️ 您提交的 #90（2023Q4 第 1 版）被督查室退回：\n"
            "请补充投资完成比例\n\n请修改后重新提交。"
        )
        assert zh("review.none") in shown(returned)

        revise = buttons([("sendMessage", to_liaison[0])])["✏️ 修改"]
        card = shown(await harness.press(LIAISON, revise))
        assert "本期第 1 版" in card[0]
        assert "被退回" in card[0]
        await harness.send(LIAISON, "1-11月完成投资21.5亿元，占年度目标72%")
        await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
        preview = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:status:on_track"))
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])

        review = await harness.send(ADMIN, "/review")
        approved = await harness.press(ADMIN, buttons(review)["✅ 通过"])
        assert shown(approved)[0] == "✅ 已通过：#90 2023Q4 第 2 版。已通知提交人。"
        assert any(
            p.get("chat_id") == LIAISON.id and "已通过审核" in p["text"] for _, p in approved
        )
        again = await harness.press(ADMIN, buttons(review)["✅ 通过"])
        assert shown(again) == ["这份填报已经审核过了（已通过）。"]
        found = shown(await harness.send(LEADER, "#90"))[0]
        # Now the approved Q4 text counts: 21.5 of 30 亿元 with the whole year gone.
        assert "找到 1 个目标（2023Q4）" in found
        assert "🟡 预警：21.5亿元/30亿元（72%），但全年时间已过 100%" in found
        assert rows(
            harness.db_path,
            "SELECT r.revision, v.decision, v.comment FROM review v "
            "JOIN report r ON r.id = v.report_id ORDER BY r.revision",
        ) == [(1, "returned", "请补充投资完成比例"), (2, "approved", None)]


async def test_the_lead_unit_sees_the_assisting_units_part_and_only_its_own_is_official(
    tmp_path: Path,
) -> None:
    county = Person(2004, "东明")
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        db = harness.app.bot_data.db
        units = {u.name: u.id for u in await plans.list_units(db)}
        await set_role(
            db, telegram_id=county.id, role="liaison", binding_id=units["东明县人民政府"], actor="t"
        )
        listing = await harness.send(county, "/report")
        label = "⬜ #53 加快建设东明石化30万吨/年UPC科技试验、烯烃新材料…"
        assert list(buttons(listing)) == [label]
        card = shown(await harness.press(county, buttons(listing)[label]))
        assert "本单位：东明县人民政府（配合）" in card[0]
        await harness.send(county, "东明县完成智能化改造项目12个")
        await harness.press(county, keyed(harness, county, "rp:ready"))
        preview = await harness.press(county, keyed(harness, county, "rp:status:behind"))
        await harness.send(county, "资金未到位")
        preview = await harness.send(county, "争取专项债支持")
        receipt = shown(await harness.press(county, buttons(preview)["✅ 确认提交"]))
        assert "2023Q4 · 第 1 版 · 滞后" in receipt[0]

        lead = await harness.send(INDUSTRY, "/report")
        pick_53 = next(d for text, d in buttons(lead).items() if "#53" in text)
        lead_card = shown(await harness.press(INDUSTRY, pick_53))[0]
        assert (
            "其他责任单位本期（2023Q4）填报：\n• 东明县人民政府：2023Q4 · 滞后 · 第 1 版："
            in lead_card
        )
        assert "东明县完成智能化改造项目12个" in lead_card
        # The assisting part does not make the target behind for leaders.
        assert "#53" not in shown(await harness.send(LEADER, "/q 滞后"))[0]


async def test_cancel_at_any_step_drops_the_draft_and_stores_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "完成投资21.5亿元")
        await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
        assert shown(await harness.send(LIAISON, "/cancel")) == [zh("report.cancelled")]
        assert rows(harness.db_path, "SELECT COUNT(*) FROM draft") == [(0,)]
        assert shown(await harness.send(LIAISON, "/cancel")) == [zh("report.nothing_to_cancel")]
        # After cancelling, free text is a question again.
        assert shown(await harness.send(LIAISON, "曹临"))[0].startswith("🔎 理解为：领导 曹临")


async def test_a_flow_left_idle_is_paused_and_report_continues_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "完成投资21.5亿元")
        assert harness.app.job_queue is not None
        (timeout,) = harness.app.job_queue.jobs()  # the conversation's timeout
        before = len(harness.request.calls)
        await timeout.run(harness.app)
        assert shown(harness.request.calls[before:]) == [zh("report.paused", number=90)]
        assert rows(harness.db_path, "SELECT paused, progress FROM draft") == [
            (1, "完成投资21.5亿元")
        ]
        # The next free text is a question; /report brings the draft back.
        assert shown(await harness.send(LIAISON, "曹临"))[0].startswith("🔎 理解为：领导 曹临")
        resumed = shown(await harness.send(LIAISON, "/report"))[0]
        assert resumed.startswith("继续您 #90 的 2023Q4 草稿：")
        assert "完成投资21.5亿元" in resumed
        assert rows(harness.db_path, "SELECT paused FROM draft") == [(0,)]


async def test_report_with_a_number_opens_that_target_if_it_is_the_units(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        assert shown(await harness.send(LIAISON, "/report 48")) == [
            zh("report.no_such_target", number=48)
        ]
        card = shown(await harness.send(LIAISON, "/report #93"))[0]
        assert card.startswith("#93 全面实施深度节水控水行动,创建国家节水型城市")
        assert rows(harness.db_path, "SELECT step, period FROM draft") == [("progress", "2023Q4")]


async def test_progress_typed_while_the_index_is_being_built_is_kept_as_the_progress(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """A short text at a text step is checked for a question; a warming index keeps it text."""
    from bot.query.engine import QueryEngine
    from storage import search

    release = threading.Event()
    read = search.read_plan_file

    def slow_read(path: str) -> Any:
        release.wait(30)  # the build (after a restart) is still reading
        return read(path)

    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        services = harness.app.bot_data
        monkeypatch.setattr(search, "read_plan_file", slow_read)
        services.engine = QueryEngine(patience=0.05)
        services.engine.start(services.db)
        await harness.send(LIAISON, "按计划推进中")
        assert rows(harness.db_path, "SELECT progress FROM draft") == [("按计划推进中",)]
        release.set()
        await services.engine.refresh(services.db)
