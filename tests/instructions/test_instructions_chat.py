"""批示 in process: a leader (and an admin) writes on #90, the 水务局 liaison gets it at once and
answers, the leader is told and the thread shows on the details; who may not write or answer is
refused and nothing changes; forged buttons; a restart in the middle keeps the text."""

from __future__ import annotations

from pathlib import Path

from bot.people.accounts import set_role
from storage import targets as plans
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
    walk_to_preview,
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
            "请写 市水务局 的答复（最多 1000 字）。发送 /cancel 取消。\n"
            "需要时可直接发送照片或文件作为佐证材料（最多 9 份）。"
        ]
        preview = await harness.send(LIAISON, REPLY)
        assert shown(preview) == [
            f"答复预览 · 市水务局 对 曹临 的批示（#90）\n{REPLY}\n\n确认发送吗？\n"
            "需要时可直接发送照片或文件作为佐证材料（最多 9 份）。"
        ]
        done = await harness.press(LIAISON, buttons(preview)["📤 发送"])
        assert seen(done, LIAISON.id) == ["✅ 答复已发送给 曹临（#90）。"]
        assert to(done, LEADER.id) == [
            f"💬 市水务局 答复了您对 #90 的批示：\n{REPLY}\n\n您的批示（2023-11-01）：{ORDER}"
        ]
        assert table(
            harness, "SELECT instruction_id, answered_by, text FROM instruction_answer"
        ) == [(1, LIAISON.id, REPLY)]
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


WANG = Person(4010, "Wang", "en")  # 王昌华, who reads English
STRANGER = Person(9009, "路人")


async def bind_wang(harness: Harness) -> None:
    db = harness.app.bot_data.db
    leader = next(x for x in await plans.list_leaders(db) if x.name == "王昌华")
    await set_role(db, telegram_id=WANG.id, role="leader", binding_id=leader.id, actor="t")


