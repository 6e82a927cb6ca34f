"""批示 in process: a leader (and an admin) writes on #90, the 水务局 liaison gets it at once and
answers, the leader is told and the thread shows on the details; who may not write or answer is
refused and nothing changes; forged buttons; a restart in the middle keeps the text."""

from __future__ import annotations

from pathlib import Path

from tests.harness import Harness, Person, running_bot, shown
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

NOW = "2023-11-01 10:00"  # a Wednesday: three working days on is Monday 2023-11-06
ORDER = "请加快工程进度，确保年底完成30亿元投资目标。"
REPLY = "已召开专题会议，倒排工期，12月底前完成剩余投资。"


def to(calls: Calls, chat: int) -> list[str]:
    return [str(p["text"]) for name, p in calls if name == "sendMessage" and p["chat_id"] == chat]


def seen(calls: Calls, chat: int) -> list[str]:
    """Return what one person was shown: messages and edits in their chat."""
    return [
        str(p["text"])
        for name, p in calls
        if name in ("sendMessage", "editMessageText") and p["chat_id"] == chat
    ]


def alerts(calls: Calls) -> list[str]:
    return [str(p.get("text")) for name, p in calls if name == "answerCallbackQuery"]


def target_id(harness: Harness, number: int) -> int:
    return int(rows(harness.db_path, f"SELECT id FROM target WHERE number = {number}")[0][0])


def table(harness: Harness, sql: str) -> list[tuple[object, ...]]:
    return rows(harness.db_path, sql)


async def write_on_90(harness: Harness, author: Person = LEADER) -> Calls:
    """Open #90's details, press ✍️ 批示, type the instruction, and press 📤 发送."""
    details = await harness.press(author, f"qd:{target_id(harness, 90)}")
    asked = await harness.press(author, buttons(details)["✍️ 批示"])
    assert shown(asked) == [
        "✍️ 对第 90 号目标作出批示：持续推进“七网”建设,水利工程施工完成投资30亿元以上\n"
        "将发送给：市水务局。\n请写批示内容（最多 1000 字）。发送 /cancel 取消。"
    ]
    preview = await harness.send(author, ORDER)
    assert shown(preview) == [f"批示预览 · #90 → 市水务局\n{ORDER}\n\n确认发送吗？"]
    assert list(buttons(preview)) == ["📤 发送", "✏️ 重写", "✖️ 取消"]
    return await harness.press(author, buttons(preview)["📤 发送"])


async def test_a_leader_instructs_the_liaison_answers_and_the_leader_sees_the_thread(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        sent = await write_on_90(harness)
        assert seen(sent, LEADER.id) == [
            "✅ 批示已发送：#90 → 市水务局，已推送给 1 位联络员。答复期限：2023-11-06。"
        ]
        assert to(sent, LIAISON.id) == [
            f"✍️ 曹临 对第 90 号目标作出批示：\n{ORDER}\n\n"
            "目标：#90 持续推进“七网”建设,水利工程施工完成投资30亿元以上\n"
            "请 市水务局 于 2023-11-06 前答复（点下面的按钮）。"
        ]
        assert to(sent, INDUSTRY.id) == []  # another unit hears nothing
        instruction = table(
            harness,
            "SELECT id, author_id, author_name, author_role, text, reply_due, to_assisting"
            " FROM instruction",
        )
        assert instruction == [(1, LEADER.id, "曹临", "leader", ORDER, "2023-11-06", 0)]
        assert table(harness, "SELECT state FROM push WHERE kind = 'instruction'") == [("sent",)]
        assert table(harness, "SELECT COUNT(*) FROM instruction_draft") == [(0,)]

        asked = await harness.press(LIAISON, buttons(sent)["✍️ 答复"])
        assert shown(asked) == [
            f"✍️ 答复 曹临 2023-11-01 对 #90 的批示：\n{ORDER}\n\n"
            "请写 市水务局 的答复（最多 1000 字）。发送 /cancel 取消。"
        ]
        preview = await harness.send(LIAISON, REPLY)
        assert shown(preview) == [
            f"答复预览 · 市水务局 对 曹临 的批示（#90）\n{REPLY}\n\n确认发送吗？"
        ]
        done = await harness.press(LIAISON, buttons(preview)["📤 发送"])
        assert seen(done, LIAISON.id) == ["✅ 答复已发送给 曹临（#90）。"]
        assert to(done, LEADER.id) == [
            f"💬 市水务局 答复了您对 #90 的批示：\n{REPLY}\n\n您的批示（2023-11-01）：{ORDER}"
        ]
        assert table(harness, "SELECT instruction_id, answered_by, text FROM instruction_answer") == [
            (1, LIAISON.id, REPLY)
        ]
        # The thread is at the top of the details, for the leader and the liaison alike.
        details = shown(await harness.press(LEADER, f"qd:{target_id(harness, 90)}"))[0]
        lines = details.splitlines()
        assert lines[1:4] == [
            "✍️ 领导批示（1 条）：",
            f"• 2023-11-01 曹临：{ORDER}（✅ 已答复）",
            f"   ↳ 2023-11-01 10:00 市水务局（水务）：{REPLY}",
        ]
        actions = table(
            harness, "SELECT actor, action FROM audit_log WHERE action LIKE 'instruction_%'"
        )
        assert actions == [
            (f"user:{LEADER.id}", "instruction_write"),
            (f"user:{LIAISON.id}", "instruction_answer"),
        ]
