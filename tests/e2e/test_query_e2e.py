"""End to end: leaders and liaisons ask the running bot and get the right targets."""

from __future__ import annotations

import re
from pathlib import Path

from bot.i18n import Translator
from bot.plan.importer import DEMO_TABLE
from tests.e2e.botapi import FakeBotAPI, Sent, User
from tests.e2e.conftest import ADMIN, LEADER, LIAISON, BotProcess, run_cli

zh = Translator("zh")


# A result line begins with its light (and the earlier period it is from), then `#<number>`;
# a single target found opens to its details, whose first line begins `#<number>`.
LINE = re.compile(r"^(?:[🔴🟡⚪🟢](?: \(\d{4}Q\d\))? )?#(\d+) ", re.MULTILINE)


def numbers(sent: Sent) -> list[int]:
    """Return the target numbers of the answer's lines, or of the single target it opened."""
    return [int(m.group(1)) for m in LINE.finditer(sent.text)]


async def bind(api: FakeBotAPI, user: User, invite: str) -> None:
    await api.user_sends(ADMIN, invite)
    answer = await api.reply(ADMIN.id)
    if "start=" not in answer.text:  # a loose name (工信局): the admin confirms what is offered
        await api.press(ADMIN, answer, answer.buttons[0][1])
        answer = await api.reply(ADMIN.id)
    code = answer.text.rsplit("start=", 1)[1].strip()
    await api.user_sends(user, f"/start {code}")
    await api.reply(user.id)
    await api.reply(ADMIN.id)  # the admin is told the invite was accepted


async def ask(api: FakeBotAPI, user: User, text: str) -> Sent:
    await api.user_sends(user, text)
    return await api.reply(user.id)


async def test_leaders_questions_pages_and_details(api: FakeBotAPI, bot: BotProcess) -> None:
    await bind(api, LEADER, "/invite leader 王昌华")

    wang = await ask(api, LEADER, "王昌华")
    assert wang.text.startswith(
        "🔎 理解为：领导 王昌华\n找到 42 个目标（2023Q3），第 1/5 页：\n🟢 42\n"
        "🟢 #48 规模以上工业增加值增长6%左右 · 市工业和信息化局 · 年底 · 按计划\n"
    )
    assert numbers(wang) == list(range(48, 58))
    labels = [label for label, _ in wang.buttons]
    assert labels[:10] == [f"#{n}" for n in range(48, 58)]
    assert labels[-1] == "▶"

    next_page = dict(wang.buttons)["▶"]
    await api.press(LEADER, wang, next_page)
    page2 = await api.reply(LEADER.id)
    assert page2.method == "editMessageText"
    assert numbers(page2) == list(range(58, 68))
    assert [label for label, _ in page2.buttons][-2:] == ["◀", "▶"]

    await api.press(LEADER, page2, dict(page2.buttons)["#60"])
    detail = await api.reply(LEADER.id)
    assert detail.text.startswith("#60 深入实施“云行齐鲁工赋山东”行动")
    assert "👤 王昌华 — 市工业和信息化局" in detail.text
    assert "2023Q3 · 按计划 · 第 1 版：组织召开数字经济" in detail.text
    assert "填报记录：" in detail.text

    for text, expected in [
        ("曹 临", list(range(90, 97))),
        ("#48", [48]),  # one target found: its details straight away
        ("48号", [48]),
        ("第90项", [90]),
        ("10月底", [47]),
        ("曹临 水务局", [90, 93, 96]),
        ("人社局", list(range(40, 46))),
        ("卫健委", [69, 77, 78, 79, 80, 81, 82, 87, 88, 89]),
        ("5G", [60, 86]),
        ("医保", [83, 84, 85]),
    ]:
        assert numbers(await ask(api, LEADER, text)) == expected, text

    behind = await ask(api, LEADER, "王昌华 behind schedule")
    assert behind.text == (
        "🔎 理解为：领导 王昌华 · 状态 滞后（behind schedule）\n王昌华 的 42 个目标中，没有滞后的。"
    )

    risky = await ask(api, LEADER, "预警")
    assert numbers(risky) == [46, 90]
    assert (
        "找到 2 个目标（2023Q3）：\n🟡 2\n"
        "🟡 #46 新建住宅小区绿色综合能源服务站50个 · 市发展改革委 · 年底 · 预警：18/50个（36%），"
        "但全年时间已过 75%\n" in risky.text
    )
    await api.press(LEADER, risky, dict(risky.buttons)["#90"])
    assert (
        "🟡 预警：16.32亿元/30亿元（54%），但全年时间已过 75%" in (await api.reply(LEADER.id)).text
    )

    counties = await ask(api, LEADER, "/q 县人民政府")
    assert counties.text == "“县人民政府” 对应多个单位，请选择："
    await api.press(LEADER, counties, dict(counties.buttons)["东明县人民政府"])
    chosen = await api.reply(LEADER.id)
    assert numbers(chosen) == [53]
    assert chosen.text.startswith(
        "🔎 理解为：单位 东明县人民政府\n找到 1 个目标（2023Q3）：\n#53 加快建设东明石化"
    )
    assert "👤 王昌华 — 市工业和信息化局、东明县人民政府、巨野县人民政府、单县人民政府" in (
        chosen.text
    )
    # The details are all there: no button to open them again, only what the leader may do.
    assert [label for label, _ in chosen.buttons] == ["✍️ 批示"]


