"""延期申请 in process: the 市水务局 liaison asks to extend #93 step by step, the admin approves
with a comment, the liaison is told, the details show the new date; forged and foreign presses
change nothing."""

from __future__ import annotations

from pathlib import Path

from bot.clock import stamp
from bot.extensions import service as extensions
from tests.harness import Harness, running_bot, shown
from tests.push.test_pushes import check
from tests.push.test_pushes import to as push_to
from tests.report.test_report_chat import (
    ADMIN,
    INDUSTRY,
    LEADER,
    LIAISON,
    Calls,
    bind,
    buttons,
    rows,
)

NOW = "2023-11-01 10:00"


def to(calls: Calls, chat: int) -> list[str]:
    return [str(p["text"]) for name, p in calls if name == "sendMessage" and p["chat_id"] == chat]


def alerts(calls: Calls) -> list[str]:
    return [str(p.get("text")) for name, p in calls if name == "answerCallbackQuery"]


async def ask_93(harness: Harness) -> Calls:
    first = await harness.send(LIAISON, "/extend 93")
    assert shown(first) == [
        "申请延期：第 93 号目标，完成时限 年底（2023-12-31）。\n"
        "请发送新的完成日期，例如 2024-03-31。发送 /cancel 取消。"
    ]
    assert shown(await harness.send(LIAISON, "明年春天")) == [
        "请按 年-月-日 写日期，例如 2024-03-31。"
    ]
    assert shown(await harness.send(LIAISON, "2023-12-01")) == [
        "新的完成日期 2023-12-01 应晚于目前的完成时限 2023-12-31。"
    ]
    assert shown(await harness.send(LIAISON, "2024年3月31日")) == ["请写明延期的理由。"]
    assert shown(await harness.send(LIAISON, "动员大会推迟到一月")) == ["请写明目前的工作进展。"]
    return await harness.send(LIAISON, "已委托第三方技术服务单位")


def due_93(harness: Harness) -> str:
    return str(rows(harness.db_path, "SELECT due_date FROM target WHERE number = 93")[0][0])