async def test_an_admin_writes_to_the_assisting_units_too_and_an_english_leader_writes(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        await bind_wang(harness)
        details = await harness.press(ADMIN, f"qd:{target_id(harness, 96)}")
        await harness.press(ADMIN, buttons(details)["✍️ 批示"])
        choice = await harness.send(ADMIN, "请两家单位协同推进")
        assert shown(choice) == ["是否同时发给配合单位（市生态环境局）？"]
        preview = await harness.press(ADMIN, buttons(choice)["同时发给配合单位"])
        assert shown(preview) == [
            "批示预览 · #96 → 市水务局、市生态环境局（配合）\n请两家单位协同推进\n\n确认发送吗？"
        ]
        sent = await harness.press(ADMIN, buttons(preview)["📤 发送"])
        assert seen(sent, ADMIN.id)[0].startswith(
            "✅ 批示已发送：#96 → 市水务局、市生态环境局（配合），已推送给 1 位联络员。"
        )
        assert to(sent, LIAISON.id)[0].startswith("✍️ 督查 对第 96 号目标作出批示：")
        assert table(harness, "SELECT unit_id IS NOT NULL, role FROM instruction_unit") == [
            (1, "lead"),
            (1, "assist"),
        ]

        # An English-speaking leader: every word in English; the liaison reads Chinese.
        await harness.send(WANG, "/lang en")  # pushes follow the language chosen
        details = await harness.press(WANG, f"qd:{target_id(harness, 90)}")
        asked = await harness.press(WANG, buttons(details)["✍️ Instruct"])
        assert shown(asked)[0].startswith("✍️ Instruction on target 90:")
        empty = await harness.send(WANG, "   ")
        assert shown(empty) == ["The text is empty: please write it again."]
        preview = await harness.send(WANG, "Speed up")
        assert list(buttons(preview)) == ["📤 Send", "✏️ Rewrite", "✖️ Cancel"]
        sent = await harness.press(WANG, buttons(preview)["📤 Send"])
        assert seen(sent, WANG.id) == [
            "✅ Instruction sent: #90 → 市水务局, pushed to 1 liaison(s). Answer due: 2023-11-06."
        ]
        assert to(sent, LIAISON.id)[0].startswith("✍️ 王昌华 对第 90 号目标作出批示：\nSpeed up")
        answered = await harness.press(LIAISON, buttons(sent)["✍️ 答复"])
        assert "请写 市水务局 的答复" in shown(answered)[0]
        preview = await harness.send(LIAISON, "收到")
        done = await harness.press(LIAISON, buttons(preview)["📤 发送"])
        assert to(done, WANG.id) == [
            "💬 市水务局 answered your instruction on #90:\n收到\n\n"
            "Your instruction (2023-11-01): Speed up"
        ]
        listing = await harness.send(WANG, "my instructions")
        assert shown(listing) == [
            "✍️ Your instructions: 1 (0 overdue):\n"
            "#90 王昌华 2023-11-01: Speed up · 市水务局 · ✅ answered"
        ]
        assert buttons(listing) == {"#90": f"qd:{target_id(harness, 90)}"}


async def test_who_may_not_write_or_answer_is_refused_and_nothing_changes(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        number_90 = target_id(harness, 90)
        # A liaison sees no ✍️ 批示, and a forged one is refused.
        details = await harness.press(LIAISON, f"qd:{number_90}")
        assert "✍️ 批示" not in buttons(details)
        forged = await harness.press(LIAISON, f"in:w:{number_90}")
        assert alerts(forged) == ["只有领导和管理员可以作出批示。"]
        assert table(harness, "SELECT COUNT(*) FROM instruction_draft") == [(0,)]
        assert shown(await harness.send(LIAISON, "/instruct 90")) == [
            "抱歉，这项功能不在您的权限范围内。发送 /help 查看您可以使用的功能。"
        ]
        stranger = await harness.press(STRANGER, f"in:w:{number_90}")
        assert alerts(stranger) == ["您好！您还没有开通使用权限，请向督查室管理员索取邀请链接。"]

        sent = await write_on_90(harness)
        answer = buttons(sent)["✍️ 答复"]
        # The liaison of another unit, the leader, and an admin may not answer.
        for person in (INDUSTRY, LEADER, ADMIN):
            refused = await harness.press(person, answer)
            assert alerts(refused) == ["只有批示所发往单位的联络员可以答复 #90 的批示。"]
        assert table(harness, "SELECT COUNT(*) FROM instruction_draft") == [(0,)]
        # Forged and stale presses: no such instruction, someone else's draft, bad shapes.
        assert alerts(await harness.press(LIAISON, "in:ans:77")) == ["找不到这条批示。"]
        await harness.press(LIAISON, answer)
        draft = table(harness, f"SELECT id FROM instruction_draft WHERE telegram_id = {LIAISON.id}")
        for data in (
            f"in:send:{draft[0][0]}",
            f"in:drop:{draft[0][0]}",
            "in:send:abc",
            "in:as:1:7",
            "in:ans:-1",
        ):
            assert alerts(await harness.press(INDUSTRY, data)) == ["这个按钮已失效。"]
        assert table(harness, "SELECT telegram_id, step FROM instruction_draft") == [
            (LIAISON.id, "in_text")
        ]
        # The owner's 📤 before the preview is stale too; then /cancel forgets the draft.
        assert alerts(await harness.press(LIAISON, f"in:send:{draft[0][0]}")) == [
            "这个按钮已失效。"
        ]
        assert shown(await harness.send(LIAISON, "/cancel")) == ["已取消，草稿已删除。"]
        assert table(harness, "SELECT COUNT(*) FROM instruction_draft") == [(0,)]
        assert table(harness, "SELECT COUNT(*) FROM instruction_answer") == [(0,)]
        # A second 📤 on the leader's sent preview stores nothing more.
        leader_send = str(table(harness, "SELECT source_key FROM instruction")[0][0])[1:]
        again = await harness.press(LEADER, f"in:send:{leader_send}")
        assert alerts(again) == ["这条批示已经发送过了。"]
        assert table(harness, "SELECT COUNT(*) FROM instruction") == [(1,)]
        assert table(harness, "SELECT COUNT(*) FROM push WHERE kind = 'instruction'") == [(1,)]


async def test_a_restart_in_the_middle_keeps_what_was_typed(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        details = await harness.press(LEADER, f"qd:{target_id(harness, 90)}")
        await harness.press(LEADER, buttons(details)["✍️ 批示"])
    # A new process: the next message is still the instruction's text.
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), load_demo=False, FAKE_TIME=NOW
    ) as harness:
        preview = await harness.send(LEADER, ORDER)
        assert shown(preview) == [f"批示预览 · #90 → 市水务局\n{ORDER}\n\n确认发送吗？"]
        send = buttons(preview)["📤 发送"]
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), load_demo=False, FAKE_TIME=NOW
    ) as harness:
        # The preview's button, pressed after another restart, sends the text kept.
        sent = await harness.press(LEADER, send)
        assert seen(sent, LEADER.id)[0].startswith("✅ 批示已发送：#90 → 市水务局")
        assert to(sent, LIAISON.id)[0].startswith(f"✍️ 曹临 对第 90 号目标作出批示：\n{ORDER}")
        assert table(harness, "SELECT text FROM instruction") == [(ORDER,)]


