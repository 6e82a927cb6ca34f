"""Questions in chat, in process: what leaders, liaisons and admins see in zh and en."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import aiosqlite
from telegram import Update

from bot import clock
from bot.i18n import Translator
from bot.people.accounts import set_role
from handlers.access import current_account
from handlers.context import BotContext
from handlers.query import answer_text
from storage import targets as plans
from storage.db import transaction
from tests.harness import Harness, Person, running_bot
from tests.harness import shown as sent

zh = Translator("zh")
en = Translator("en")
ADMIN = Person(1001, "督查")
LIAISON = Person(2002, "水务")
LEADER = Person(4004, "王")
LEADER_EN = Person(4005, "Wang", "en")
LIAISON_EN = Person(2005, "Water", "en")
ADMIN_EN = Person(1002, "Office", "en")

Calls = list[tuple[str, dict[str, Any]]]


def shown(calls: Calls) -> list[str]:
    """Return the texts shown as the user reads them (the HTML entities rendered)."""
    return [html.unescape(text) for text in sent(calls)]


def buttons(calls: Calls) -> list[str]:
    """Return the labels of the buttons under the last message shown."""
    for name, params in reversed(calls):
        if name in ("sendMessage", "editMessageText"):
            markup = params.get("reply_markup") or {"inline_keyboard": []}
            return [b["text"] for row in markup["inline_keyboard"] for b in row]
    return []


async def bind(harness: Harness) -> None:
    db = harness.app.bot_data.db
    units = {u.name: u.id for u in await plans.list_units(db)}
    wang = next(x for x in await plans.list_leaders(db) if x.name == "王昌华")
    for person in (LIAISON, LIAISON_EN):
        await set_role(
            db, telegram_id=person.id, role="liaison", binding_id=units["市水务局"], actor="t"
        )
    for person in (LEADER, LEADER_EN):
        await set_role(db, telegram_id=person.id, role="leader", binding_id=wang.id, actor="t")
    await set_role(db, telegram_id=ADMIN_EN.id, role="admin", binding_id=None, actor="t")


async def report(
    db: aiosqlite.Connection,
    number: int,
    period: str,
    status: str,
    progress: str = "1-11月工作推进情况",
) -> None:
    """Store the lead unit's update of target `number` for `period`, as a liaison submits it."""
    async with db.execute(
        "SELECT a.id, au.unit_id FROM assignment a JOIN target t ON t.id = a.target_id "
        "JOIN assignment_unit au ON au.assignment_id = a.id AND au.position = 1 "
        "WHERE t.number = ? ORDER BY a.position LIMIT 1",
        (number,),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    async with transaction(db):
        await plans.append_report(
            db,
            row[0],
            period,
            progress,
            status,
            source="chat",
            at=clock.stamp(),
            unit_id=row[1],
            reason="原因" if status == "behind" else None,
            remedy="措施" if status == "behind" else None,
        )


async def test_my_targets_are_a_leaders_own_a_liaisons_units_and_an_admin_is_told(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        behind = shown(await harness.send(LEADER, "我的目标有哪些滞后"))
        assert behind == ["🔎 理解为：领导 王昌华 · 状态 滞后\n王昌华 的 42 个目标中，没有滞后的。"]
        mine = shown(await harness.send(LEADER, "我的"))[0]
        assert mine.startswith(
            "🔎 理解为：领导 王昌华\n找到 42 个目标（2023Q3），第 1/5 页：\n🟢 42\n"
        )
        mine_en = shown(await harness.send(LEADER_EN, "my targets"))[0]
        assert mine_en.startswith(
            "🔎 Understood: leader 王昌华\n42 targets found (2023Q3), page 1/5:\n🟢 42\n"
            "🟢 #48 规模以上工业增加值增长6%左右 · 市工业和信息化局 · 年底 · on track\n"
        )

        unit = shown(await harness.send(LIAISON, "我的"))[0]
        assert unit.startswith("🔎 理解为：单位 市水务局\n找到 3 个目标（2023Q3）：\n🟡 1 · 🟢 2\n")
        assert "\n🟡 #90 " in unit
        assert "\n🟢 #93 " in unit
        assert "\n🟢 #96 " in unit

        admin = await harness.send(ADMIN, "我的")
        assert shown(admin) == [zh("query.mine_unbound")]
        assert "王昌华 滞后" in shown(admin)[0]
        assert buttons(admin) == []
        admin_en = await harness.send(ADMIN_EN, "my targets")
        assert shown(admin_en) == [
            "“My targets” are a leader's own targets or a liaison's unit's; your account is "
            "bound to neither. Name a leader or a unit instead, e.g. “王昌华 behind”, “水务局”."
        ]


async def test_a_reporting_window_shows_the_latest_known_lights_marked_with_their_period(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        db = harness.app.bot_data.db
        await report(db, 93, "2023Q4", "on_track")  # two Q4 updates in, the rest still due
        await report(db, 53, "2023Q4", "behind")

        whole = await harness.send(LEADER, "全部目标")
        text = shown(whole)[0]
        lines = text.splitlines()
        # #47 was due 10月底 and its latest report (Q3) does not say completed: overdue by Q4.
        assert lines[:6] == [
            "🔎 理解为：全部目标",
            "找到 57 个目标（2023Q4），第 1/6 页：",
            "🔴 2 · 🟡 2 · 🟢 53",
            "🔴 #47 新建“小荷学堂”100个 · 团市委 · 10月底 · 逾期（2023Q3）",
            "🔴 #53 加快建设东明石化30万吨/年UPC科技试验、烯烃新材料、巨丰氢能循环产… · "
            "市工业和信息化局 · 年底 · 滞后",
            "🟡 #46 新建住宅小区绿色综合能源服务站50个 · 市发展改革委 · 年底 · "
            "预警（2023Q3）：18/50个（36%），但全年时间已过 75%",
        ]
        assert lines[6].startswith("🟡 #90 持续推进“七网”建设")
        assert lines[7].startswith("🟢 #40 ")
        assert lines[-1] == "括号中的期次表示该状态来自那一期：2023Q4 的进展还没有报来。"

        # The at-risk filter uses the latest known status; "not submitted" still finds them.
        risky = shown(await harness.send(LEADER, "预警"))[0]
        assert risky.splitlines()[2:5] == [
            "🟡 2",
            "🟡 #46 新建住宅小区绿色综合能源服务站50个 · 市发展改革委 · 年底 · "
            "预警（2023Q3）：18/50个（36%），但全年时间已过 75%",
            "🟡 #90 持续推进“七网”建设,水利工程施工完成投资30亿元以上 · 市水务局 · "
            "年底 · 预警（2023Q3）：16.32亿元/30亿元（54%），但全年时间已过 75%",
        ]
        missing = shown(await harness.send(LEADER, "水务局 未填报"))[0]
        assert "找到 2 个目标（2023Q4）：\n🟡 1 · 🟢 1\n" in missing
        assert "#93" not in missing

        en_lines = shown(await harness.send(LEADER_EN, "曹临"))[0].splitlines()
        assert en_lines[1:3] == ["7 targets found (2023Q4):", "🟡 1 · 🟢 6"]
        assert en_lines[3].startswith("🟡 #90 ")
        assert " · at risk (2023Q3): " in en_lines[3]
        assert (
            "🟢 #93 全面实施深度节水控水行动,创建国家节水型城市 · 市水务局 · 年底 · on track"
            in (en_lines)
        )
        assert en_lines[-1] == (
            "A period in brackets marks a status from that period: "
            "the 2023Q4 update has not come in yet."
        )

        # Details say the same: the light and the period it is from.
        detail = shown(await harness.send(LEADER, "#46"))[0]
        assert "\n🟡 (2023Q3) 预警：18/50个（36%），但全年时间已过 75%\n" in detail


async def test_one_hit_opens_its_details_and_lists_put_the_light_first(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        one = await harness.send(LEADER, "第90项")
        text = shown(one)[0]
        assert text.startswith(
            "🔎 理解为：编号 #90\n找到 1 个目标（2023Q3）：\n"
            "#90 持续推进“七网”建设,水利工程施工完成投资30亿元以上\n"
            "🟡 预警：16.32亿元/30亿元（54%），但全年时间已过 75%\n"
            "完成时限：年底（2023-12-31）\n👤 曹临 — 市水务局\n"
        )
        assert "填报记录：" in text
        assert list(buttons(one)) == ["✍️ 批示"]  # no button to open the details again
        assert shown(await harness.send(LEADER_EN, "#86 behind")) == [
            "🔎 Understood: status behind · number #86\nThe one target is not behind."
        ]
        one_en = shown(await harness.send(LEADER_EN, "#86"))[0]
        assert one_en.startswith("🔎 Understood: number #86\n1 target found (2023Q3):\n#86 ")
        assert "👤 王昌华 — 市工业和信息化局, 市信息通信发展办公室" in one_en

        two = await harness.send(LEADER, "5G")
        assert shown(two)[0].splitlines()[1:] == [
            "找到 2 个目标（2023Q3）：",
            "🟢 2",
            "🟢 #60 深入实施“云行齐鲁工赋山东”行动,加快5G、千兆光网等建设应用,搭建一… · "
            "市工业和信息化局 · 年底 · 按计划",
            "🟢 #86 新建并开通5G基站1700个以上 · 市工业和信息化局 · 年底 · 按计划",
        ]
        assert buttons(two) == ["#60", "#86"]


async def test_a_liaison_asking_about_another_unit_is_told_what_they_can_see(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        other = await harness.send(LIAISON, "卫健委")
        assert shown(other) == [
            "🔎 理解为：单位 市卫生健康委（卫健委）\n"
            "您只能查看本单位（市水务局）的目标，其中没有符合条件的。"
            "可以发送 “我的”、“滞后” 或目标编号查询。"
        ]
        assert buttons(other) == []
        leader = await harness.send(LIAISON, "王昌华")
        assert shown(leader)[0].endswith(zh("query.outside_unit", unit="市水务局"))
        assert buttons(leader) == []
        number = await harness.send(LIAISON_EN, "#48")
        assert shown(number) == [
            "🔎 Understood: number #48\n"
            "You can see your own unit's targets only (市水务局), and none of them matches. "
            "Try “my targets”, “behind” or a target number."
        ]
        assert buttons(number) == []
        # Their own unit's targets still answer as before.
        assert "找到 3 个目标（2023Q3）" in shown(await harness.send(LIAISON, "水务局"))[0]


async def test_fillers_and_courtesies_are_neither_keywords_nor_errors(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        five_g = shown(await harness.send(LEADER, "工信局5g进展怎么样"))[0]
        assert five_g.startswith(
            "🔎 理解为：单位 市工业和信息化局（工信局） · 关键词 5g\n"
            "找到 2 个目标（2023Q3）：\n🟢 2\n"
        )
        assert "未能识别" not in five_g
        polite = shown(await harness.send(LEADER, "请问曹临的目标有哪些滞后呢？谢谢"))[0]
        assert polite == "🔎 理解为：领导 曹临 · 状态 滞后\n曹临 的 7 个目标中，没有滞后的。"
        thanks = await harness.send(LEADER, "谢谢")
        assert shown(thanks) == ["不客气！有问题随时发给我。"]
        assert buttons(thanks) == []
        assert shown(await harness.send(LEADER, "好的，谢谢！")) == ["不客气！有问题随时发给我。"]
        assert shown(await harness.send(LEADER, "好的")) == ["好的！有问题随时发给我。"]
        assert shown(await harness.send(LEADER_EN, "thanks!")) == [
            "You're welcome! Ask me anytime."
        ]
        english = shown(await harness.send(LEADER_EN, "please show me 5G"))[0]
        assert english.startswith("🔎 Understood: keywords 5g\n2 targets found (2023Q3):\n")
        how = shown(await harness.send(LEADER_EN, "how is 水务局 doing?"))[0]
        assert how.startswith("🔎 Understood: unit 市水务局\n3 targets found (2023Q3):\n")


async def test_answer_text_answers_as_free_text_would(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        typed = shown(await harness.send(LEADER, "曹临"))
        before = len(harness.request.calls)
        update = Update.de_json(harness.last_update, harness.app.bot)
        context = BotContext.from_update(update, harness.app)
        account = await current_account(update, context)
        assert account is not None
        await answer_text(update, context, account, "曹临")
        assert shown(harness.request.calls[before:]) == typed


async def test_a_question_while_the_index_is_first_built_hears_so_and_the_next_is_answered(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """At start the index is built in a thread; a question that cannot wait hears why."""
    import threading

    from bot.query.engine import QueryEngine
    from storage import search

    release = threading.Event()
    read = search.read_plan_file

    def slow_read(path: str) -> Any:
        release.wait(30)  # the build is still reading when the question comes
        return read(path)

    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        services = harness.app.bot_data
        monkeypatch.setattr(search, "read_plan_file", slow_read)
        services.engine = QueryEngine(patience=0.05)
        services.engine.start(services.db)
        assert shown(await harness.send(LEADER, "王昌华 滞后")) == [
            "⏳ 机器人刚启动，目标索引正在准备中，请过几秒钟再问一次。"
        ]
        assert shown(await harness.send(LEADER_EN, "behind schedule")) == [
            "⏳ The bot has just started and is still preparing its index of the targets. "
            "Please ask again in a few seconds."
        ]
        release.set()
        await services.engine.refresh(services.db)
        assert "\n#90 持续推进“七网”建设" in shown(await harness.send(LEADER, "#90"))[0]