async def test_a_liaison_asks_the_admin_approves_and_the_details_show_the_new_date(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        sent = await ask_93(harness)
        assert to(sent, LIAISON.id) == [
            "🕒 已提交延期申请 1：#93 完成时限 2023-12-31 → 2024-03-31。审批结果会通知您。"
        ]
        assert to(sent, ADMIN.id) == [
            "🕒 延期申请 1：#93（市水务局）\n完成时限：2023-12-31 → 2024-03-31\n"
            "理由：动员大会推迟到一月\n进展：已委托第三方技术服务单位"
        ]
        assert to(sent, LEADER.id) == []  # EXTENSION_APPROVAL=admin
        # One open request per target.
        assert shown(await harness.send(LIAISON, "/extend 93")) == [
            "第 93 号目标已有一条待审批的延期申请，请等待审批结果。"
        ]

        asked = await harness.press(ADMIN, buttons(sent)["✅ 批准"])
        assert to(asked, ADMIN.id) == [
            "批准延期申请 1（#93：2023-12-31 → 2024-03-31）。请写审批意见，或发送 - 不写意见。"
            "发送 /cancel 取消。"
        ]
        done = await harness.send(ADMIN, "同意，请抓紧推进")
        assert to(done, ADMIN.id) == [
            "✅ 已批准延期申请 1：#93 完成时限改为 2024-03-31。已通知申请人。"
        ]
        assert to(done, LIAISON.id) == [
            "✅ 您对第 93 号目标的延期申请已批准：完成时限 2023-12-31 → 2024-03-31。"
            "意见：同意，请抓紧推进"
        ]
        assert due_93(harness) == "2024-03-31"
        target_id = rows(harness.db_path, "SELECT id FROM target WHERE number = 93")[0][0]
        details = shown(await harness.press(LIAISON, f"qd:{target_id}"))
        assert "完成时限：年底 → 2024-03-31（延期）" in details[0]
        # A list of results shows it on #93's line; the JSON says so.
        lines = "\n".join(shown(await harness.send(ADMIN, "/q 市水务局"))).splitlines()
        (line_93,) = [line for line in lines if "#93 " in line]
        assert " · 年底 → 2024-03-31（延期） · " in line_93
        (line_90,) = [line for line in lines if "#90 " in line]
        assert " · 年底 · " in line_90
        # The liaison's /report card shows the moved date the same way.
        card = shown(await harness.send(LIAISON, "/report 93"))
        assert "完成时限：年底 → 2024-03-31（延期）" in card[0]
        actions = rows(
            harness.db_path,
            "SELECT actor, action FROM audit_log WHERE action LIKE 'extension_%' ORDER BY id",
        )
        assert actions == [
            (f"user:{LIAISON.id}", "extension_ask"),
            (f"user:{ADMIN.id}", "extension_approve"),
        ]


async def test_a_refusal_asks_why_and_tells_the_liaison(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW, EXTENSION_APPROVAL="leader"
    ) as harness:
        await bind(harness)
        sent = await ask_93(harness)
        assert len(to(sent, LEADER.id)) == 1  # 曹临 decides too
        asked = await harness.press(LEADER, buttons(sent)["❌ 驳回"])
        assert to(asked, LEADER.id) == [
            "驳回延期申请 1（#93）。请写明驳回理由。发送 /cancel 取消。"
        ]
        done = await harness.send(LEADER, "节点不能后移")
        assert to(done, LIAISON.id) == [
            "❌ 您对第 93 号目标的延期申请未获批准，完成时限仍为 2023-12-31。理由：节点不能后移"
        ]
        assert due_93(harness) == "2023-12-31"
        # Decided: the admin's button is stale now.
        late = await harness.press(ADMIN, buttons(sent)["✅ 批准"])
        assert alerts(late) == ["这条延期申请已处理或已失效。"]


async def test_forged_and_foreign_presses_change_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        sent = await ask_93(harness)
        approve = buttons(sent)["✅ 批准"]
        # A leader when only admins decide; a liaison; another unit's liaison asking for #93.
        assert alerts(await harness.press(LEADER, approve)) == [
            "抱歉，这项功能不在您的权限范围内。发送 /help 查看您可以使用的功能。"
        ]
        assert len(alerts(await harness.press(LIAISON, approve))) == 1
        target_id = rows(harness.db_path, "SELECT id FROM target WHERE number = 93")[0][0]
        other = await harness.press(INDUSTRY, f"ex:ask:{target_id}")
        assert shown(other) == ["只有第 93 号目标牵头单位的联络员可以申请延期。"]
        for forged in ("ex:ok:abc", "ex:ok:99", "ex:no:0", "ex:ok:1:2", "ex:ask:", "ex:ask:999"):
            pressed = await harness.press(ADMIN, forged)
            assert alerts(pressed) == ["这条延期申请已处理或已失效。"], forged
        assert due_93(harness) == "2023-12-31"
        state = rows(harness.db_path, "SELECT state FROM extension_request")
        assert state == [("open",)]


async def test_the_details_offer_the_request_to_the_lead_units_liaison_only(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        target_id = rows(harness.db_path, "SELECT id FROM target WHERE number = 93")[0][0]
        details = await harness.press(LIAISON, f"qd:{target_id}")
        assert buttons(details) == {"🕒 申请延期": f"ex:ask:{target_id}"}
        assert buttons(await harness.press(ADMIN, f"qd:{target_id}")) == {
            "✍️ 批示": f"in:w:{target_id}"  # no 🕒: an admin does not ask for more time
        }
        started = await harness.press(LIAISON, f"ex:ask:{target_id}")
        assert shown(started)[0].startswith("申请延期：第 93 号目标，完成时限 年底（2023-12-31）。")
        assert shown(await harness.send(LIAISON, "/cancel")) == ["已取消，什么都没有改变。"]
        assert rows(harness.db_path, "SELECT COUNT(*) FROM extension_request") == [(0,)]
        # Open: the details say so, and the button is gone.
        await ask_93(harness)
        again = await harness.press(LIAISON, f"qd:{target_id}")
        assert "🕒 延期申请 1 待审批：2023-12-31 → 2024-03-31" in shown(again)[0]
        assert buttons(again) == {}


async def test_after_the_due_date_a_request_is_refused_naming_the_date(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), FAKE_TIME="2024-01-02 10:00"
    ) as harness:
        await bind(harness)
        refused = await harness.send(LIAISON, "/extend 93")
        assert shown(refused) == [
            "第 93 号目标的完成时限 2023-12-31 已过，不能再申请延期。延期须在完成时限之前申请。"
        ]
        assert shown(await harness.send(LIAISON, "/extend 4000")) == ["没有第 4000 号目标。"]


async def test_extensions_lists_the_open_requests_for_those_who_decide(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        assert shown(await harness.send(ADMIN, "/extensions")) == ["没有待您审批的延期申请。"]
        await ask_93(harness)
        listed = await harness.send(ADMIN, "/extensions")
        assert to(listed, ADMIN.id) == [
            "待审批的延期申请 1 条：",
            "🕒 延期申请 1：#93（市水务局）\n完成时限：2023-12-31 → 2024-03-31\n"
            "理由：动员大会推迟到一月\n进展：已委托第三方技术服务单位",
        ]
        # EXTENSION_APPROVAL=admin: the leader decides nothing; a liaison may not ask the list.
        assert shown(await harness.send(LEADER, "/extensions")) == ["没有待您审批的延期申请。"]
        assert shown(await harness.send(LIAISON, "/extensions")) == [
            "抱歉，这项功能不在您的权限范围内。发送 /help 查看您可以使用的功能。"
        ]
        # The listed card's ✅ decides the request as the pushed one does.
        await harness.press(ADMIN, buttons(listed)["✅ 批准"])
        await harness.send(ADMIN, "-")
        assert due_93(harness) == "2024-03-31"
        assert shown(await harness.send(ADMIN, "/extensions")) == ["没有待您审批的延期申请。"]


async def test_a_decider_who_turns_to_an_instruction_decides_nothing_with_its_words(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        sent = await ask_93(harness)
        await harness.press(ADMIN, buttons(sent)["✅ 批准"])  # the comment is asked, then
        target = rows(harness.db_path, "SELECT id FROM target WHERE number = 93")[0][0]
        asked = await harness.press(ADMIN, f"in:w:{target}")  # ✍️ 批示 on #93 instead
        assert to(asked, ADMIN.id)[0] == "已取消，什么都没有改变。"
        assert shown(asked)[-1].startswith("✍️ 对第 93 号目标作出批示")
        preview = await harness.send(ADMIN, "请抓紧推进节水型城市创建。")
        assert shown(preview)[0].startswith("批示预览 · #93 → 市水务局\n请抓紧推进节水型城市创建。")
        # The request is still open and the due date unchanged: the words were the instruction's.
        assert rows(harness.db_path, "SELECT state FROM extension_request") == [("open",)]
        assert due_93(harness) == "2023-12-31"
        assert to(preview, LIAISON.id) == []


async def test_opening_report_while_a_request_is_written_leaves_it_and_takes_the_progress(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        await harness.send(LIAISON, "/extend 93")  # the new date is asked, then the liaison
        listing = await harness.send(LIAISON, "/report")  # turns to the update instead
        pick = next(data for label, data in buttons(listing).items() if "#90" in label)
        card = await harness.press(LIAISON, pick)
        assert to(card, LIAISON.id)[0] == "已取消，什么都没有改变。"
        typed = await harness.send(LIAISON, "1-11月完成投资21.5亿元")
        assert "请按 年-月-日 写日期" not in "".join(shown(typed))
        assert rows(
            harness.db_path, f"SELECT progress FROM draft WHERE telegram_id = {LIAISON.id}"
        ) == [("1-11月完成投资21.5亿元",)]
        assert rows(harness.db_path, "SELECT COUNT(*) FROM extension_request") == [(0,)]


async def test_a_restart_between_the_decision_and_its_comment_keeps_the_decision(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        sent = await ask_93(harness)
        await harness.press(ADMIN, buttons(sent)["✅ 批准"])
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), load_demo=False, FAKE_TIME=NOW
    ) as harness:
        done = await harness.send(ADMIN, "同意，请抓紧推进")
        assert to(done, ADMIN.id) == [
            "✅ 已批准延期申请 1：#93 完成时限改为 2024-03-31。已通知申请人。"
        ]
        assert due_93(harness) == "2024-03-31"


async def test_extend_again_in_the_middle_starts_on_the_target_named(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        await harness.send(LIAISON, "/extend 93")  # #93's new date asked, then
        again = await harness.send(LIAISON, "/extend 90")  # the liaison means #90
        assert shown(again)[0].startswith("申请延期：第 90 号目标")
        assert shown(await harness.send(LIAISON, "2024-03-31")) == ["请写明延期的理由。"]


async def test_a_decision_from_the_command_line_reaches_the_liaison_at_the_next_check(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        await ask_93(harness)
        services = harness.app.bot_data
        # What `targetbot extensions refuse 1 --comment …` does, on the bot's database.
        decided = await extensions.decide(
            services.db, 1, approve=False, actor="cli", comment="节点不能后移", at=stamp()
        )
        await extensions.tell_asker(
            services.db, services.settings, services.t, decided, stamp(), now=False
        )
        _, calls = await check(harness, services.now())
        assert [p["text"] for p in push_to(calls, LIAISON.id)] == [
            "❌ 您对第 93 号目标的延期申请未获批准，完成时限仍为 2023-12-31。理由：节点不能后移"
        ]
        _, again = await check(harness, services.now())  # told once
        assert push_to(again, LIAISON.id) == []