async def test_leaders_admins_and_liaisons_ask_for_instructions_in_chat(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        assert shown(await harness.send(LEADER, "批示")) == [
            "您还没有作出批示。在目标详情中点 ✍️ 批示 即可。"
        ]
        await write_on_90(harness)
        line = f"#90 曹临 2023-11-01：{ORDER} · 市水务局 · ⏳ 待答复（2023-11-06 前）"
        assert shown(await harness.send(LEADER, "我的批示")) == [
            f"✍️ 您的批示 1 条（逾期未答复 0 条）：\n{line}"
        ]
        assert shown(await harness.send(LEADER, "未回复的批示")) == [
            f"✍️ 您的批示中未答复的 1 条（其中逾期 0 条）：\n{line}"
        ]
        assert shown(await harness.send(ADMIN, "/q 未回复的批示")) == [
            f"✍️ 未答复的批示 1 条（其中逾期 0 条）：\n{line}"
        ]
        assert shown(await harness.send(LIAISON, "批示")) == [
            f"✍️ 给本单位的批示 1 条（逾期未答复 0 条）：\n{line}"
        ]
        assert shown(await harness.send(INDUSTRY, "批示")) == ["还没有给本单位的批示。"]
        # The liaison answers from the target's details as well as from the push.
        details = await harness.press(LIAISON, f"qd:{target_id(harness, 90)}")
        assert buttons(details)["✍️ 答复 2023-11-01 曹临 的批示"] == "in:ans:1"
        # Other questions are understood as before.
        assert shown(await harness.send(LEADER, "水务局"))[0].startswith("🔎 理解为：")


PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # a site photo, 10 KB


async def test_an_answer_carries_evidence_to_the_leader_and_only_those_who_may_see_it(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        sent = await write_on_90(harness)
        await harness.press(LIAISON, buttons(sent)["✍️ 答复"])
        # A photo at the text step is taken; then the text; a document at the preview too.
        taken = await harness.send_photo(LIAISON, PHOTO, caption="现场施工")
        assert shown(taken) == ["📎 已收到 1/9：现场施工.jpg（10 KB）"]
        preview = await harness.send(LIAISON, REPLY)
        assert "📎 佐证材料：\n1. 现场施工.jpg（10 KB）" in shown(preview)[0]
        taken = await harness.send_document(
            LIAISON, "验收.pdf", b"%PDF-1.7 ok", mime_type="application/pdf"
        )
        assert shown(taken) == ["📎 已收到 2/9：验收.pdf（1 KB）"]
        assert table(harness, "SELECT owner_kind, name FROM evidence ORDER BY position") == [
            ("answer_draft", "现场施工.jpg"),
            ("answer_draft", "验收.pdf"),
        ]
        done = await harness.press(LIAISON, buttons(preview)["📤 发送"])
        (answer_id,) = table(harness, "SELECT id FROM instruction_answer")[0]
        assert table(harness, "SELECT DISTINCT owner_kind, owner_id FROM evidence") == [
            ("answer", answer_id)
        ]
        (told,) = to(done, LEADER.id)
        assert told.endswith("📎 佐证材料 2 份（点下面的按钮查看）")
        files_button = buttons(done)["📎 佐证材料 2 份"]
        assert files_button == f"ev:a:{answer_id}"
        # The leader gets both files by their Telegram ids; so does the admin.
        for person in (LEADER, ADMIN):
            calls = await harness.press(person, files_button)
            assert [n for n, p in calls if n in ("sendPhoto", "sendDocument")] == [
                "sendPhoto",
                "sendDocument",
            ]
        # Another unit's liaison may not see #90: a forged press sends nothing.
        forged = await harness.press(INDUSTRY, files_button)
        assert [n for n, _ in forged if n in ("sendPhoto", "sendDocument")] == []
        assert alerts(forged) == ["这份佐证材料已不存在，或者您无权查看。"]
        missing = await harness.press(LEADER, "ev:a:999")
        assert alerts(missing) == ["这份佐证材料已不存在，或者您无权查看。"]
        # The details mark the answer and offer its files.
        details = await harness.press(LEADER, f"qd:{target_id(harness, 90)}")
        assert shown(details)[0].splitlines()[3].endswith(f"{REPLY} 📎2")
        assert buttons(details)["📎 市水务局 佐证材料 2 份"] == files_button


async def test_an_instruction_takes_no_files_and_a_dropped_answer_forgets_its_files(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        details = await harness.press(LEADER, f"qd:{target_id(harness, 90)}")
        await harness.press(LEADER, buttons(details)["✍️ 批示"])
        refused = await harness.send_photo(LEADER, PHOTO)
        assert shown(refused) == ["批示只含文字。佐证材料由责任单位在答复时附上。"]
        assert table(harness, "SELECT COUNT(*) FROM evidence") == [(0,)]
        preview = await harness.send(LEADER, ORDER)
        sent = await harness.press(LEADER, buttons(preview)["📤 发送"])
        await harness.press(LIAISON, buttons(sent)["✍️ 答复"])
        await harness.send_photo(LIAISON, PHOTO)
        preview = await harness.send(LIAISON, REPLY)
        dropped = await harness.press(LIAISON, buttons(preview)["✖️ 取消"])
        assert seen(dropped, LIAISON.id) == ["已取消，草稿已删除。"]
        assert table(harness, "SELECT COUNT(*) FROM evidence") == [(0,)]


async def test_opening_report_while_an_answer_waits_keeps_the_answer_and_takes_the_progress(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        sent = await write_on_90(harness)
        answer = buttons(sent)["✍️ 答复"]
        await harness.press(LIAISON, answer)  # the answer's text step, then the liaison turns
        listing = await harness.send(LIAISON, "/report")  # to this quarter's update instead
        pick = next(data for label, data in buttons(listing).items() if "#90" in label)
        card = await harness.press(LIAISON, pick)
        assert seen(card, LIAISON.id)[-2] == "✍️ 草稿已保留（#90）。再次点 ✍️ 按钮可以继续。"
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")
        # The words typed for the update are the update's, not an answer to the leader.
        assert table(harness, f"SELECT progress FROM draft WHERE telegram_id = {LIAISON.id}") == [
            ("1-11月完成投资21.5亿元",)
        ]
        assert table(harness, "SELECT step, text, paused FROM instruction_draft") == [
            ("in_text", None, 1)
        ]
        # ✍️ 答复 again: the answer goes on where it was, and takes the next words.
        await harness.press(LIAISON, answer)
        preview = await harness.send(LIAISON, REPLY)
        assert shown(preview)[0].startswith(f"答复预览 · 市水务局 对 曹临 的批示（#90）\n{REPLY}")


async def test_an_admin_who_asked_to_reopen_then_writes_an_instruction_reopens_nothing(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        target = target_id(harness, 90)
        db = harness.app.bot_data.db
        found = await plans.target_by_id(db, target)
        assert found is not None
        for assignment in found.assignments:
            await plans.append_report(
                db,
                assignment.id,
                "2023Q3",
                "全部完成",
                "completed",
                source="import",
                at="2023-09-30",
            )
        await db.commit()
        await harness.press(ADMIN, f"cl:{target}")  # 办结
        await harness.press(ADMIN, f"cl:reopen:{target}")  # ↩️: the reason is asked, then
        asked = await harness.press(ADMIN, f"in:w:{target}")  # ✍️ 批示 instead
        assert shown(asked)[-1].startswith("✍️ 对第 90 号目标作出批示")
        assert seen(asked, ADMIN.id)[0] == "已取消，目标仍为办结。"
        preview = await harness.send(ADMIN, ORDER)
        # The words are the instruction's: the target stays closed, nothing is reopened.
        assert shown(preview) == [f"批示预览 · #90 → 市水务局\n{ORDER}\n\n确认发送吗？"]
        assert table(harness, f"SELECT closed_on FROM target WHERE id = {target}") != [(None,)]
        assert table(harness, "SELECT COUNT(*) FROM audit_log WHERE action = 'target_reopen'") == [
            (0,)
        ]


async def test_an_admin_who_began_a_return_then_writes_an_instruction_returns_nothing(
    tmp_path: Path,
) -> None:
    async with running_bot(
        tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW, REVIEW_REQUIRED="true"
    ) as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        review = await harness.send(ADMIN, "/review")
        await harness.press(ADMIN, buttons(review)["↩️ 退回"])  # the comment is asked, then
        asked = await harness.press(ADMIN, f"in:w:{target_id(harness, 90)}")  # ✍️ 批示
        assert seen(asked, ADMIN.id)[0] == "好的，这份填报没有退回，仍待审核。"
        preview = await harness.send(ADMIN, ORDER)
        assert shown(preview) == [f"批示预览 · #90 → 市水务局\n{ORDER}\n\n确认发送吗？"]
        # Nothing was returned with the instruction's words; the liaison heard nothing.
        assert table(harness, "SELECT COUNT(*) FROM review") == [(0,)]
        assert to(preview, LIAISON.id) == []


async def test_instruct_again_in_the_middle_starts_on_the_target_named(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        details = await harness.press(LEADER, f"qd:{target_id(harness, 90)}")
        await harness.press(LEADER, buttons(details)["✍️ 批示"])  # #90's text asked, then
        again = await harness.send(LEADER, "/instruct 93")  # the leader means #93 after all
        assert shown(again)[0].startswith("✍️ 对第 93 号目标作出批示")
        preview = await harness.send(LEADER, ORDER)
        assert shown(preview) == [f"批示预览 · #93 → 市水务局\n{ORDER}\n\n确认发送吗？"]


async def test_a_second_instruction_waits_for_the_first_draft_and_loses_no_word(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), FAKE_TIME=NOW) as harness:
        await bind(harness)
        details = await harness.press(LEADER, f"qd:{target_id(harness, 90)}")
        await harness.press(LEADER, buttons(details)["✍️ 批示"])
        await harness.send(LEADER, ORDER)  # at the preview, not sent
        # ✍️ on #93 now: the #90 draft is shown again with its words; nothing is replaced.
        other = await harness.press(LEADER, f"in:w:{target_id(harness, 93)}")
        (text,) = seen(other, LEADER.id)
        assert text.startswith(
            "您还有一条对 #90 的批示草稿没有发送。"
            "一次写一条：请先发送或取消（✖️ 取消）它，再开始新的。"
        )
        assert f"批示预览 · #90 → 市水务局\n{ORDER}" in text
        assert table(harness, "SELECT target_id, text FROM instruction_draft") == [
            (target_id(harness, 90), ORDER)
        ]
        dropped = await harness.press(LEADER, buttons(other)["✖️ 取消"])
        assert seen(dropped, LEADER.id) == ["已取消，草稿已删除。"]
        fresh = await harness.press(LEADER, f"in:w:{target_id(harness, 93)}")
        assert seen(fresh, LEADER.id)[0].startswith("✍️ 对第 93 号目标作出批示")