async def test_a_liaison_sees_only_their_units_targets_even_by_forged_button(
    api: FakeBotAPI, bot: BotProcess
) -> None:
    await bind(api, LIAISON, "/invite liaison 水务局")
    mine = await ask(api, LIAISON, "曹临")
    assert numbers(mine) == [90, 93, 96]
    assert numbers(await ask(api, LIAISON, "王昌华")) == []

    # A forged details button for target #48 (市工业和信息化局): refused, nothing shown.
    ids = [data for label, data in mine.buttons if label == "#90"]
    target_90 = int(ids[0].removeprefix("qd:"))
    forged = await api.press(LIAISON, mine, f"qd:{target_90 - 42}")  # #48 by id order
    answer = await api.callback_answer(forged)
    assert answer["text"] == zh("detail.not_found")
    assert api.unread(LIAISON.id) == []


async def test_lists_one_hit_a_liaisons_own_unit_my_targets_and_courtesies(
    api: FakeBotAPI, bot: BotProcess, bot_env: dict[str, str], tmp_path: Path
) -> None:
    await bind(api, LEADER, "/invite leader 王昌华")
    await bind(api, LIAISON, "/invite liaison 水务局")
    # The supervision office re-imports the table with #53 reported 否 (behind).
    lines = []
    for line in DEMO_TABLE.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if cells[0] == "53":
            cells[5] = "否"
        lines.append("\t".join(cells))
    table = tmp_path / "behind.tsv"
    table.write_text("\n".join(lines), encoding="utf-8")
    await run_cli(bot_env, "import", str(table))

    # Lists: the light first, red, yellow, white, green, by number; a count per light first.
    whole = await ask(api, LEADER, "全部")
    assert whole.text.startswith(
        "🔎 理解为：全部目标\n找到 57 个目标（2023Q3），第 1/6 页：\n🔴 1 · 🟡 2 · 🟢 54\n"
        "🔴 #53 加快建设东明石化30万吨/年UPC科技试验、烯烃新材料、巨丰氢能循环产… · "
        "市工业和信息化局 · 年底 · 滞后\n🟡 #46 "
    )
    assert numbers(whole) == [53, 46, 90, 40, 41, 42, 43, 44, 45, 47]
    assert [label for label, _ in whole.buttons][:3] == ["#53", "#46", "#90"]
    mine = await ask(api, LEADER, "我的目标有哪些滞后")
    assert mine.text.startswith("🔎 理解为：领导 王昌华 · 状态 滞后\n找到 1 个目标（2023Q3）：\n")
    # One target found: its details at once with what the leader may do, not a button to open them.
    assert mine.text.splitlines()[2:4] == [
        "#53 加快建设东明石化30万吨/年UPC科技试验、烯烃新材料、巨丰氢能循环产业园、"
        "尚舜化工不溶性硫磺等项目,推动高端化工产业扩能提质",
        "🔴 滞后：2023Q3 报告滞后",
    ]
    assert "👤 王昌华 — 市工业和信息化局、东明县人民政府、巨野县人民政府、单县人民政府" in mine.text
    assert [label for label, _ in mine.buttons] == ["✍️ 批示"]

    # A liaison asking about another unit is told what they can see, with no button.
    other = await ask(api, LIAISON, "卫健委")
    assert other.text == (
        "🔎 理解为：单位 市卫生健康委（卫健委）\n" + zh("query.outside_unit", unit="市水务局")
    )
    assert other.buttons == []
    own = await ask(api, LIAISON, "我的")
    assert numbers(own) == [90, 93, 96]

    # Question words and thanks are neither keywords nor errors.
    five_g = await ask(api, LEADER, "工信局5g进展怎么样")
    assert five_g.text.startswith(
        "🔎 理解为：单位 市工业和信息化局（工信局） · 关键词 5g\n找到 2 个目标"
    )
    assert numbers(five_g) == [60, 86]
    thanks = await ask(api, LEADER, "谢谢")
    assert (thanks.text, thanks.buttons) == ("不客气！有问题随时发给我。", [])
